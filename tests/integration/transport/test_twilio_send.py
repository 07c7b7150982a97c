"""The Twilio transport, through the real SDK, against the local fake of Twilio's API."""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from notifications.transport import (
    ACCOUNT,
    NETWORK,
    PROVIDER,
    RATE_LIMITED,
    RECIPIENT,
    REJECTED,
    OutgoingSms,
    SendError,
    TwilioTransport,
)
from tests.fakes import twilio_faults as faults
from tests.fakes.fixtures import FAKE_TIMEOUT
from tests.fakes.twilio_api import DEFAULT_FROM

TO = "+447700900123"
CALLBACK = "https://diary.example.org/sms/status?outbox=42"


def test_a_message_is_created_with_its_body_sender_and_status_callback(
        twilio_fake, twilio_transport):
    receipt = twilio_transport.send(OutgoingSms(TO, "Time for your pain diary", CALLBACK))

    assert re.fullmatch(r"SM[0-9a-f]{32}", receipt.sid)
    assert receipt.status == "queued"
    [stored] = twilio_fake.messages
    assert (stored.sid, stored.to, stored.from_, stored.body, stored.status_callback) == (
        receipt.sid, TO, DEFAULT_FROM, "Time for your pain diary", CALLBACK)


def test_a_messaging_service_sends_without_a_from_number_and_answers_accepted(twilio_fake):
    service = "MG" + "a" * 32
    with TwilioTransport(twilio_fake.account_sid, twilio_fake.auth_token,
                         messaging_service_sid=service, base_url=twilio_fake.base_url,
                         timeout=FAKE_TIMEOUT) as transport:
        receipt = transport.send(OutgoingSms(TO, "hello"))

    assert receipt.status == "accepted"
    assert twilio_fake.message(receipt.sid).messaging_service_sid == service


@pytest.mark.parametrize(("fault", "code", "http_status", "permanent", "unknown", "kind"), [
    (faults.server_error(500), 20500, 500, False, True, PROVIDER),
    (faults.server_error(502), 20500, 502, False, True, PROVIDER),
    # A load balancer's HTML page: the SDK reports code 503, which is no Twilio code.
    (faults.unavailable_html(), None, 503, False, True, PROVIDER),
    (faults.rate_limited(), 20429, 429, False, False, RATE_LIMITED),
    (faults.rejected(21610), 21610, 400, True, False, RECIPIENT),
    (faults.rejected(21211), 21211, 400, True, False, RECIPIENT),
    (faults.rejected(21614), 21614, 400, True, False, RECIPIENT),
    (faults.rejected(21612), 21612, 400, True, False, RECIPIENT),
    (faults.rejected(21408), 21408, 400, True, False, RECIPIENT),
    (faults.rejected(21617), 21617, 400, True, False, REJECTED),
    (faults.rejected(21606), 21606, 400, False, False, ACCOUNT),
    # twilio 9.x raises TwilioServiceException for RFC 9457 bodies: same table.
    (faults.problem(21610), 21610, 400, True, False, RECIPIENT),
    (faults.problem(20429, status=429), 20429, 429, False, False, RATE_LIMITED),
    (faults.problem(20500, status=500), 20500, 500, False, True, PROVIDER),
], ids=lambda v: v.description if isinstance(v, faults.Fault) else None)
def test_each_error_response_gives_its_send_error_flags(
        twilio_fake, twilio_transport, fault, code, http_status, permanent, unknown, kind):
    twilio_fake.script(fault)

    with pytest.raises(SendError) as caught:
        twilio_transport.send(OutgoingSms(TO, "hello"))

    error = caught.value
    assert (error.code, error.http_status, error.permanent, error.outcome_unknown,
            error.kind) == (code, http_status, permanent, unknown, kind)
    assert twilio_fake.messages == []


def test_a_scripted_fault_applies_to_one_call_only(twilio_fake, twilio_transport):
    twilio_fake.fail_next(faults.rate_limited(), times=2)

    outcomes = []
    for _ in range(3):
        try:
            outcomes.append(twilio_transport.send(OutgoingSms(TO, "hello")).status)
        except SendError as error:
            outcomes.append(error.kind)

    assert outcomes == [RATE_LIMITED, RATE_LIMITED, "queued"]
    assert twilio_fake.create_attempts == 3


@pytest.mark.parametrize(("mark", "to", "code"), [
    ("opt_out", TO, 21610),
    ("landline", TO, 21614),
    (None, "07700 900123", 21211),
])
def test_the_fake_refuses_numbers_like_twilio(twilio_fake, twilio_transport, mark, to, code):
    if mark:
        getattr(twilio_fake, mark)(to)

    with pytest.raises(SendError) as caught:
        twilio_transport.send(OutgoingSms(to, "hello"))

    assert (caught.value.code, caught.value.permanent, caught.value.kind) == (
        code, True, RECIPIENT)


def test_an_opted_in_number_receives_again(twilio_fake, twilio_transport):
    twilio_fake.opt_out(TO)
    twilio_fake.opt_in(TO)

    assert twilio_transport.send(OutgoingSms(TO, "hello")).status == "queued"


def test_a_wrong_auth_token_is_an_account_error_not_a_permanent_one(twilio_fake):
    with TwilioTransport(twilio_fake.account_sid, "not-the-token", from_number=DEFAULT_FROM,
                         base_url=twilio_fake.base_url, timeout=FAKE_TIMEOUT) as transport:
        with pytest.raises(SendError) as caught:
            transport.send(OutgoingSms(TO, "hello"))

    error = caught.value
    assert (error.code, error.http_status, error.kind) == (20003, 401, ACCOUNT)
    assert not error.permanent and not error.outcome_unknown
    assert twilio_fake.create_attempts == 0


def test_error_messages_do_not_carry_the_phone_number(twilio_fake, twilio_transport):
    twilio_fake.script(faults.rejected(21211, message=f"The 'To' number {TO} is not valid."))

    with pytest.raises(SendError) as caught:
        twilio_transport.send(OutgoingSms(TO, "hello"))

    assert "7700900" not in str(caught.value)
    assert "123" in caught.value.message


def test_a_connection_refused_is_transient_and_nothing_was_sent():
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with TwilioTransport("AC" + "1" * 32, "token", from_number=DEFAULT_FROM,
                         base_url=f"http://127.0.0.1:{port}", timeout=FAKE_TIMEOUT) as transport:
        with pytest.raises(SendError) as caught:
            transport.send(OutgoingSms(TO, "hello"))

    assert (caught.value.kind, caught.value.permanent, caught.value.outcome_unknown) == (
        NETWORK, False, False)


def test_an_unanswered_create_stops_at_the_timeout(twilio_fake, twilio_transport):
    twilio_fake.script(faults.slow(FAKE_TIMEOUT * 10))

    started = time.monotonic()
    with pytest.raises(SendError):
        twilio_transport.send(OutgoingSms(TO, "hello"))

    assert time.monotonic() - started < FAKE_TIMEOUT * 5


def test_concurrent_senders_each_get_their_own_message(twilio_fake):
    def send_ten(worker: int) -> list[str]:
        with TwilioTransport(twilio_fake.account_sid, twilio_fake.auth_token,
                             from_number=DEFAULT_FROM, base_url=twilio_fake.base_url,
                             timeout=2.0) as transport:
            return [transport.send(OutgoingSms(TO, f"{worker}-{n}")).sid for n in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        sids = [sid for batch in pool.map(send_ten, range(8)) for sid in batch]

    assert len(set(sids)) == 8 * 10
    assert sorted(m.sid for m in twilio_fake.messages) == sorted(sids)
    assert sorted(m.body for m in twilio_fake.messages) == sorted(
        f"{w}-{n}" for w in range(8) for n in range(10))
