"""ISO 8601 durations as the protocol uses them (``P35D``, ``PT60M``, ``P6M``, ``-P3D``).

A duration with only years, months, weeks and days is *calendar* arithmetic on local
dates (day 7 is a date; month 6 is the same day of the month, clamped at month ends).
A duration with hours, minutes or seconds is *elapsed* time in UTC ("60 minutes after
the dose"); mixing months with a time part has no single meaning and is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta

_PATTERN = re.compile(
    r"^(?P<sign>-)?P(?!$)"
    r"(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


@dataclass(frozen=True, slots=True)
class Duration:
    """A signed duration split into calendar months, calendar days and elapsed seconds."""

    months: int = 0
    days: int = 0
    seconds: int = 0
    text: str = ""
    time_part: bool = field(default=False, repr=False)  # written with T, even PT0M

    @property
    def is_elapsed(self) -> bool:
        """True when the duration has a time part and is measured in elapsed time."""
        return self.time_part or self.seconds != 0

    @property
    def approx_days(self) -> float:
        """Rough length in days, only for ordering checks (a month counts 30.44 days)."""
        return self.months * 30.436875 + self.days + self.seconds / 86400

    def times(self, k: int) -> Duration:
        """This duration repeated ``k`` times, computed from the start (months do not chain)."""
        return Duration(self.months * k, self.days * k, self.seconds * k, f"{k}*{self.text}",
                        self.time_part)

    def plus(self, other: Duration) -> Duration:
        return Duration(
            self.months + other.months,
            self.days + other.days,
            self.seconds + other.seconds,
            f"{self.text}+{other.text}",
            self.time_part or other.time_part,
        )

    def add_to_date(self, day: date) -> date:
        """Calendar arithmetic on a local date; only for durations without a time part."""
        if self.seconds:  # a zero time part (PT0M) moves no date
            raise ValueError(f"{self.text} has a time part; it cannot move a date")
        if not self.months:  # the common case, and a hot one: plain days need no relativedelta
            return day + timedelta(days=self.days)
        return day + relativedelta(months=self.months, days=self.days)

    def add_elapsed(self, instant: datetime) -> datetime:
        """Elapsed arithmetic on a UTC instant; only for durations without months."""
        if self.months:
            raise ValueError(f"{self.text} has months; elapsed time needs a fixed length")
        if instant.tzinfo is None:
            raise ValueError("elapsed time needs an aware instant, not a naive datetime")
        # In UTC: an aware local datetime + timedelta moves the wall clock (PITFALLS).
        return instant.astimezone(UTC) + timedelta(days=self.days, seconds=self.seconds)

    def __str__(self) -> str:
        return self.text


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration; raises ``ValueError`` with the rule it breaks.

    >>> parse_duration("P6M")
    Duration(months=6, days=0, seconds=0, text='P6M')
    >>> parse_duration("PT60M").seconds
    3600
    >>> parse_duration("-P1W").days
    -7
    """
    if not isinstance(text, str):
        raise ValueError("must be an ISO 8601 duration string such as P7D, PT60M or P6M")
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not an ISO 8601 duration (examples: P7D, P2W, PT60M, PT48H, P6M)"
        )
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items() if k != "sign"}
    sign = -1 if match.group("sign") else 1
    time_part = any(match.group(g) is not None for g in ("hours", "minutes", "seconds"))
    months = parts["years"] * 12 + parts["months"]
    days = parts["weeks"] * 7 + parts["days"]
    seconds = parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]
    if months and time_part:
        raise ValueError(
            f"{text!r} mixes months or years with hours/minutes/seconds; use one or the other"
        )
    if time_part and days:
        # P1DT12H is elapsed time: 36 hours.
        seconds += days * 86400
        days = 0
    return Duration(sign * months, sign * days, sign * seconds, text.strip(), time_part)
