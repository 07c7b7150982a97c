"""Time-zone rules: one pinned tz database, and wall-clock versus elapsed arithmetic.

zoneinfo prefers the system's tz files; rules change between releases (PITFALLS), so at
start-up we point it at the ``tzdata`` package only and record its version with exports.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING

import tzdata

if TYPE_CHECKING:  # numpy is imported where used: app start-up does without it (issue 12)
    import numpy as np

TZDATA_VERSION: str = tzdata.IANA_VERSION


def pin_tz_database() -> str:
    """Make the ``tzdata`` package the only tz source; return its IANA version.

    ``reset_tzpath`` alone does not drop zones already built: ``ZoneInfo(name)`` returns a
    cached instance, so a zone made before pinning would keep the system's rules. Both
    caches (zoneinfo's and ``zone``'s) are cleared.
    """
    zoneinfo.reset_tzpath([])
    zoneinfo.ZoneInfo.clear_cache()
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


# The tz database's geographic areas (its README: zone names are Area/Location). Other
# names are legacy POSIX rules (EST5EDT, CET), fixed offsets (Etc/GMT+5), country aliases
# (US/Eastern, Japan) or "Factory" (no zone at all, "-00"): none says where someone lives.
GEOGRAPHIC_AREAS = frozenset({"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic",
                              "Australia", "Europe", "Indian", "Pacific"})
ZONE_RULE = "must be a geographic IANA time zone, Area/Location such as Europe/Paris, or UTC"


def geographic_zone(name: object) -> zoneinfo.ZoneInfo:
    """The zone for a participant's or study's time zone name, which must be ``UTC`` or an
    ``Area/Location`` name of the tz database; raises ``ValueError`` with the rule."""
    area = name.split("/", 1)[0] if isinstance(name, str) and "/" in name else None
    if name != "UTC" and area not in GEOGRAPHIC_AREAS:
        raise ValueError(f"{ZONE_RULE}; got {name!r}")
    try:
        return zone(name)
    except ValueError:
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. Europe/Paris)") from None


# Accepted instants (device times, intake and event times): wide enough for any clock a
# device may be set to, far enough from datetime's year 1 and 9999 that no conversion or
# schedule arithmetic on them overflows (PITFALLS: astimezone(UTC) raises OverflowError).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
INSTANT_RULE = "must be a date-time from 1900-01-01T00:00:00Z to 2999-12-31T23:59:59Z"


def utc_instant(value: datetime) -> datetime:
    """An aware date-time as UTC, or ``ValueError`` when outside EARLIEST..LATEST."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("must carry a UTC offset")
    try:  # UTC wall time computed by hand: astimezone would raise OverflowError instead
        utc = value.replace(tzinfo=None) - offset
    except OverflowError:  # 9999-12-31T23:59:59-12:00, 0001-01-01T00:00:00+14:00
        utc = None
    if utc is None or not EARLIEST.replace(tzinfo=None) <= utc <= LATEST.replace(tzinfo=None):
        raise ValueError(f"{INSTANT_RULE}, got {value.isoformat()}")
    return utc.replace(tzinfo=UTC)


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


# --- many instants at once (the export: issue 3) -----------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
US_PER_DAY = 86_400_000_000
# Offsets are read on a grid this fine and transitions found between its points by
# bisection: no zone of the tz database changes its offset twice within 6 hours
# (tests/unit/test_timezones.py compares with astimezone across every zone).
_GRID_US = 6 * 3600 * 1_000_000


def utc_offsets(micros: np.ndarray, tz: zoneinfo.ZoneInfo) -> np.ndarray:
    """The UTC offset in effect at each instant, both in microseconds (from 1970-01-01 UTC).

    One zoneinfo call per 6 hours spanned (and ~35 per clock change) instead of one per
    instant; instants spread thinly over a long time are converted one by one.
    """
    import numpy as np

    micros = np.asarray(micros, dtype=np.int64)
    if micros.size == 0:
        return np.zeros(0, np.int64)
    lo, hi = int(micros.min()), int(micros.max())
    points = (hi - lo) // _GRID_US + 2
    if points > micros.size:
        return np.fromiter((_offset(tz, t) for t in micros.tolist()), np.int64, micros.size)
    grid = [lo + _GRID_US * k for k in range(points)]
    offsets = [_offset(tz, t) for t in grid]
    starts, values = [lo], [offsets[0]]  # values[i] holds from instant starts[i] on
    for k in range(1, points):
        if offsets[k] != offsets[k - 1]:
            before, after = grid[k - 1], grid[k]  # the change is in (before, after]
            while after - before > 1:
                mid = (before + after) // 2
                if _offset(tz, mid) == offsets[k - 1]:
                    before = mid
                else:
                    after = mid
            starts.append(after)
            values.append(offsets[k])
    return np.array(values, dtype=np.int64)[np.searchsorted(starts, micros, side="right") - 1]


def local_days(micros: np.ndarray, tz: zoneinfo.ZoneInfo) -> np.ndarray:
    """Each instant's local date in ``tz`` as days from 1970-01-01 (what
    :func:`local_date` gives, for microseconds from 1970-01-01 UTC).

    Examples
    --------
    >>> import numpy as np
    >>> at = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # 01:30 CET; 19:30 CDT on the 27th
    >>> us = np.array([(at - EPOCH) // MICROSECOND])
    >>> [str(np.datetime64(int(d), "D")) for d in (
    ...     local_days(us, zone("Europe/Paris"))[0], local_days(us, zone("America/Chicago"))[0])]
    ['2027-03-28', '2027-03-27']
    """
    import numpy as np

    micros = np.asarray(micros, dtype=np.int64)
    return (micros + utc_offsets(micros, tz)) // US_PER_DAY


def _offset(tz: zoneinfo.ZoneInfo, micros: int) -> int:
    return (EPOCH + timedelta(microseconds=micros)).astimezone(tz).utcoffset() // MICROSECOND
