"""Restart catch-up, done tasks, withdrawal and opt-out (shipped crossover protocol).

Europe/Paris, CEST (UTC+2). Infusion 8 April 2027 10:00 (day 0). The nrs_d7 window runs
14-16 April: opening message 08:00 on 14 April, closing message 08:00 on 16 April. The
ae_check day-8 window runs 16-18 April: the adverse-event form is the coordinators', so
it sends the participant nothing (issue 13).
"""

from __future__ import annotations

from datetime import date, timedelta

from diary.schedule import AnchorEvent
from notifications.planner import (
    DIARY,
    DIARY_NUDGE,
    MISSED_DAYS,
    WINDOW_CLOSING,
    Completed,
    PlannerParticipant,
    plan,
    upcoming,
)
from tests.unit.planner.support import days, local, make_schedule, run_ticks, shipped, ticks

TZ = "Europe/Paris"
PROTOCOL = shipped("crossover-ketamine-magnesium")
SCHEDULE = make_schedule(PROTOCOL, TZ, local(TZ, 2027, 4, 1, 8),
                         [AnchorEvent("inf-1", "infusion", local(TZ, 2027, 4, 8, 10), 1)],
                         sequence="S1")
ME = PlannerParticipant("p-001", TZ)
NRS_D7 = next(w for w in SCHEDULE.windows if w.assessment == "nrs_d7")
AE_D8 = next(w for w in SCHEDULE.windows if w.assessment == "ae_check" and w.occurrence == 1)
UNTIL_14_APRIL = Completed(days(date(2027, 4, 1), date(2027, 4, 14)))


def kinds(reminders):
    return sorted((r.kind, r.local_time.strftime("%d %H:%M")) for r in reminders)


def test_after_a_one_hour_outage_the_evening_reminder_is_sent_late_but_once():
    # Down 19:30-20:30 on 15 April: the 20:00 reminder is still useful until midnight.
    entries = {d: local(TZ, d.year, d.month, d.day, 21) for d in days(date(2027, 4, 1),
                                                                      date(2027, 4, 16))}
    clock = ticks(local(TZ, 2027, 4, 15, 12), local(TZ, 2027, 4, 16, 0),
                  down=[(local(TZ, 2027, 4, 15, 19, 30), local(TZ, 2027, 4, 15, 20, 30))])
    windows = {w.id: local(TZ, 2027, 4, 1, 8) for w in SCHEDULE.windows}
    sent = run_ticks(PROTOCOL, ME, SCHEDULE, clock, entries=entries, windows_done=windows)
    assert [(s.reminder.kind, s.local, s.at) for s in sent] == [
        (DIARY, "2027-04-15 20:00", local(TZ, 2027, 4, 15, 20, 30))]


def test_after_a_one_day_outage_the_days_reminders_are_dropped_the_closing_one_is_sent():
    # Down from 15 April 19:30 to 16 April 19:30, nothing entered on 15 April.
    now = local(TZ, 2027, 4, 16, 19, 30)
    due = plan(PROTOCOL, ME, SCHEDULE, UNTIL_14_APRIL, now)
    # Gone: the 20:00 reminder of 15 April (day over at midnight) and its 08:00 nudge
    # (entries for 15 April closed at 12:00 on 16 April). Still useful: nrs_d7's closing
    # message (window open until midnight). ae_check's window is open too, but is no
    # participant's task.
    assert AE_D8.is_open(now)
    assert kinds(due) == [(WINDOW_CLOSING, "16 08:00")]
    assert {r.window_id for r in due} == {NRS_D7.id}


def test_a_missed_closing_message_replaces_a_missed_opening_one():
    # Down from 13 April to 16 April 09:00: only the closing message of nrs_d7 is due.
    due = plan(PROTOCOL, ME, SCHEDULE, UNTIL_14_APRIL, local(TZ, 2027, 4, 16, 9))
    assert [(r.kind, r.window_id) for r in due if r.window_id == NRS_D7.id] == [
        (WINDOW_CLOSING, NRS_D7.id)]


def test_a_diary_entry_or_a_done_window_cancels_their_reminders():
    now = local(TZ, 2027, 4, 16, 20)
    assert kinds(plan(PROTOCOL, ME, SCHEDULE, UNTIL_14_APRIL, now)) == [
        (DIARY, "16 20:00"), (WINDOW_CLOSING, "16 08:00")]
    done = Completed([*UNTIL_14_APRIL.diary_dates, date(2027, 4, 15), date(2027, 4, 16)],
                     [NRS_D7.id, AE_D8.id])
    assert plan(PROTOCOL, ME, SCHEDULE, done, now) == []
    assert upcoming(PROTOCOL, ME, SCHEDULE, done, now, horizon=timedelta(hours=13)) == []


def test_the_nudge_is_planned_for_the_next_morning_while_the_day_is_empty():
    done = Completed([*UNTIL_14_APRIL.diary_dates, date(2027, 4, 15), date(2027, 4, 16)],
                     [NRS_D7.id, AE_D8.id])
    soon = upcoming(PROTOCOL, ME, SCHEDULE, done, local(TZ, 2027, 4, 17, 19),
                    horizon=timedelta(hours=14))
    assert kinds(soon) == [(DIARY, "17 20:00"), (DIARY_NUDGE, "18 08:00")]
    nudge = soon[1]
    assert nudge.expires_at == local(TZ, 2027, 4, 18, 12)  # late-entry deadline
    assert nudge.shifted_from == local(TZ, 2027, 4, 17, 22)  # 20:00 + PT2H, quiet


def test_nothing_is_sent_from_withdrawal_on():
    now = local(TZ, 2027, 4, 16, 20, 30)
    assert plan(PROTOCOL, ME, SCHEDULE, UNTIL_14_APRIL, now) != []
    for withdrawn in (local(TZ, 2027, 4, 16, 20, 30), local(TZ, 2027, 4, 16, 19)):
        who = PlannerParticipant("p-001", TZ, withdrawn_at=withdrawn)
        assert plan(PROTOCOL, who, SCHEDULE, UNTIL_14_APRIL, now) == []
    later = PlannerParticipant("p-001", TZ, withdrawn_at=local(TZ, 2027, 4, 16, 21))
    assert kinds(plan(PROTOCOL, later, SCHEDULE, UNTIL_14_APRIL, now)) == [
        (DIARY, "16 20:00"), (WINDOW_CLOSING, "16 08:00")]
    ahead = upcoming(PROTOCOL, later, SCHEDULE, UNTIL_14_APRIL, now, horizon=timedelta(2))
    assert ahead == []  # everything after 21:00 is cut


def test_opt_out_or_no_phone_silence_the_participant_but_not_the_coordinator_alert():
    # 15-17 April missed: the alert is due at 18 April 12:00 (17 April's deadline) and
    # still useful at 20:00, when the evening reminder for 18 April is due.
    now = local(TZ, 2027, 4, 18, 20)
    everyone = plan(PROTOCOL, ME, SCHEDULE, UNTIL_14_APRIL, now)
    assert MISSED_DAYS in {r.kind for r in everyone} and len(everyone) > 1
    for who in (PlannerParticipant("p-001", TZ, opted_out_at=local(TZ, 2027, 4, 15, 9)),
                PlannerParticipant("p-001", TZ, has_phone=False)):
        assert [r.kind for r in plan(PROTOCOL, who, SCHEDULE, UNTIL_14_APRIL, now)] == [
            MISSED_DAYS]
    finished = PlannerParticipant("p-001", TZ, follow_up_completed_at=now)
    assert plan(PROTOCOL, finished, SCHEDULE, UNTIL_14_APRIL, now) == []
