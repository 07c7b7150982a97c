"""Wall-clock times on local dates: a gap shifts forward, a fold takes the first occurrence.

2027 clock changes: America/Chicago springs forward on 14 March (02:00 CST -> 03:00 CDT)
and falls back on 7 November (02:00 CDT -> 01:00 CST); Europe/Paris on 28 March
(02:00 CET -> 03:00 CEST) and 31 October (03:00 CEST -> 02:00 CET).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
import tzdata

from diary.timezones import (
    EPOCH,
    MICROSECOND,
    elapsed,
    local_date,
    local_days,
    local_wall_time,
    pin_tz_database,
    start_of_day,
    utc_offsets,
    zone,
)

CHICAGO = zone("America/Chicago")
PARIS = zone("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected"),
    [
        pytest.param(CHICAGO, date(2027, 1, 15), time(20, 0), utc(2027, 1, 16, 2, 0),
                     id="Chicago winter 20:00 CST is 02:00 UTC next day (+6 h)"),
        pytest.param(CHICAGO, date(2027, 7, 15), time(20, 0), utc(2027, 7, 16, 1, 0),
                     id="Chicago summer 20:00 CDT is 01:00 UTC next day (+5 h)"),
        pytest.param(CHICAGO, date(2027, 3, 14), time(2, 30), utc(2027, 3, 14, 8, 30),
                     id="Chicago gap 02:30 shifts forward to 03:30 CDT = 08:30 UTC"),
        pytest.param(CHICAGO, date(2027, 3, 14), time(3, 0), utc(2027, 3, 14, 8, 0),
                     id="Chicago 03:00 CDT just after the gap is 08:00 UTC"),
        pytest.param(CHICAGO, date(2027, 11, 7), time(1, 30), utc(2027, 11, 7, 6, 30),
                     id="Chicago fold 01:30 is the first, CDT (+5 h), not 07:30 UTC"),
        pytest.param(PARIS, date(2027, 3, 28), time(2, 30), utc(2027, 3, 28, 1, 30),
                     id="Paris gap 02:30 shifts forward to 03:30 CEST = 01:30 UTC"),
        pytest.param(PARIS, date(2027, 10, 31), time(2, 30), utc(2027, 10, 31, 0, 30),
                     id="Paris fold 02:30 is the first, CEST (-2 h), not 01:30 UTC"),
        pytest.param(PARIS, date(2027, 3, 28), time(20, 0), utc(2027, 3, 28, 18, 0),
                     id="Paris evening of the spring change is CEST (-2 h)"),
        pytest.param(PARIS, date(2027, 10, 31), time(20, 0), utc(2027, 10, 31, 19, 0),
                     id="Paris evening of the autumn change is CET (-1 h)"),
    ],
)
def test_local_wall_time_gives_the_utc_instant_of_a_wall_clock_time(tz, day, at, expected):
    got = local_wall_time(day, at, tz)
    assert got == expected
    assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (CHICAGO, date(2027, 3, 14), 23),
        (CHICAGO, date(2027, 11, 7), 25),
        (CHICAGO, date(2027, 6, 1), 24),
        (PARIS, date(2027, 3, 28), 23),
        (PARIS, date(2027, 10, 31), 25),
    ],
)
def test_a_local_day_lasts_23_or_25_hours_on_the_days_the_clocks_change(tz, day, hours):
    length = start_of_day(day + timedelta(1), tz) - start_of_day(day, tz)
    assert length == timedelta(hours=hours)


def test_evening_reminders_stay_at_20_00_wall_time_across_the_spring_change():
    days = [date(2027, 3, 13), date(2027, 3, 14)]
    first, second = (local_wall_time(d, time(20, 0), CHICAGO) for d in days)
    assert [t.astimezone(CHICAGO).hour for t in (first, second)] == [20, 20]
    assert second - first == timedelta(hours=23)  # a wall-clock day, not 24 real hours


def test_local_date_is_the_participants_calendar_date_at_an_instant():
    # 05:30 UTC on 7 Feb is 23:30 CST on 6 Feb in Chicago and 06:30 CET in Paris.
    instant = utc(2027, 2, 7, 5, 30)
    assert local_date(instant, CHICAGO) == date(2027, 2, 6)
    assert local_date(instant, PARIS) == date(2027, 2, 7)


def test_elapsed_time_is_real_time_even_from_a_local_datetime():
    dose = datetime(2027, 10, 30, 9, 0, tzinfo=PARIS)  # 07:00 UTC, CEST
    later = elapsed(dose, timedelta(hours=48))
    assert later == utc(2027, 11, 1, 7, 0)
    assert later.astimezone(PARIS).hour == 8  # 08:00 CET: 47 wall-clock hours later


@pytest.mark.parametrize(
    "name", ["", "Europe/Pariss", "Europe", "Europe/", " Europe/Paris", "../etc/passwd",
             "UTC+1"])
def test_an_unknown_time_zone_name_is_a_value_error(name):
    with pytest.raises(ValueError, match="unknown time zone"):
        zone(name)


def test_pinning_makes_the_tzdata_package_the_only_source_and_returns_its_version():
    before = zoneinfo.TZPATH
    try:
        assert pin_tz_database() == tzdata.IANA_VERSION
        assert zoneinfo.TZPATH == ()
        assert zone("Europe/Paris").key == "Europe/Paris"
    finally:
        zoneinfo.reset_tzpath(before)
        zone.cache_clear()


# --- many instants at once ---------------------------------------------------------------

def micros(at: datetime) -> int:
    return (at - EPOCH) // MICROSECOND


def changes(tz: zoneinfo.ZoneInfo, us: np.ndarray) -> list[int]:
    """Instants where the offsets utc_offsets found change (its own transitions)."""
    order = np.sort(us)
    off = utc_offsets(order, tz)
    return order[1:][off[1:] != off[:-1]].tolist()


@pytest.mark.parametrize(
    ("tz", "at", "before_h", "after_h"),
    [
        pytest.param(PARIS, utc(2027, 3, 28, 1), 1, 2, id="Paris springs forward at 01:00 UTC"),
        pytest.param(CHICAGO, utc(2027, 11, 7, 7), -5, -6, id="Chicago falls back at 07:00 UTC"),
        pytest.param(zone("Australia/Lord_Howe"), utc(2027, 4, 3, 15), 11, 10.5,
                     id="Lord Howe falls back half an hour"),
        pytest.param(zone("Pacific/Apia"), utc(2011, 12, 30, 10), -10, 14,
                     id="Apia skips 30 December 2011 across the date line"),
    ],
)
def test_utc_offsets_change_at_the_microsecond_of_a_clock_change(tz, at, before_h, after_h):
    t = micros(at)
    us = np.array([t - 3_600_000_000, t - 1, t, t + 1, t + 3_600_000_000] * 20)
    hours = utc_offsets(us, tz)[:5] / 3_600_000_000
    assert hours.tolist() == [before_h, before_h, after_h, after_h, after_h]


# Zones with unusual rules: half-hour and two-hour summer time, southern summers, summer
# time suspended for Ramadan, changes at midnight, offsets far from UTC, none at all.
ZONES = ["Europe/Paris", "America/Chicago", "America/St_Johns", "America/Santiago",
         "America/Asuncion", "America/Havana", "America/Godthab", "America/Scoresbysund",
         "Africa/Casablanca", "Africa/Cairo", "Asia/Gaza", "Asia/Beirut", "Asia/Tehran",
         "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Australia/Adelaide",
         "Pacific/Chatham", "Pacific/Auckland", "Pacific/Apia", "Pacific/Kiritimati",
         "Pacific/Norfolk", "Antarctica/Troll", "Antarctica/Casey", "Europe/Dublin",
         "Europe/Moscow", "Etc/GMT+12", "UTC"]


@pytest.mark.parametrize("name", ZONES)
def test_local_days_equal_local_date(name):
    """Two years of instants, at random and at each clock change (and a microsecond either
    side): the batch equals astimezone. (Run once over every zone of tzdata 2026f as well.)"""
    tz = zone(name)
    rng = np.random.default_rng(3)
    us = rng.integers(micros(utc(2026, 1, 1)), micros(utc(2028, 1, 1)), 3500)
    hits = np.array([t + d for t in changes(tz, us) for d in (-1, 0, 1)], dtype=np.int64)
    us = np.concatenate([us, hits])
    want = [(local_date(EPOCH + timedelta(microseconds=t), tz) - date(1970, 1, 1)).days
            for t in us.tolist()]
    assert local_days(us, tz).tolist() == want


def test_instants_spread_thinly_are_converted_one_by_one():
    us = np.array([micros(utc(1950, 6, 1)), micros(utc(2027, 3, 28, 0, 30)),
                   micros(utc(2090, 1, 1))])
    assert local_days(us, PARIS).tolist() == [
        (local_date(EPOCH + timedelta(microseconds=t), PARIS) - date(1970, 1, 1)).days
        for t in us.tolist()]
