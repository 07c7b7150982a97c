"""Delivery failures reported by status callbacks (issue 16): a transient one (30001 queue
overflow, ...) sends the same message again with backoff while it is still useful; a
permanent one or one that a resend cannot fix does not. Signed callbacks, the real SDK
against the Twilio fake, the app's frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diary.db.models import Participant
from diary.sms.delivery import PERMANENT_CODES, TRANSIENT_CODES
from tests.e2e.reminder_support import REMINDING_CROSSOVER, STUDY, Harness
from tests.e2e.sms_support import PHONE

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def study(api, admin):
    api.create_study(admin, REMINDING_CROSSOVER)
    api.enrol(admin, STUDY, subject_id="S001", site="PAR", sequence="KP", phone=PHONE)
    assert api.event(admin, STUDY, "S001", type="infusion", period=1,
                     occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    return admin


@pytest.fixture
def harness(app, twilio_transport):
    return Harness(app, twilio_transport)


def _callback(api, twilio_fake, sid, status, **kw):
    req = twilio_fake.status_callback(sid, status, **kw)
    r = api.c.post(req.path, data=req.params, headers=req.headers)
    assert r.status_code == 204
    return r


def test_a_queue_overflow_is_sent_again_with_backoff_and_delivered_once(
        api, study, harness, twilio_fake, clock):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    first = row.provider_sid
    _callback(api, twilio_fake, first, "failed", error_code=30001)
    [row] = harness.outbox()
    assert (row.state, row.last_error_code) == ("pending", 30001)
    assert row.next_attempt_at == paris(2027, 3, 2, 20, 0, 30)  # 30 s after one send
    _callback(api, twilio_fake, first, "failed", error_code=30001)  # Twilio retries it
    assert harness.outbox()[0].next_attempt_at == paris(2027, 3, 2, 20, 0, 30)
    harness.tick(paris(2027, 3, 2, 20, 0, 20))  # not yet
    assert twilio_fake.create_attempts == 1
    harness.tick(paris(2027, 3, 2, 20, 1))
    [row] = harness.outbox()
    assert row.state == "sent" and row.provider_sid != first and row.send_attempts == 2
    _callback(api, twilio_fake, row.provider_sid, "delivered")
    _callback(api, twilio_fake, first, "undelivered", error_code=30001)  # late news
    [row] = harness.outbox()
    assert row.state == "delivered"
    assert [m.body for m in twilio_fake.messages] == [row.body, row.body]
    harness.run(paris(2027, 3, 2, 20, 2), paris(2027, 3, 2, 23), timedelta(minutes=30))
    assert twilio_fake.create_attempts == 2


def test_transient_failures_are_retried_until_the_reminder_expires(
        api, study, harness, twilio_fake, clock):
    """The 20:00 diary reminder is useful until the day ends: every send fails with
    30001; each is retried later than the one before, none at or after midnight."""
    at, end = paris(2027, 3, 2, 20), paris(2027, 3, 3, 1)
    answered: set[str] = set()
    while at <= end:
        harness.tick(at)
        for m in twilio_fake.messages:
            if m.sid not in answered:
                answered.add(m.sid)
                _callback(api, twilio_fake, m.sid, "undelivered", error_code=30001)
        at += timedelta(minutes=1)
    [row] = harness.outbox(kind="diary")
    assert (row.state, row.last_error_code) == ("failed", 30001)
    times = [m.date_created for m in twilio_fake.messages if m.body == row.body]
    assert len(times) == row.send_attempts > 5
    assert all(t < row.expires_at for t in times) and row.expires_at == paris(2027, 3, 3, 0)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps == sorted(gaps) and gaps[0] <= timedelta(minutes=1)


@pytest.mark.parametrize("code, flagged", [(30006, True), (30005, True), (30007, False)])
def test_a_failure_a_resend_cannot_fix_is_not_retried(api, study, harness, twilio_fake,
                                                       code, flagged):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    _callback(api, twilio_fake, row.provider_sid, "undelivered", error_code=code)
    harness.run(paris(2027, 3, 2, 20, 1), paris(2027, 3, 2, 21, 30), timedelta(minutes=5))
    [row] = harness.outbox(kind="diary")
    assert (row.state, row.last_error_code) == ("failed", code)
    assert twilio_fake.create_attempts == 1
    with harness.runtime.session_factory() as s:
        assert (s.scalar(select(Participant.sms_problem)) is not None) is flagged


def test_the_code_lists_do_not_overlap():
    assert not set(TRANSIENT_CODES) & set(PERMANENT_CODES)
    assert 30001 in TRANSIENT_CODES and 21610 in PERMANENT_CODES


def test_a_repeated_failure_callback_during_the_resend_changes_nothing(
        api, app, study, twilio_fake, twilio_transport):
    """Twilio retries the old message's failed callback while its resend is being sent:
    the row is sending, still holding the old sid; the resend is recorded as sent."""
    harness = Harness(app, twilio_transport)
    harness.tick(paris(2027, 3, 2, 20))
    first = harness.outbox()[0].provider_sid
    _callback(api, twilio_fake, first, "failed", error_code=30001)

    class CallbackDuringSend:
        def send(self, sms):
            req = twilio_fake.status_callback(first, "failed", error_code=30001)
            assert api.c.post(req.path, data=req.params,
                              headers=req.headers).status_code == 204
            return twilio_transport.send(sms)

        def find_sent(self, to, after):
            return twilio_transport.find_sent(to, after)

    Harness(app, CallbackDuringSend()).tick(paris(2027, 3, 2, 20, 1))
    [row] = harness.outbox()
    assert row.state == "sent" and row.provider_sid not in (None, first)
    assert twilio_fake.create_attempts == 2
