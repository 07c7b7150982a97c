"""Opt-out from every source (issue 16): the STOP keywords, Twilio's 21610 at create and in
a status callback, and Advanced Opt-Out's ``OptOutType``. Each is recorded once and
audited with its source, and the dispatcher checks the participant's SMS state right
before each send, not only when it claimed the batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from diary.db.audit_models import AuditRecord
from diary.db.messaging import InboundSms
from diary.db.models import Participant
from tests.e2e.reminder_support import REMINDING_CROSSOVER, STUDY, Harness, enrol_cohort
from tests.e2e.sms_support import PHONE, message_sid, post_signed, text_in

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


def _opt_records(harness) -> list[tuple[str, dict]]:
    with harness.runtime.session_factory() as s:
        return [(a, after) for a, after in s.execute(
            select(AuditRecord.action, AuditRecord.after)
            .where(AuditRecord.action.like("sms.opt_%")).order_by(AuditRecord.id))]


def _participant(harness) -> Participant:
    with harness.runtime.session_factory() as s:
        p = s.scalar(select(Participant).where(Participant.subject_id == "S001"))
        s.expunge(p)
        return p


def _callback(api, twilio_fake, sid, status, **kw):
    req = twilio_fake.status_callback(sid, status, **kw)
    return api.c.post(req.path, data=req.params, headers=req.headers)


def _advanced(api, body: str, opt_out_type: str):
    """An inbound message as a Messaging Service with Advanced Opt-Out posts it."""
    form = {"MessageSid": message_sid(), "AccountSid": "AC" + "0" * 32, "From": PHONE,
            "To": "+15005550006", "Body": body, "OptOutType": opt_out_type,
            "MessagingServiceSid": "MG" + "1" * 32}
    return post_signed(api.c, "/sms/inbound", form)


def test_stop_is_recorded_once_with_its_source_and_audited(api, study, harness, clock):
    clock.set(paris(2027, 3, 2, 12))
    text_in(api.c, "STOP")
    clock.set(paris(2027, 3, 2, 12, 5))
    _, reply = text_in(api.c, "stop")  # again: nothing new to record
    assert reply.startswith("You will get no more texts")
    [(action, after)] = _opt_records(harness)
    assert action == "sms.opt_out" and after["source"] == "keyword"
    assert _participant(harness).sms_opted_out_at == paris(2027, 3, 2, 12)


def test_21610_at_create_records_the_opt_out_and_nothing_more_is_sent(
        api, study, harness, twilio_fake):
    twilio_fake.opt_out(PHONE)  # the participant texted STOP to Twilio, not to us
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    assert (row.state, row.last_error_code) == ("failed", 21610)
    assert _participant(harness).sms_opted_out_at == paris(2027, 3, 2, 20)
    assert [(a, after["source"]) for a, after in _opt_records(harness)] == [
        ("sms.opt_out", "twilio_21610_at_send")]
    harness.run(paris(2027, 3, 3, 8), paris(2027, 3, 4, 21), timedelta(hours=1))
    assert twilio_fake.create_attempts == 1


def test_21610_in_a_status_callback_records_the_opt_out(api, study, harness, twilio_fake):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    assert _callback(api, twilio_fake, row.provider_sid, "failed",
                     error_code=21610).status_code == 204
    p = _participant(harness)
    assert p.sms_opted_out_at is not None
    assert [(a, after["source"]) for a, after in _opt_records(harness)] == [
        ("sms.opt_out", "twilio_21610_in_callback")]
    # The same callback again (Twilio retries callbacks) records nothing new.
    _callback(api, twilio_fake, row.provider_sid, "failed", error_code=21610)
    harness.tick(paris(2027, 3, 3, 20))
    harness.tick(paris(2027, 3, 4, 20))
    assert twilio_fake.create_attempts == 1 and len(_opt_records(harness)) == 1


def test_stop_then_a_21610_callback_is_one_opt_out(api, study, harness, twilio_fake, clock):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    clock.set(paris(2027, 3, 2, 20, 5))
    text_in(api.c, "STOP")
    _callback(api, twilio_fake, row.provider_sid, "undelivered", error_code=21610)
    assert [a for a, _ in _opt_records(harness)] == ["sms.opt_out"]


def test_advanced_opt_out_types_are_recorded_and_answered_with_nothing(
        api, study, harness, clock):
    """With Advanced Opt-Out Twilio itself answers the keyword (in the study's language:
    ``ARRET`` is a French opt-out word our grammar does not know): our answer would be a
    second text, so the webhook's TwiML is empty; ``OptOutType`` says what it was."""
    clock.set(paris(2027, 3, 2, 12))
    r = _advanced(api, "Arret", "STOP")
    assert r.status_code == 200 and b"<Message" not in r.data
    assert _participant(harness).sms_opted_out_at == paris(2027, 3, 2, 12)
    clock.set(paris(2027, 3, 2, 13))
    r = _advanced(api, "Aide", "HELP")
    assert r.status_code == 200 and b"<Message" not in r.data
    assert _participant(harness).sms_opted_out_at is not None  # HELP changes nothing
    clock.set(paris(2027, 3, 2, 14))
    r = _advanced(api, "Reprendre", "START")
    assert r.status_code == 200 and b"<Message" not in r.data
    assert _participant(harness).sms_opted_out_at is None
    assert [(a, after["source"]) for a, after in _opt_records(harness)] == [
        ("sms.opt_out", "twilio_advanced_opt_out"), ("sms.opt_in", "twilio_advanced_opt_out")]
    with harness.runtime.session_factory() as s:
        outcomes = s.scalars(select(InboundSms.outcome).order_by(InboundSms.id)).all()
    assert outcomes == ["opt_out", "help", "opt_in"]


def test_a_stop_arriving_mid_batch_stops_the_rest_of_the_batch(
        api, admin, app, clock, twilio_transport, twilio_fake):
    """The dispatcher claimed both messages together; the second participant's STOP is
    stored while the first message is being sent: the second is not sent."""
    enrol_cohort(api, admin, 2, "+336123453")
    factory = app.extensions["paindiary"].session_factory

    class OptsOutTheOtherOnFirstSend:
        def send(self, sms):
            if not twilio_fake.messages:
                with factory() as s:
                    s.execute(update(Participant).where(Participant.phone_index.is_not(None))
                              .values(sms_opted_out_at=clock.now()))
                    s.commit()
            return twilio_transport.send(sms)

        def find_sent(self, to, after):
            return twilio_transport.find_sent(to, after)

    harness = Harness(app, OptsOutTheOtherOnFirstSend())
    harness.tick(paris(2027, 3, 2, 20))
    rows = harness.outbox()
    assert sorted((r.state, r.cancel_reason) for r in rows) == [
        ("cancelled", "opted out"), ("sent", None)]
    assert len(twilio_fake.messages) == 1


def test_a_permanent_sms_problem_stops_later_reminders(api, study, harness, twilio_fake):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    _callback(api, twilio_fake, row.provider_sid, "undelivered", error_code=30006)
    assert _participant(harness).sms_problem.startswith("landline")
    harness.tick(paris(2027, 3, 3, 20))
    assert twilio_fake.create_attempts == 1
    [_, later] = harness.outbox(kind="diary")
    assert (later.state, later.cancel_reason) == ("cancelled", "sms problem")


def test_start_after_a_21610_lifts_the_opt_out_and_the_problem(api, study, harness,
                                                               twilio_fake, clock):
    twilio_fake.opt_out(PHONE)
    harness.tick(paris(2027, 3, 2, 20))
    assert _participant(harness).sms_problem is not None
    twilio_fake.opt_in(PHONE)
    clock.set(paris(2027, 3, 3, 9))
    text_in(api.c, "START")
    p = _participant(harness)
    assert p.sms_opted_out_at is None and p.sms_problem is None
    harness.tick(paris(2027, 3, 3, 20))
    assert len(twilio_fake.messages) == 1
