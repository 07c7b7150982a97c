"""ISO 8601 durations: calendar parts move local dates, time parts are elapsed UTC time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.protocol.durations import parse_duration

HOUR = 3600
DAY = 24 * HOUR


@pytest.mark.parametrize(
    ("text", "months", "days", "seconds", "elapsed"),
    [
        ("P7D", 0, 7, 0, False),
        ("P35D", 0, 35, 0, False),
        ("P2W", 0, 2 * 7, 0, False),
        ("P1W2D", 0, 7 + 2, 0, False),
        ("P6M", 6, 0, 0, False),
        ("P1Y", 12, 0, 0, False),
        ("P1Y6M", 12 + 6, 0, 0, False),
        ("P1M15D", 1, 15, 0, False),
        ("P0D", 0, 0, 0, False),
        ("-P3D", 0, -3, 0, False),
        ("-P1W", 0, -7, 0, False),
        ("-P1M", -1, 0, 0, False),
        ("PT60M", 0, 0, 60 * 60, True),
        ("PT48H", 0, 0, 48 * HOUR, True),
        ("PT1H30M", 0, 0, HOUR + 30 * 60, True),
        ("PT90S", 0, 0, 90, True),
        ("PT1H0M5S", 0, 0, HOUR + 5, True),
        # A day written next to a time part is 24 elapsed hours: P1DT12H = 24 h + 12 h.
        ("P1DT12H", 0, 0, DAY + 12 * HOUR, True),
        ("P1DT0H", 0, 0, DAY, True),
        ("-PT10M", 0, 0, -10 * 60, True),
        ("-PT2H", 0, 0, -2 * HOUR, True),
        # Written with a time part, so elapsed even though zero ("at the dose").
        ("PT0M", 0, 0, 0, True),
        ("-PT0S", 0, 0, 0, True),
    ],
)
def test_a_duration_splits_into_months_days_and_elapsed_seconds(
        text, months, days, seconds, elapsed):
    d = parse_duration(text)
    assert (d.months, d.days, d.seconds, d.is_elapsed) == (months, days, seconds, elapsed)
    assert str(d) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not an ISO 8601 duration"),
        ("P", "is not an ISO 8601 duration"),
        ("PT", "is not an ISO 8601 duration"),
        ("-P", "is not an ISO 8601 duration"),
        ("P1DT", "is not an ISO 8601 duration"),
        ("7D", "is not an ISO 8601 duration"),
        ("P7", "is not an ISO 8601 duration"),
        ("p7d", "is not an ISO 8601 duration"),
        ("P1.5D", "is not an ISO 8601 duration"),
        ("PT1,5H", "is not an ISO 8601 duration"),
        ("P-1D", "is not an ISO 8601 duration"),
        ("+P1D", "is not an ISO 8601 duration"),
        ("P1M2Y", "is not an ISO 8601 duration"),  # designators out of order
        ("PT1H2H", "is not an ISO 8601 duration"),
        ("P 7D", "is not an ISO 8601 duration"),
        ("PT60", "is not an ISO 8601 duration"),
        ("7 days", "is not an ISO 8601 duration"),
        ("P1MT12H", "mixes months or years with hours/minutes/seconds"),
        ("P1YT1S", "mixes months or years with hours/minutes/seconds"),
        ("P1MT0H", "mixes months or years with hours/minutes/seconds"),
        ("-P6MT1M", "mixes months or years with hours/minutes/seconds"),
        (7, "must be an ISO 8601 duration string"),
        (None, "must be an ISO 8601 duration string"),
        (["P7D"], "must be an ISO 8601 duration string"),
    ],
)
def test_a_malformed_or_ambiguous_duration_is_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("anchor", "text", "expected"),
    [
        (date(2027, 1, 31), "P1M", date(2027, 2, 28)),   # clamped to the month's end
        (date(2028, 1, 31), "P1M", date(2028, 2, 29)),   # leap year
        (date(2027, 1, 31), "P2M", date(2027, 3, 31)),
        (date(2027, 8, 31), "P6M", date(2028, 2, 29)),
        (date(2027, 3, 31), "-P1M", date(2027, 2, 28)),
        (date(2027, 2, 10), "P35D", date(2027, 3, 17)),  # 18 days of Feb + 17 of Mar
        (date(2027, 2, 10), "-P1W", date(2027, 2, 3)),
        (date(2027, 12, 30), "P1M15D", date(2028, 2, 14)),  # months first: Jan 30, + 15 d
    ],
)
def test_calendar_durations_move_local_dates(anchor, text, expected):
    assert parse_duration(text).add_to_date(anchor) == expected


def test_repeated_months_are_counted_from_the_start_and_never_chain():
    month = parse_duration("P1M")
    jan31 = date(2027, 1, 31)
    # Chained: Jan 31 -> Feb 28 -> Mar 28. From the start: Jan 31 + 2 months = Mar 31.
    assert month.add_to_date(month.add_to_date(jan31)) == date(2027, 3, 28)
    assert month.times(2).add_to_date(jan31) == date(2027, 3, 31)
    assert month.plus(month.times(2)).add_to_date(jan31) == date(2027, 4, 30)


def test_elapsed_time_is_counted_in_utc_across_a_daylight_saving_change():
    chicago = ZoneInfo("America/Chicago")
    dose = datetime(2027, 3, 13, 9, 0, tzinfo=chicago)  # 15:00 UTC, CST (UTC-6)
    later = parse_duration("PT48H").add_elapsed(dose)
    # 48 real hours: Mon 15 March 15:00 UTC, which is 10:00 CDT on the wall clock.
    assert later == datetime(2027, 3, 15, 15, 0, tzinfo=UTC)
    assert later.utcoffset() == timedelta(0)
    assert later.astimezone(chicago).hour == 10


def test_a_zero_time_part_moves_neither_a_date_nor_an_instant():
    zero = parse_duration("PT0M")
    assert zero.add_to_date(date(2027, 3, 14)) == date(2027, 3, 14)
    assert zero.add_elapsed(datetime(2027, 3, 14, 8, tzinfo=UTC)) == datetime(
        2027, 3, 14, 8, tzinfo=UTC)


def test_a_time_part_cannot_move_a_date():
    with pytest.raises(ValueError, match="has a time part"):
        parse_duration("PT48H").add_to_date(date(2027, 3, 14))


def test_months_cannot_be_elapsed_time():
    with pytest.raises(ValueError, match="has months"):
        parse_duration("P1M").add_elapsed(datetime(2027, 3, 14, tzinfo=UTC))


def test_elapsed_time_refuses_a_naive_instant():
    with pytest.raises(ValueError, match="aware instant"):
        parse_duration("PT60M").add_elapsed(datetime(2027, 3, 14, 8, 0))


@pytest.mark.parametrize(
    ("shorter", "longer"),
    [("PT23H", "P1D"), ("P29D", "P1M"), ("P1M", "P31D"), ("-P3D", "P0D"), ("P11M", "P1Y")],
)
def test_approximate_days_order_durations_of_different_kinds(shorter, longer):
    assert parse_duration(shorter).approx_days < parse_duration(longer).approx_days
