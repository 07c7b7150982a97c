"""Where requests go is decided by arguments, never by TWILIO_EDGE/REGION or proxy variables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifications.transport import OutgoingSms, TwilioTransport, transport_from_config
from tests.fakes.fixtures import FAKE_TIMEOUT
from tests.fakes.twilio_api import DEFAULT_FROM

TO = "+447700900123"


def _transport(fake) -> TwilioTransport:
    return TwilioTransport(fake.account_sid, fake.auth_token, from_number=DEFAULT_FROM,
                           base_url=fake.base_url, timeout=FAKE_TIMEOUT)


def test_twilio_edge_and_region_in_the_environment_do_not_move_the_loopback_host(
        monkeypatch, twilio_fake):
    # Left to itself the SDK would turn 127.0.0.1 into "127.sydney.au1.0.1".
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")

    with _transport(twilio_fake) as transport:
        receipt = transport.send(OutgoingSms(TO, "hello"))
        found = transport.find_sent(TO, datetime.now(UTC).replace(hour=0))

    assert [m.sid for m in twilio_fake.messages] == [receipt.sid]
    assert [r.sid for r in found] == [receipt.sid]


def test_proxy_variables_do_not_carry_requests_to_the_fake_off_the_machine(
        monkeypatch, twilio_fake):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://proxy.invalid:3128")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)

    with _transport(twilio_fake) as transport:
        transport.send(OutgoingSms(TO, "hello"))

    assert len(twilio_fake.messages) == 1


def test_the_config_builds_a_transport_that_sends_to_the_fake(twilio_fake, twilio_config):
    transport = transport_from_config(twilio_config)
    try:
        transport.send(OutgoingSms(TO, "hello"))
    finally:
        transport.close()

    assert transport.timeout == FAKE_TIMEOUT
    assert [m.to for m in twilio_fake.messages] == [TO]


def test_an_edge_cannot_be_combined_with_a_base_url(twilio_fake):
    with pytest.raises(ValueError, match="edge/region"):
        TwilioTransport(twilio_fake.account_sid, twilio_fake.auth_token,
                        from_number=DEFAULT_FROM, base_url=twilio_fake.base_url, edge="sydney")
