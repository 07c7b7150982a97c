"""The scheduler end to end: planning into the outbox, sending through the real Twilio SDK
to a local fake, status callbacks, catch-up, outages, opt-out, withdrawal, upgrades and the
coordinators' view. Time is the app's frozen clock, moved tick by tick."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diary.db.models import Participant
from tests.e2e.reminder_support import (
    REMINDING_CROSSOVER,
    STUDY,
    Harness,
    enrol_cohort,
    local_times,
)
from tests.e2e.sms_support import PHONE, text_in
from tests.fakes.fixtures import FAKE_TIMEOUT
from tests.fakes.twilio_faults import rejected, server_error, slow, unavailable_html

PARIS = ZoneInfo("Europe/Paris")
HOUR = timedelta(hours=1)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def study(api, admin, clock):
    """S001 (phone) enrolled 1 March 2027 17:00 UTC, infusion 1 at 08:00 UTC that day."""
    api.create_study(admin, REMINDING_CROSSOVER)
    api.enrol(admin, STUDY, subject_id="S001", site="PAR", sequence="KP", phone=PHONE)
    assert api.event(admin, STUDY, "S001", type="infusion", period=1,
                     occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    return admin


@pytest.fixture
def harness(app, twilio_transport):
    return Harness(app, twilio_transport)


def _log(api, clock, token, day: datetime, score=4):
    clock.set(day)
    r = api.entry(token, day.astimezone(PARIS).date().isoformat(), score,
                  device_time=day.isoformat())
    assert r.status_code == 201, r.json


def _staff(api):
    return api.bearer(api.login("admin@site.org", "correct horse battery"))


# --- a whole period under the clock -----------------------------------------------------------

def test_a_35_day_period_across_the_dst_change_reminds_at_20h_local_once_per_empty_day(
        api, study, harness, twilio_fake, clock):
    """1 March to 5 April 2027 in Paris (clocks go forward on 28 March). The participant
    replies by SMS at 19:30 on most days; days 8-10 and 27-29 March stay empty."""
    empty = {8, 9, 10, 27, 28, 29}
    at = paris(2027, 3, 1, 18)
    end = paris(2027, 4, 9, 12)
    while at <= end:
        local = at.astimezone(PARIS)
        if local.hour == 19 and local.month == 3 and local.day not in empty:
            clock.set(at + timedelta(minutes=30))
            assert text_in(api.c, "3")[1].startswith("Thanks, pain 3 recorded")
        harness.tick(at)
        at += HOUR
    diary = harness.outbox(kind="diary")
    april = range(1, 6)  # days 31-35: not replied to
    assert local_times(diary, PARIS) == [f"2027-03-{d:02d} 20:00" for d in sorted(empty)] + [
        f"2027-04-{d:02d} 20:00" for d in april]
    assert all(r.state == "sent" for r in diary)
    # The nudge (22:00) falls in quiet hours: it goes at 08:00, before the noon deadline.
    nudges = harness.outbox(kind="diary_nudge")
    assert local_times(nudges, PARIS) == [
        f"{date(2027, m, d) + timedelta(days=1)} 08:00"
        for m, d in [(3, 8), (3, 9), (3, 10), (3, 27), (3, 28), (3, 29)] + [(4, d) for d in april]]
    # Three missed days in a row: one coordinator alert per streak, at the third day's
    # late-entry deadline (noon the next day).
    alerts = harness.outbox(kind="coordinator_missed_days")
    assert [(a.target, local_times([a], PARIS)[0], a.state, a.channel) for a in alerts] == [
        ("2027-03-08", "2027-03-11 12:00", "delivered", "alert"),
        ("2027-03-27", "2027-03-30 12:00", "delivered", "alert"),
        ("2027-04-01", "2027-04-04 12:00", "delivered", "alert")]
    assert "S001" in alerts[0].body
    # The PGIC day-35 window (2-8 April) opens in the night, so the message waits for the
    # end of quiet hours; a day before it closes, unanswered, it is announced again.
    assert local_times(harness.outbox(kind="window_open"), PARIS) == ["2027-04-02 08:00"]
    assert len(harness.outbox(kind="window_closing")) == 1
    # Every message went to Twilio exactly once.
    sent = harness.outbox(channel="sms")
    assert len(twilio_fake.messages) == len(sent)
    assert Counter(m.sid for m in twilio_fake.messages) == Counter(r.provider_sid for r in sent)


def test_a_scheduler_down_for_the_night_catches_up_on_what_is_still_useful(
        api, study, harness, twilio_fake):
    harness.tick(paris(2027, 3, 2, 19))  # before the reminder: nothing yet
    assert harness.outbox() == []
    # Down from 19:00 to 09:15 the next morning: the evening reminder is over, the
    # morning nudge (08:00, valid until noon) is still worth sending, once.
    harness.tick(paris(2027, 3, 3, 9, 15))
    harness.tick(paris(2027, 3, 3, 9, 16))
    rows = harness.outbox()
    assert [(r.kind, r.target, r.state) for r in rows] == [
        ("diary_nudge", "2027-03-02", "sent")]
    assert len(twilio_fake.messages) == 1
    assert twilio_fake.messages[0].body.startswith("Pain diary: no score yet for Tue 2 Mar")


def test_a_task_done_before_sending_cancels_its_reminder(api, study, harness, clock):
    # Planned at 20:00, but the participant answers before the dispatcher gets to it.
    from notifications.tick import plan_due

    clock.set(paris(2027, 3, 2, 20))
    with harness.runtime.session_factory() as s:
        assert plan_due(s, clock.now()).inserted == 1
    clock.set(paris(2027, 3, 2, 20, 1))
    text_in(api.c, "5")
    harness.tick()
    [row] = harness.outbox()
    assert (row.kind, row.state, row.cancel_reason) == ("diary", "cancelled", "task done")


# --- Twilio failures ------------------------------------------------------------------------

def test_an_outage_is_retried_with_backoff_until_twilio_recovers_without_duplicates(
        study, harness, twilio_fake, clock):
    twilio_fake.script(server_error(500), unavailable_html(), server_error(503))
    start = paris(2027, 3, 2, 20)
    harness.tick(start)
    [row] = harness.outbox()
    assert (row.state, row.send_attempts, row.last_error_code) == ("pending", 1, 20500)
    seconds = []
    for minute in range(1, 12):
        harness.tick(start + timedelta(minutes=minute))
        seconds.append(harness.outbox()[0].send_attempts)
    [row] = harness.outbox()
    assert row.state == "sent" and row.send_attempts == 4
    assert seconds[:4] == [2, 3, 3, 4]  # 30 s, then 60 s, then 120 s between attempts
    assert twilio_fake.create_attempts == 4 and len(twilio_fake.messages) == 1


def test_a_lost_response_is_reconciled_with_twilio_not_sent_again(study, harness,
                                                                  twilio_fake):
    twilio_fake.script(slow(FAKE_TIMEOUT * 3))  # created; the answer comes after the timeout
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    assert row.state == "pending" and row.outcome_unknown
    harness.tick(paris(2027, 3, 2, 20, 5))
    [row] = harness.outbox()
    assert row.state == "sent" and not row.outcome_unknown
    assert [m.sid for m in twilio_fake.messages] == [row.provider_sid]
    assert twilio_fake.create_attempts == 1


@pytest.mark.parametrize("code, problem", [
    (21610, "recipient replied STOP to the sender (Twilio 21610)"),
    (21211, "invalid phone number (Twilio 21211)"),
    (21614, "not a mobile number (Twilio 21614)"),
])
def test_permanent_errors_stop_and_flag_the_participant(api, study, harness, twilio_fake,
                                                        code, problem):
    twilio_fake.script(rejected(code))
    harness.tick(paris(2027, 3, 2, 20))
    harness.tick(paris(2027, 3, 2, 20, 30))
    [row] = harness.outbox()
    assert (row.state, row.last_error_code, row.send_attempts) == ("failed", code, 1)
    assert twilio_fake.create_attempts == 1
    r = api.c.get(f"/api/v1/studies/{STUDY}/participants/S001", headers=_staff(api))
    assert r.json["sms_problem"] == problem


# --- status callbacks -------------------------------------------------------------------------

def _callback(api, twilio_fake, sid, status, **kw):
    req = twilio_fake.status_callback(sid, status, **kw)
    return api.c.post(req.path, data=req.params, headers=req.headers)


def test_status_callbacks_move_a_message_forward_only(api, study, harness, twilio_fake):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    assert row.state == "sent"
    assert _callback(api, twilio_fake, row.provider_sid, "delivered").status_code == 204
    assert _callback(api, twilio_fake, row.provider_sid, "sent").status_code == 204
    [row] = harness.outbox()
    assert row.state == "delivered" and row.delivered_at is not None
    assert row.provider_status == "sent"  # recorded, but the state did not go back


def test_a_failed_delivery_callback_with_a_permanent_code_flags_the_participant(
        api, study, harness, twilio_fake):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    assert _callback(api, twilio_fake, row.provider_sid, "undelivered",
                     error_code=30006).status_code == 204
    [row] = harness.outbox()
    assert (row.state, row.last_error_code) == ("failed", 30006)
    with harness.runtime.session_factory() as s:
        assert s.scalar(select(Participant.sms_problem)).startswith("landline")


def test_an_unsigned_status_callback_is_refused(api, study, harness, twilio_fake):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    req = twilio_fake.status_callback(row.provider_sid, "delivered")
    r = api.c.post(req.path, data=req.params, headers={"X-Twilio-Signature": "forged"})
    assert r.status_code == 403 and harness.outbox()[0].state == "sent"


# --- opt-out, withdrawal, upgrades ------------------------------------------------------------

def test_no_reminder_goes_to_an_opted_out_number_until_start(api, study, harness,
                                                             twilio_fake, clock):
    clock.set(paris(2027, 3, 2, 12))
    text_in(api.c, "STOP")
    harness.run(paris(2027, 3, 2, 19), paris(2027, 3, 3, 12), HOUR)
    assert twilio_fake.messages == []
    clock.set(paris(2027, 3, 3, 13))
    text_in(api.c, "START")
    harness.tick(paris(2027, 3, 3, 20))
    assert [m.body[:30] for m in twilio_fake.messages] == ["Pain diary: how was your pain "]


def test_withdrawal_cancels_pending_messages_and_stops_planning(api, study, harness,
                                                                twilio_fake, clock):
    twilio_fake.script(server_error(503))
    harness.tick(paris(2027, 3, 2, 20))  # planned, first attempt failed: pending
    clock.set(paris(2027, 3, 2, 20, 0, 10))
    assert api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/withdrawal",
                      headers=_staff(api), json={"reason": "moved"}).status_code == 200
    harness.run(paris(2027, 3, 2, 21), paris(2027, 3, 4, 21), HOUR)
    [row] = harness.outbox()
    assert (row.state, row.cancel_reason) == ("cancelled", "withdrawn")
    assert twilio_fake.messages == []


def test_an_upgrade_replans_everyone_cancels_reminders_of_removed_tasks_and_resends_nothing(
        api, study, harness, twilio_fake):
    harness.tick(paris(2027, 4, 2, 20))  # window opens (2 April 09:00) and diary reminder
    kinds = sorted(r.kind for r in harness.outbox())
    assert kinds == ["diary", "window_open"]
    # Version 2 keeps the diary, drops the PGIC window and moves the reminder to 19:00.
    upgraded = REMINDING_CROSSOVER.replace('daily_time: "20:00"', 'daily_time: "19:00"').replace(
        """  - {key: pgic_d35, label: PGIC day 35, instrument: pgic, anchor: infusion, offset: P35D,
     window: {open: -P3D, close: P3D}}""", "  []").replace("assessments:\n  []",
                                                        "assessments: []")
    r = api.upload(api.login("admin@site.org", "correct horse battery"), upgraded,
                   url=f"/api/v1/studies/{STUDY}/versions")
    assert r.status_code == 201, r.json
    sent_before = len(twilio_fake.messages)
    harness.run(paris(2027, 4, 2, 20, 30), paris(2027, 4, 7, 12), HOUR)
    assert harness.outbox(kind="window_closing") == []
    assert len([m for m in twilio_fake.messages if "PGIC" in m.body]) == 1
    assert len(twilio_fake.messages) > sent_before  # the diary goes on
    diary_targets = [r.target for r in harness.outbox(kind="diary")]
    assert len(diary_targets) == len(set(diary_targets))
    # S001 never chose a time of their own: from 3 April on they are reminded at 19:00.
    later = [r for r in harness.outbox(kind="diary") if r.target >= "2027-04-03"]
    assert later and {r.due_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
                      for r in later} == {f"{r.target} 19:00" for r in later}


# --- what coordinators see --------------------------------------------------------------------

def test_coordinators_see_each_reminder_and_how_long_after_it_the_task_was_done(
        api, study, harness, twilio_fake, clock):
    harness.tick(paris(2027, 3, 2, 20))
    [row] = harness.outbox()
    _callback(api, twilio_fake, row.provider_sid, "delivered")
    clock.set(paris(2027, 3, 2, 20, 25))
    text_in(api.c, "6")
    r = api.c.get(f"/api/v1/studies/{STUDY}/reminders?subject_id=S001", headers=_staff(api))
    assert r.status_code == 200 and r.json["total"] == 1
    [item] = r.json["items"]
    assert item["kind"] == "diary" and item["state"] == "delivered"
    assert item["target"] == "2027-03-02" and item["done_after_sent"] is True
    assert item["minutes_to_done"] == 25 and item["attempts"] == 1
    assert item["sent_at"].startswith("2027-03-02T19:00")


def test_alerts_are_listed_and_acknowledged_once(api, study, harness, clock):
    harness.run(paris(2027, 3, 1, 20), paris(2027, 3, 5, 13), HOUR)  # 1-3 March missed
    h = _staff(api)
    r = api.c.get(f"/api/v1/studies/{STUDY}/alerts", headers=h)
    [alert] = r.json["items"]
    assert alert["kind"] == "coordinator_missed_days" and alert["subject_id"] == "S001"
    assert "missed 3 diary days in a row, from Mon 1 Mar" in alert["body"]
    url = f"/api/v1/studies/{STUDY}/alerts/{alert['id']}/acknowledgement"
    first = api.c.post(url, headers=h)
    assert first.status_code == 200 and first.json["acknowledged_at"] is not None
    assert api.c.post(url, headers=h).status_code == 409


def test_a_tick_in_many_batches_plans_everyone_once(api, admin, app, clock):
    """Batches of 4 for 11 participants: on PostgreSQL each batch's writes overlap the next
    batch's planning (its claimed cursors stay locked, so no participant is planned twice)."""
    from notifications.tick import plan_all

    enrol_cohort(api, admin, 11, "+336123451")
    factory = app.extensions["paindiary"].session_factory
    now = paris(2027, 3, 2, 20)
    stats = plan_all(factory, now, batch=4)
    assert (stats.participants, stats.inserted) == (11, 11)
    assert plan_all(factory, now, batch=4).participants == 0  # every cursor moved on
    rows = Harness(app, None).outbox()
    assert Counter((r.participant_id, r.kind) for r in rows) == {
        (p, "diary"): 1 for p in {r.participant_id for r in rows}}
    assert len(rows) == 11 and {r.target for r in rows} == {"2027-03-02"}


def test_a_dispatcher_dying_mid_batch_keeps_what_it_sent_and_never_resends(
        api, admin, app, clock, twilio_transport, twilio_fake):
    """Acceptances are written once per claimed batch: the ones before a crash are still
    recorded, and the message in flight stays claimed, to be reconciled, not re-sent."""
    from notifications.tick import plan_all

    enrol_cohort(api, admin, 3, "+336123452")
    clock.set(paris(2027, 3, 2, 20))
    plan_all(app.extensions["paindiary"].session_factory, clock.now())

    class DiesOnSecondSend:
        def __init__(self):
            self.calls = 0

        def send(self, sms):
            self.calls += 1
            receipt = twilio_transport.send(sms)  # the provider has it ...
            if self.calls == 2:
                raise KeyboardInterrupt  # ... but the process dies before recording it
            return receipt

        def find_sent(self, to, after):
            return twilio_transport.find_sent(to, after)

    with pytest.raises(KeyboardInterrupt):
        Harness(app, DiesOnSecondSend()).tick()
    # One batch claimed all three: one recorded, one in flight, one not tried yet.
    assert sorted(r.state for r in Harness(app, None).outbox()) == [
        "sending", "sending", "sent"]
    clock.set(paris(2027, 3, 2, 20, 6))  # past the lease: the claim is stale
    Harness(app, twilio_transport).tick()
    rows = Harness(app, None).outbox()
    assert [r.state for r in rows] == ["sent"] * 3
    assert len(twilio_fake.messages) == 3  # the one in flight was reconciled, not re-sent
    assert sum(r.outcome_unknown is False and r.provider_sid is not None for r in rows) == 3
