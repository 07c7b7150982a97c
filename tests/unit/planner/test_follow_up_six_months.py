"""A 6-month follow-up (shipped ``perioperative-ketamine``) played every 15 minutes.

Surgery 15 January 2027; visits at 1, 3 and 6 months (+/- 14 days), three questionnaires
each. Whole-day windows open at local midnight (quiet hours 22:30-08:00, so the message
goes at 08:00) and the closing message is due 3 days before the close, again at 08:00.
Europe/Paris: CET (UTC+1) until 28 March, CEST (UTC+2) after; wall times stay 08:00.
The participant enters the diary at 20:30 each day, so only the 20:00 reminders go.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from diary.schedule import AnchorEvent
from notifications.planner import DIARY, WINDOW_CLOSING, WINDOW_OPEN, PlannerParticipant
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
PROTOCOL = shipped("perioperative-ketamine")
ENROLLED = local(TZ, 2027, 1, 10, 9)
SCHEDULE = make_schedule(PROTOCOL, TZ, ENROLLED,
                         [AnchorEvent("op-1", "surgery", local(TZ, 2027, 1, 15, 8))])
# Diary days -7..42 around 15 January, from enrolment on: 10 January .. 26 February.
DIARY_DATES = days(date(2027, 1, 10), date(2027, 2, 26))


def done_at(key: str):
    """m1 done on 10 Feb (after its opening message), m3 never, m6 on 5 July except the
    DN4 (never); the baseline BPI at enrolment."""
    if key == "baseline_bpi_sf":
        return ENROLLED
    if key.startswith("m1_"):
        return local(TZ, 2027, 2, 10, 12)
    if key.startswith("m6_") and key != "m6_dn4":
        return local(TZ, 2027, 7, 5, 12)
    return None


@pytest.fixture(scope="module")
def sent():
    entries = {d: local(TZ, d.year, d.month, d.day, 20, 30) for d in DIARY_DATES}
    done = {w.id: at for w in SCHEDULE.windows if (at := done_at(w.assessment))}
    clock = ticks(ENROLLED, local(TZ, 2027, 8, 1, 0), timedelta(minutes=15))
    return run_ticks(PROTOCOL, PlannerParticipant("p-001", TZ), SCHEDULE, clock,
                     entries=entries, windows_done=done)


def test_openings_are_at_08_00_on_the_first_day_of_each_visit_window(sent):
    opened = Counter(s.local for s in by_kind(sent, WINDOW_OPEN))
    # Month 1 target 15 Feb: window 1 Feb .. 1 Mar; month 3: 1 Apr .. 29 Apr; month 6:
    # 1 Jul .. 29 Jul. Three questionnaires per visit, one message each.
    assert opened == {"2027-02-01 08:00": 3, "2027-04-01 08:00": 3, "2027-07-01 08:00": 3}


def test_closing_messages_go_three_days_before_the_close_only_for_what_is_not_done(sent):
    # Month 3 closes at midnight ending 29 Apr; minus P3D = start of 27 Apr -> 08:00.
    # Month 6 closes at midnight ending 29 Jul -> 08:00 on 27 Jul, only for the DN4.
    closing = sorted((s.local, s.reminder.param("label")) for s in by_kind(sent, WINDOW_CLOSING))
    assert closing == [
        ("2027-04-27 08:00", "Brief Pain Inventory (short form), month 3"),
        ("2027-04-27 08:00", "DN4 (interview), month 3"),
        ("2027-04-27 08:00", "Pain NRS, month 3"),
        ("2027-07-27 08:00", "DN4 (interview), month 6"),
    ]
    assert {s.reminder.param("until") for s in by_kind(sent, WINDOW_CLOSING)} == {
        "2027-04-29", "2027-07-29"}


def test_the_baseline_window_done_at_enrolment_sends_nothing(sent):
    baseline = next(w for w in SCHEDULE.windows if w.assessment == "baseline_bpi_sf")
    assert [s for s in sent if s.reminder.window_id == baseline.id] == []


def test_the_diary_reminder_goes_at_20_00_on_each_of_the_48_diary_dates(sent):
    diary = by_kind(sent, DIARY)
    assert len(diary) == len(DIARY_DATES) == 48
    assert [s.local for s in diary] == [f"{d.isoformat()} 20:00" for d in DIARY_DATES]
    assert {s.reminder.kind for s in sent} == {DIARY, WINDOW_OPEN, WINDOW_CLOSING}
