"""Daylight-saving weeks: one reminder per diary date, at the participant's wall time.

2027 changes: America/Chicago 14 March (02:00 CST -> 03:00 CDT, gap 02:00-02:59) and
7 November (02:00 CDT -> 01:00 CST, fold 01:00-01:59); Europe/Paris 28 March
(02:00 CET -> 03:00 CEST, gap 02:00-02:59) and 31 October (03:00 CEST -> 02:00 CET,
fold 02:00-02:59). A time in a gap moves forward by the gap; in a fold the first
occurrence is taken. The clock ticks every 5 minutes from the Friday to the Tuesday.
Expected instants are in UTC with the offset arithmetic beside them.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from notifications.planner import DIARY, PlannerParticipant
from tests.unit.planner.support import local, make_schedule, run_ticks, study, ticks, utc

PROTOCOL = study()  # diary every day from enrolment, no nudge, no quiet hours


def sends(tz: str, change: date, at: str):
    friday = change - timedelta(2)
    start = local(tz, friday.year, friday.month, friday.day, 0)
    sched = make_schedule(PROTOCOL, tz, start)
    clock = ticks(start, start + timedelta(days=5))
    sent = run_ticks(PROTOCOL, PlannerParticipant("p-001", tz, reminder_time=at), sched, clock)
    assert {s.reminder.kind for s in sent} == {DIARY}
    assert all(s.at == s.reminder.due_at for s in sent)
    return [(s.reminder.diary_date.day, s.local, s.reminder.due_at) for s in sent]


@pytest.mark.parametrize(("tz", "change", "at", "expected"), [
    pytest.param("America/Chicago", date(2027, 3, 14), "20:00", [
        (12, "2027-03-12 20:00", utc(2027, 3, 13, 2)),  # 20:00 CST = +6 h
        (13, "2027-03-13 20:00", utc(2027, 3, 14, 2)),
        (14, "2027-03-14 20:00", utc(2027, 3, 15, 1)),  # 20:00 CDT = +5 h
        (15, "2027-03-15 20:00", utc(2027, 3, 16, 1)),
        (16, "2027-03-16 20:00", utc(2027, 3, 17, 1)),
    ], id="Chicago spring forward, evening"),
    pytest.param("America/Chicago", date(2027, 3, 14), "02:30", [
        (12, "2027-03-12 02:30", utc(2027, 3, 12, 8, 30)),
        (13, "2027-03-13 02:30", utc(2027, 3, 13, 8, 30)),
        (14, "2027-03-14 03:30", utc(2027, 3, 14, 8, 30)),  # 02:30 does not exist
        (15, "2027-03-15 02:30", utc(2027, 3, 15, 7, 30)),
        (16, "2027-03-16 02:30", utc(2027, 3, 16, 7, 30)),
    ], id="Chicago spring forward, 02:30 in the gap"),
    pytest.param("America/Chicago", date(2027, 11, 7), "20:00", [
        (5, "2027-11-05 20:00", utc(2027, 11, 6, 1)),  # CDT +5 h
        (6, "2027-11-06 20:00", utc(2027, 11, 7, 1)),
        (7, "2027-11-07 20:00", utc(2027, 11, 8, 2)),  # CST +6 h
        (8, "2027-11-08 20:00", utc(2027, 11, 9, 2)),
        (9, "2027-11-09 20:00", utc(2027, 11, 10, 2)),
    ], id="Chicago fall back, evening"),
    pytest.param("America/Chicago", date(2027, 11, 7), "01:30", [
        (5, "2027-11-05 01:30", utc(2027, 11, 5, 6, 30)),
        (6, "2027-11-06 01:30", utc(2027, 11, 6, 6, 30)),
        (7, "2027-11-07 01:30", utc(2027, 11, 7, 6, 30)),  # first 01:30 (CDT) only
        (8, "2027-11-08 01:30", utc(2027, 11, 8, 7, 30)),
        (9, "2027-11-09 01:30", utc(2027, 11, 9, 7, 30)),
    ], id="Chicago fall back, 01:30 in the fold"),
    pytest.param("America/Chicago", date(2027, 11, 7), "02:30", [
        (5, "2027-11-05 02:30", utc(2027, 11, 5, 7, 30)),
        (6, "2027-11-06 02:30", utc(2027, 11, 6, 7, 30)),
        (7, "2027-11-07 02:30", utc(2027, 11, 7, 8, 30)),  # after the fold: CST
        (8, "2027-11-08 02:30", utc(2027, 11, 8, 8, 30)),
        (9, "2027-11-09 02:30", utc(2027, 11, 9, 8, 30)),
    ], id="Chicago fall back, 02:30 just after the fold"),
    pytest.param("Europe/Paris", date(2027, 3, 28), "20:00", [
        (26, "2027-03-26 20:00", utc(2027, 3, 26, 19)),  # CET -1 h
        (27, "2027-03-27 20:00", utc(2027, 3, 27, 19)),
        (28, "2027-03-28 20:00", utc(2027, 3, 28, 18)),  # CEST -2 h
        (29, "2027-03-29 20:00", utc(2027, 3, 29, 18)),
        (30, "2027-03-30 20:00", utc(2027, 3, 30, 18)),
    ], id="Paris spring forward, evening"),
    pytest.param("Europe/Paris", date(2027, 3, 28), "02:30", [
        (26, "2027-03-26 02:30", utc(2027, 3, 26, 1, 30)),
        (27, "2027-03-27 02:30", utc(2027, 3, 27, 1, 30)),
        (28, "2027-03-28 03:30", utc(2027, 3, 28, 1, 30)),  # 02:30 does not exist
        (29, "2027-03-29 02:30", utc(2027, 3, 29, 0, 30)),
        (30, "2027-03-30 02:30", utc(2027, 3, 30, 0, 30)),
    ], id="Paris spring forward, 02:30 in the gap"),
    pytest.param("Europe/Paris", date(2027, 10, 31), "20:00", [
        (29, "2027-10-29 20:00", utc(2027, 10, 29, 18)),  # CEST -2 h
        (30, "2027-10-30 20:00", utc(2027, 10, 30, 18)),
        (31, "2027-10-31 20:00", utc(2027, 10, 31, 19)),  # CET -1 h
        (1, "2027-11-01 20:00", utc(2027, 11, 1, 19)),
        (2, "2027-11-02 20:00", utc(2027, 11, 2, 19)),
    ], id="Paris fall back, evening"),
    pytest.param("Europe/Paris", date(2027, 10, 31), "02:30", [
        (29, "2027-10-29 02:30", utc(2027, 10, 29, 0, 30)),
        (30, "2027-10-30 02:30", utc(2027, 10, 30, 0, 30)),
        (31, "2027-10-31 02:30", utc(2027, 10, 31, 0, 30)),  # first 02:30 (CEST) only
        (1, "2027-11-01 02:30", utc(2027, 11, 1, 1, 30)),
        (2, "2027-11-02 02:30", utc(2027, 11, 2, 1, 30)),
    ], id="Paris fall back, 02:30 in the fold"),
])
def test_a_dst_week_has_exactly_one_reminder_per_date_at_the_wall_time(tz, change, at,
                                                                       expected):
    assert sends(tz, change, at) == expected
