"""The figures of the study overview: completion today, over the last 7 days and since
enrolment, by site and per diary date; and what became of reminders (issue 15)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from diary.db.messaging import OutboxMessage
from diary.db.models import Participant, Study
from diary.services.principals import cli_principal
from diary.services.reminder_log import ReminderFilter, reminder_outcomes
from diary.services.roster import roster
from diary.services.studies import get_study

STUDY = "mini-crossover"
PARIS = ZoneInfo("Europe/Paris")


def _log(api, token, day: int):
    """Log 2027-03-<day> at 20:00 in Paris, on that day."""
    api.app.extensions["paindiary"].clock.set(datetime(2027, 3, day, 20, tzinfo=PARIS))
    r = api.entry(token, f"2027-03-{day:02d}", 4,
                  device_time=datetime(2027, 3, day, 20, tzinfo=PARIS).isoformat())
    assert r.status_code == 201, r.json


def _enrol_with_infusion(api, admin, subject, site):
    code = api.enrol(admin, STUDY, subject_id=subject, site=site, sequence="KP")
    assert api.event(admin, STUDY, subject, type="infusion", period=1,
                     occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    return api.activate(code["activation_code"])


def test_completion_by_site_over_the_week_today_and_per_day(app, api, crossover, clock):
    # Enrolled 1 March 18:00 Paris, infusion that morning: diary days from 1 March on.
    s001 = _enrol_with_infusion(api, crossover, "S001", "PAR")
    _enrol_with_infusion(api, crossover, "S002", "LYO")  # never logs
    for day in (1, 2, 4, 6, 8, 9):
        _log(api, s001, day)
    now = datetime(2027, 3, 10, 12, tzinfo=PARIS)
    clock.set(now)
    rt = app.extensions["paindiary"]
    with rt.session_factory() as session:
        study, protocol = get_study(session, cli_principal(), STUDY)
        r = roster(session, cli_principal(), study, protocol, now)
    by_subject = {p.subject_id: c for p, c in r.participants}
    s1 = by_subject["S001"]
    # owed 1..9 March = 9 days, logged 6 of them; last 7 days = 3..9 March: 4, 6, 8, 9
    assert (s1.expected_days, s1.completed_days) == (9, 6)
    assert (s1.recent_expected, s1.recent_completed) == (7, 4)
    assert s1.today_due and not s1.today_done
    par, lyo, total = r.sites
    assert (par.site, lyo.site, total.site) == ("PAR", "LYO", None)
    assert (lyo.expected, lyo.completed, lyo.recent_expected, lyo.recent_completed) == (9, 0, 7, 0)
    assert (total.enrolled, total.active, total.due_today, total.done_today) == (2, 2, 2, 0)
    assert (total.expected, total.completed) == (9 + 9, 6)
    assert total.recent_rate == 4 / 14
    # Per diary date, 28 dates up to yesterday (9 March): both owe 1..9 March.
    assert len(r.trend) == 28 and r.trend[-1].diary_date.isoformat() == "2027-03-09"
    owed = {d.diary_date.day: (d.expected, d.completed) for d in r.trend if d.expected}
    assert owed == {day: (2, 1 if day in (1, 2, 4, 6, 8, 9) else 0) for day in range(1, 10)}
    assert all(d.expected == 0 for d in r.trend if d.diary_date.month == 2)

    _log(api, s001, 10)  # today's entry
    with rt.session_factory() as session:
        r = roster(session, cli_principal(), study, protocol, clock.now())
    s1 = {p.subject_id: c for p, c in r.participants}["S001"]
    assert s1.today_done and (s1.expected_days, s1.completed_days) == (9, 6)
    assert r.sites[-1].done_today == 1


def test_a_withdrawn_participant_owes_no_diary_today(app, api, crossover, clock):
    _enrol_with_infusion(api, crossover, "S001", "PAR")
    clock.set(datetime(2027, 3, 5, 12, tzinfo=PARIS))
    admin = api.login("admin@site.org", "correct horse battery")
    assert api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/withdrawal",
                      headers=api.bearer(admin), json={"reason": "moved"}).status_code == 200
    clock.set(datetime(2027, 3, 8, 12, tzinfo=PARIS))
    rt = app.extensions["paindiary"]
    with rt.session_factory() as session:
        study, protocol = get_study(session, cli_principal(), STUDY)
        total = roster(session, cli_principal(), study, protocol, clock.now()).sites[-1]
    assert (total.active, total.withdrawn, total.due_today) == (0, 1, 0)
    assert total.expected == 5  # 1..5 March (the day of the withdrawal); none after it


def _sms(pid, study_id, due, **fields):
    row = {"id": str(uuid.uuid4()), "key": uuid.uuid4().hex, "study_id": study_id,
           "participant_id": pid, "channel": "sms", "audience": "participant",
           "kind": "diary", "target": due.astimezone(PARIS).date().isoformat(),
           "reminder_attempt": 0, "body": "Pain today?", "planned_at": due, "due_at": due,
           "expires_at": None, "state": "pending", "send_attempts": 0,
           "next_attempt_at": due, "outcome_unknown": False, "sent_at": None,
           "delivered_at": None, "failed_at": None, "last_error": None,
           "last_error_code": None}
    row.update(fields)
    return row


def test_reminder_outcomes_count_states_failures_and_minutes_to_answer(app, api, crossover,
                                                                     clock):
    s001 = _enrol_with_infusion(api, crossover, "S001", "PAR")
    rt = app.extensions["paindiary"]
    with rt.session_factory() as session:
        pid = session.scalar(select(Participant.id))
        study_id = session.scalar(select(Study.id))
    evening = [datetime(2027, 3, d, 19, tzinfo=UTC) for d in (2, 3, 4, 5)]
    rows = [
        _sms(pid, study_id, evening[0], state="delivered", sent_at=evening[0],
             delivered_at=evening[0] + timedelta(seconds=20)),
        _sms(pid, study_id, evening[1], state="delivered", sent_at=evening[1],
             delivered_at=evening[1] + timedelta(seconds=20)),
        _sms(pid, study_id, evening[2], state="failed", sent_at=evening[2],
             failed_at=evening[2] + timedelta(seconds=30), last_error_code=30003,
             last_error="Unreachable destination handset"),
        _sms(pid, study_id, evening[3]),  # still pending
    ]
    with rt.engine.begin() as conn:
        conn.execute(insert(OutboxMessage), rows)
    # 2 March answered 30 minutes after the text (20:30 Paris), 3 March after 2 h 15 min.
    for d, after in ((0, timedelta(minutes=30)), (1, timedelta(hours=2, minutes=15))):
        clock.set(evening[d] + after)
        day = evening[d].astimezone(PARIS).date().isoformat()
        assert api.entry(s001, day, 3, device_time=clock.now().isoformat()).status_code == 201
    with rt.session_factory() as session:
        study, _ = get_study(session, cli_principal(), STUDY)
        week = reminder_outcomes(session, cli_principal(), study, ReminderFilter(channel="sms"))
        later = reminder_outcomes(session, cli_principal(), study,
                                  ReminderFilter(channel="sms", due_since=evening[2]))
    assert week.by_state == {"delivered": 2, "failed": 1, "pending": 1}
    assert week.failed_by_reason == {"30003: Unreachable destination handset": 1}
    assert (week.sent, week.answered) == (3, 2)
    assert week.median_minutes_to_answer == round((30 + 135) / 2)
    assert later.by_state == {"failed": 1, "pending": 1} and later.answered == 0
    assert later.median_minutes_to_answer is None
