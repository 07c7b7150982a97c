"""A 35-day crossover period played tick by tick (every 5 minutes) with the shipped protocol.

Protocol ``crossover-ketamine-magnesium``: diary days -7..35 around the infusion, evening
reminder 20:00, nudge PT2H (22:00, inside quiet hours 22:00-08:00, so 08:00 next morning,
before the 12:00 late-entry deadline), window messages at opening and one day before
closing, a coordinator alert after 3 missed days. Europe/Paris in April-May 2027 is CEST
(UTC+2) throughout; the DST weeks are in test_dst.py.

The participant enrols 1 April 08:00, has the period-1 infusion 8 April 10:00 (day 0), so
diary dates run 1 April (day -7) .. 13 May (day 35): 43 dates.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest

from diary.schedule import AnchorEvent, ScheduledWindow
from notifications.planner import (
    DIARY,
    DIARY_NUDGE,
    MISSED_DAYS,
    WINDOW_CLOSING,
    WINDOW_OPEN,
    PlannerParticipant,
)
from tests.unit.planner.support import (
    by_kind,
    days,
    local,
    make_schedule,
    run_ticks,
    shipped,
    ticks,
)

TZ = "Europe/Paris"
PROTOCOL = shipped("crossover-ketamine-magnesium")
SCHEDULE = make_schedule(PROTOCOL, TZ, local(TZ, 2027, 4, 1, 8),
                         [AnchorEvent("inf-1", "infusion", local(TZ, 2027, 4, 8, 10), 1)],
                         sequence="S1")
PARTICIPANT = PlannerParticipant("p-001", TZ)
DIARY_DATES = days(date(2027, 4, 1), date(2027, 5, 13))

# The participant's behaviour: an entry at 20:30 every evening, except
EARLY = date(2027, 4, 15)  # entered at 19:00, before the reminder
NEXT_MORNING = date(2027, 4, 10)  # entered at 09:00 the next morning, after the nudge
MISSED = days(date(2027, 4, 20), date(2027, 4, 23))  # four days never entered


def entry_time(day: date) -> datetime | None:
    if day in MISSED:
        return None
    if day == EARLY:
        return local(TZ, day.year, day.month, day.day, 19)
    if day == NEXT_MORNING:
        return local(TZ, 2027, 4, 11, 9)
    return local(TZ, day.year, day.month, day.day, 20, 30)


def window(assessment: str, occurrence: int = 0) -> ScheduledWindow:
    return next(w for w in SCHEDULE.windows
                if w.assessment == assessment and w.occurrence == occurrence)


def completion_time(w: ScheduledWindow) -> datetime | None:
    """Every window done at 12:00 on its first day, except nrs_d15 (never) and psqi_end
    (on 8 May, its third day: after the opening message, before the closing one)."""
    if w.assessment == "nrs_d15":
        return None
    if w.assessment == "psqi_end":
        return local(TZ, 2027, 5, 8, 12)
    first = w.opens_local
    return local(TZ, first.year, first.month, first.day, 12)


@pytest.fixture(scope="module")
def sent():
    entries = {d: at for d in DIARY_DATES if (at := entry_time(d)) is not None}
    done = {w.id: at for w in SCHEDULE.windows if (at := completion_time(w)) is not None}
    clock = ticks(local(TZ, 2027, 4, 1, 8), local(TZ, 2027, 5, 16, 0))
    return run_ticks(PROTOCOL, PARTICIPANT, SCHEDULE, clock, entries=entries,
                     windows_done=done)


def test_every_reminder_is_sent_at_the_tick_it_falls_due(sent):
    # Ticks are on 5-minute marks and every send time is too, so no reminder waits.
    assert all(s.at == s.reminder.due_at for s in sent)


def test_counts_per_kind_follow_the_participants_behaviour(sent):
    assert Counter(s.reminder.kind for s in sent) == {
        DIARY: 43 - 1,  # every diary date but the one entered before 20:00
        DIARY_NUDGE: 1 + 4,  # the late morning entry, and each of the four missed days
        # nrs_d7/15/21/28, psqi/hads/eq5d5l before the infusion and at the period's end;
        # none for ae_check, the adverse-event form that coordinators fill in (issue 13)
        WINDOW_OPEN: 10,
        WINDOW_CLOSING: 1,  # only nrs_d15 is still open one day before it closes
        MISSED_DAYS: 1,  # one streak of four missed days: one alert
    }


def test_the_evening_reminder_goes_at_20_00_on_every_date_but_the_early_one(sent):
    expected = [f"{d.isoformat()} 20:00" for d in DIARY_DATES if d != EARLY]
    assert [s.local for s in by_kind(sent, DIARY)] == expected
    assert [s.reminder.diary_date for s in by_kind(sent, DIARY)] == [
        d for d in DIARY_DATES if d != EARLY]


def test_the_22_00_nudge_is_moved_out_of_quiet_hours_to_08_00_the_next_morning(sent):
    assert [(s.reminder.diary_date, s.local) for s in by_kind(sent, DIARY_NUDGE)] == [
        (date(2027, 4, 10), "2027-04-11 08:00"),
        (date(2027, 4, 20), "2027-04-21 08:00"),
        (date(2027, 4, 21), "2027-04-22 08:00"),
        (date(2027, 4, 22), "2027-04-23 08:00"),
        (date(2027, 4, 23), "2027-04-24 08:00"),
    ]
    assert all(s.reminder.shifted_from is not None for s in by_kind(sent, DIARY_NUDGE))


def test_window_messages_come_at_08_00_the_end_of_quiet_hours(sent):
    opened = sorted((s.local, s.reminder.window_id) for s in by_kind(sent, WINDOW_OPEN))
    assert [at for at, _ in opened] == [
        "2027-04-05 08:00", "2027-04-05 08:00", "2027-04-05 08:00",  # pre x3 (days -3..0)
        "2027-04-14 08:00",  # nrs_d7 (days 6-8)
        "2027-04-22 08:00",  # nrs_d15 (days 14-16)
        "2027-04-28 08:00",  # nrs_d21
        "2027-05-05 08:00",  # nrs_d28
        "2027-05-06 08:00", "2027-05-06 08:00", "2027-05-06 08:00",  # end x3 (days 28-31)
    ]
    ae_windows = {w.id for w in SCHEDULE.windows if w.assessment == "ae_check"}
    assert len(ae_windows) == 5 and not ae_windows & {s.reminder.window_id for s in sent}
    # nrs_d15 closes at midnight ending 24 April; one day before is midnight -> 08:00.
    assert [(s.local, s.reminder.window_id) for s in by_kind(sent, WINDOW_CLOSING)] == [
        ("2027-04-24 08:00", window("nrs_d15").id)]


def test_the_coordinator_is_alerted_once_at_the_third_missed_days_deadline(sent):
    (alert,) = by_kind(sent, MISSED_DAYS)
    # Third missed day 22 April; its entries were accepted until 23 April 12:00.
    assert alert.local == "2027-04-23 12:00"
    assert alert.reminder.diary_date == date(2027, 4, 20)  # keyed on the streak's start
    assert alert.reminder.param("days") == "3"


def test_each_task_gets_at_most_one_message_of_each_kind(sent):
    per_task = Counter((s.reminder.kind, s.reminder.target) for s in sent)
    assert set(per_task.values()) == {1}
