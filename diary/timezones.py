"""Time-zone rules: one pinned tz database, and wall-clock versus elapsed arithmetic.

zoneinfo prefers the system's tz files; rules change between releases (PITFALLS), so at
start-up we point it at the ``tzdata`` package only and record its version with exports.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import tzdata

TZDATA_VERSION: str = tzdata.IANA_VERSION


def pin_tz_database() -> str:
    """Make the ``tzdata`` package the only tz source; return its IANA version."""
    zoneinfo.reset_tzpath([])
    zone.cache_clear()
    return TZDATA_VERSION


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The ZoneInfo for an IANA name; raises ``ValueError`` for an unknown one."""
    if not name or name != name.strip():
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: a folder of the database such as "Europe" (IsADirectoryError).
        raise ValueError(f"unknown time zone {name!r}") from exc


def local_wall_time(day: date, at: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of wall-clock time ``at`` on local date ``day``.

    In a spring-forward gap the time shifts forward by the gap (02:30 -> 03:30); in a
    fall-back fold the first occurrence is taken. Both as PITFALLS prescribes.
    """
    # PEP 495: fold=0 resolves a gap with the offset from before it (02:30 becomes
    # 03:30) and a fold to its first occurrence, which is exactly the rule we want.
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def start_of_day(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant at which local date ``day`` begins."""
    return local_wall_time(day, time(0, 0), tz)


def local_date(instant: datetime, tz: zoneinfo.ZoneInfo) -> date:
    """The participant's calendar date at a UTC instant."""
    return instant.astimezone(tz).date()


def elapsed(instant: datetime, delta: timedelta) -> datetime:
    """Elapsed-time arithmetic ("48 h after the dose"), always in UTC."""
    return (instant.astimezone(UTC) + delta).astimezone(UTC)
