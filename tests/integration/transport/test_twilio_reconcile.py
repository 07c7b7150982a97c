"""Unknown outcomes: the request may have created the message; ``find_sent`` tells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from twilio.rest import Client

from notifications.transport import ACCOUNT, NETWORK, OutgoingSms, SendError, TwilioTransport
from tests.fakes import twilio_faults as faults
from tests.fakes.fixtures import FAKE_TIMEOUT
from tests.fakes.twilio_api import DEFAULT_FROM, FakeTwilio

TO = "+447700900123"
LOST_ANSWER = FAKE_TIMEOUT * 4


def _unknown_send(transport: TwilioTransport, body: str) -> SendError:
    with pytest.raises(SendError) as caught:
        transport.send(OutgoingSms(TO, body))
    return caught.value


def test_a_timeout_is_an_unknown_outcome_and_find_sent_finds_the_message(
        twilio_fake, twilio_transport):
    before = datetime.now(UTC)
    twilio_fake.script(faults.slow(LOST_ANSWER))

    error = _unknown_send(twilio_transport, "diary reminder")

    assert (error.kind, error.outcome_unknown, error.permanent) == (NETWORK, True, False)
    [found] = twilio_transport.find_sent(TO, before)
    assert (found.sid, found.body, found.to) == (twilio_fake.messages[0].sid,
                                                 "diary reminder", TO)


def test_a_timeout_before_twilio_created_anything_finds_nothing(twilio_fake, twilio_transport):
    before = datetime.now(UTC)
    twilio_fake.script(faults.slow(LOST_ANSWER, creates=False))

    assert _unknown_send(twilio_transport, "diary reminder").outcome_unknown
    assert twilio_transport.find_sent(TO, before) == []


def test_a_dropped_connection_after_the_create_is_found_by_reconciling(
        twilio_fake, twilio_transport):
    before = datetime.now(UTC)
    twilio_fake.script(faults.dropped())

    error = _unknown_send(twilio_transport, "diary reminder")

    assert (error.kind, error.outcome_unknown) == (NETWORK, True)
    assert [r.body for r in twilio_transport.find_sent(TO, before)] == ["diary reminder"]


def test_find_sent_keeps_only_that_number_from_sent_after_on(twilio_fake, twilio_transport):
    t0 = datetime(2026, 3, 3, 19, 0, 5, tzinfo=UTC)
    for at, to, body in [(t0 - timedelta(seconds=1), TO, "earlier"),
                         (t0, TO, "at"), (t0 + timedelta(hours=1), TO, "later"),
                         (t0, "+447700900999", "someone else")]:
        twilio_fake.now = lambda at=at: at
        twilio_transport.send(OutgoingSms(to, body))

    # Twilio keeps whole seconds: a send started at 19:00:05.4 created at "19:00:05".
    found = twilio_transport.find_sent(TO, t0 + timedelta(milliseconds=400))

    assert [(r.body, r.date_created) for r in found] == [
        ("at", t0), ("later", t0 + timedelta(hours=1))]


def test_find_sent_needs_an_aware_instant(twilio_transport):
    with pytest.raises(ValueError, match="aware"):
        twilio_transport.find_sent(TO, datetime(2026, 3, 3, 19, 0))


def test_a_failed_lookup_is_a_send_error_that_never_claims_an_unknown_outcome(twilio_fake):
    with TwilioTransport(twilio_fake.account_sid, "wrong", from_number=DEFAULT_FROM,
                         base_url=twilio_fake.base_url, timeout=FAKE_TIMEOUT) as transport:
        with pytest.raises(SendError) as caught:
            transport.find_sent(TO, datetime.now(UTC))

    error = caught.value
    assert (error.http_status, error.code, error.kind) == (401, 20003, ACCOUNT)
    assert not error.outcome_unknown and not error.permanent


def test_a_lookup_while_twilio_is_unreachable_is_a_network_error():
    with FakeTwilio() as fake:
        base_url = fake.base_url
    with TwilioTransport("AC" + "1" * 32, "token", from_number=DEFAULT_FROM,
                         base_url=base_url, timeout=FAKE_TIMEOUT) as transport:
        with pytest.raises(SendError) as caught:
            transport.find_sent(TO, datetime.now(UTC))

    assert (caught.value.kind, caught.value.outcome_unknown) == (NETWORK, False)


def test_a_message_still_in_twilios_queue_has_no_date_sent_and_is_still_found():
    # Twilio filters lists on date_sent, which a queued message lacks: find_sent asks by
    # recipient only, so a copy waiting in the queue is found (issue 16).
    with FakeTwilio() as fake, TwilioTransport(
            fake.account_sid, fake.auth_token, from_number=DEFAULT_FROM,
            base_url=fake.base_url, timeout=FAKE_TIMEOUT) as transport:
        fake.hold_in_queue(60)
        before = datetime.now(UTC)
        transport.send(OutgoingSms(TO, "queued"))
        [held] = fake.messages
        assert (held.status, held.date_sent) == ("queued", None)
        assert [(r.body, r.status) for r in transport.find_sent(TO, before)] == [
            ("queued", "queued")]


def test_the_fake_releases_a_held_message_after_its_hold(twilio_transport, twilio_fake):
    t0 = datetime(2027, 3, 2, 19, tzinfo=UTC)
    twilio_fake.now = lambda: t0
    twilio_fake.hold_in_queue(60)
    twilio_transport.send(OutgoingSms(TO, "held"))
    twilio_fake.now = lambda: t0 + timedelta(seconds=60)
    [sent] = twilio_fake.messages
    assert (sent.status, sent.date_sent) == ("sent", t0 + timedelta(seconds=60))


def test_a_dropped_answer_after_storing_is_an_unknown_outcome(twilio_fake, twilio_transport):
    twilio_fake.drop_answers(every=2)
    twilio_transport.send(OutgoingSms(TO, "first"))
    error = _unknown_send(twilio_transport, "second")
    assert error.outcome_unknown and twilio_fake.dropped_answers == 1
    assert [m.body for m in twilio_fake.messages] == ["first", "second"]


def test_the_sdk_pages_through_the_fakes_list(twilio_fake, twilio_transport):
    for n in range(5):
        twilio_transport.send(OutgoingSms(TO, f"message {n}"))
    client = Client(twilio_fake.account_sid, twilio_fake.auth_token)
    client.api.base_url = twilio_fake.base_url
    client.edge = client.region = None

    try:
        pages = client.messages.page(to=TO, page_size=2)
        listed = client.messages.list(to=TO, page_size=2)
    finally:
        client.http_client.session.close()

    assert len(list(pages)) == 2 and pages.next_page_url is not None
    assert sorted(m.body for m in listed) == [f"message {n}" for n in range(5)]
