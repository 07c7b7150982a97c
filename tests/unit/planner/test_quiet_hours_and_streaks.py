"""Quiet hours and the coordinator's missed-days alert, on small protocols in UTC.

The diary runs every day from enrolment (1 March 2027); entries for a date are accepted
until 12:00 the next day unless a row says otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from diary.schedule import AnchorEvent
from notifications.planner import (
    DIARY,
    DIARY_NUDGE,
    MISSED_DAYS,
    WINDOW_CLOSING,
    WINDOW_OPEN,
    Completed,
    PlannerParticipant,
    upcoming,
)
from tests.unit.planner.support import (
    by_kind,
    days,
    make_schedule,
    run_ticks,
    study,
    ticks,
    utc,
)

MARCH_1 = utc(2027, 3, 1)
ME = PlannerParticipant("p-001", "UTC")


def planned(reminders: dict, *, late_until: str = "12:00", at: str | None = None,
            assessments=None, events=()):
    protocol = study(reminders=reminders, assessments=assessments,
                     diary={"late_entry": {"days_after": 1, "until": late_until}})
    sched = make_schedule(protocol, "UTC", MARCH_1, events)
    who = PlannerParticipant("p-001", "UTC", reminder_time=at)
    return upcoming(protocol, who, sched, Completed(), utc(2027, 3, 1, 23, 59),
                    horizon=timedelta(days=2))


def summary(reminders):
    return [(r.kind, r.local_time.strftime("%d %H:%M")) for r in reminders]


QUIET_NIGHT = {"quiet_hours": {"start": "22:00", "end": "08:00"}}


@pytest.mark.parametrize(("rules", "late_until", "at", "expected"), [
    pytest.param({"nudge_after": "PT1H", **QUIET_NIGHT}, "12:00", "20:00",
                 [(DIARY, "02 20:00"), (DIARY_NUDGE, "02 21:00")],
                 id="both outside quiet hours: untouched"),
    pytest.param({"nudge_after": "PT2H", **QUIET_NIGHT}, "12:00", "20:00",
                 [(DIARY, "02 20:00"), (DIARY_NUDGE, "03 08:00")],
                 id="22:00 nudge moves to 08:00, entries still accepted until 12:00"),
    pytest.param({"nudge_after": "PT2H", **QUIET_NIGHT}, "07:00", "20:00",
                 [(DIARY, "02 20:00")],
                 id="22:00 nudge dropped: entries close at 07:00, before quiet hours end"),
    pytest.param({"nudge_after": "PT2H", **QUIET_NIGHT}, "12:00", "23:00",
                 [(DIARY_NUDGE, "03 08:00")],
                 id="a 23:00 reminder is dropped (day over at 08:00), its nudge goes"),
    pytest.param({"quiet_hours": {"start": "13:00", "end": "14:30"}}, "12:00", "13:15",
                 [(DIARY, "02 14:30")],
                 id="a daytime quiet period moves the reminder to its end"),
    pytest.param({"nudge_after": "PT0M"}, "12:00", "20:00",
                 [(DIARY_NUDGE, "02 20:00")],
                 id="a nudge at the reminder's own time replaces it: never two at once"),
])
def test_quiet_hours_move_a_message_to_their_end_or_drop_it(rules, late_until, at,
                                                             expected):
    got = [r for r in planned(rules, late_until=late_until, at=at) if r.diary_date.day == 2]
    assert summary(got) == expected


def test_a_whole_day_window_opening_at_midnight_is_announced_when_quiet_hours_end():
    window = {"key": "d2", "instrument": "nrs_pain", "anchor": "surgery", "offset": "P1D",
              "window": {"open": "P0D", "close": "P1D"}}
    got = planned({**QUIET_NIGHT, "window_closing_before": "PT6H"}, assessments=[window],
                  events=[AnchorEvent("op", "surgery", utc(2027, 3, 1, 9))])
    # Window 2-3 March, closes at midnight ending 3 March; minus 6 h = 18:00 on 3 March.
    assert [x for x in summary(got) if x[0] != DIARY] == [
        (WINDOW_OPEN, "02 08:00"), (WINDOW_CLOSING, "03 18:00")]
    later = [r for r in got if r.kind == WINDOW_OPEN][0]
    assert later.expires_at == utc(2027, 3, 3, 18)  # when the closing message is due
    assert later.shifted_from == utc(2027, 3, 2, 0)


def test_a_short_window_at_night_gets_no_message():
    window = {"key": "h1", "instrument": "nrs_pain", "anchor": "surgery", "offset": "PT60M",
              "window": {"open": "-PT10M", "close": "PT15M"}}
    got = planned({**QUIET_NIGHT, "window_closing_before": "PT10M"}, assessments=[window],
                  events=[AnchorEvent("op", "surgery", utc(2027, 3, 2, 1))])
    assert {r.kind for r in got} == {DIARY}  # 01:50-02:15 is all quiet: dropped
    assert WINDOW_CLOSING not in {r.kind for r in got}


def test_the_coordinator_is_alerted_once_per_streak_of_missed_days():
    protocol = study(reminders={"missed_days_alert": 3})
    sched = make_schedule(protocol, "UTC", MARCH_1)
    # Entries every day of 1-20 March except 3-4 (a streak of 2), 7-9 (3) and 12-16 (5).
    gaps = {*days(date(2027, 3, 3), date(2027, 3, 4)), *days(date(2027, 3, 7),
            date(2027, 3, 9)), *days(date(2027, 3, 12), date(2027, 3, 16))}
    entries = {d: utc(d.year, d.month, d.day, 20, 30)
               for d in days(date(2027, 3, 1), date(2027, 3, 20)) if d not in gaps}
    sent = run_ticks(protocol, ME, sched, ticks(MARCH_1, utc(2027, 3, 22), timedelta(minutes=30)),
                     entries=entries)
    alerts = by_kind(sent, MISSED_DAYS)
    # Due at the third missed day's deadline: 9 March -> 10 March 12:00; 14 -> 15 March.
    assert [(s.reminder.diary_date, s.local) for s in alerts] == [
        (date(2027, 3, 7), "2027-03-10 12:00"), (date(2027, 3, 12), "2027-03-15 12:00")]
    assert all(s.reminder.audience == "coordinator" for s in alerts)


def test_a_streak_is_counted_from_its_first_missed_day_even_if_long_ago():
    # Nothing entered since enrolment: one alert, keyed on 1 March, valid 7 days.
    protocol = study(reminders={"missed_days_alert": 3})
    sched = make_schedule(protocol, "UTC", MARCH_1)
    sent = run_ticks(protocol, ME, sched, ticks(MARCH_1, utc(2027, 3, 31), timedelta(hours=1)))
    assert [(s.reminder.diary_date, s.local) for s in by_kind(sent, MISSED_DAYS)] == [
        (date(2027, 3, 1), "2027-03-04 12:00")]
