"""Wall-clock arithmetic for reminders: send times, late-entry deadlines, quiet hours.

A time of day ("20:00", quiet hours) is wall-clock time on each local date, resolved by
``diary.timezones.local_wall_time`` (gap -> shifted forward, fold -> first occurrence), so
a daylight-saving change neither drops nor doubles a reminder. Elapsed durations
("PT2H" after the reminder) are added in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from diary.protocol.durations import Duration
from diary.protocol.model import LateEntry, Reminders
from diary.timezones import local_wall_time, start_of_day


def entry_deadline(day: date, late: LateEntry | None, tz: ZoneInfo) -> datetime:
    """The instant after which no entry for diary date ``day`` is accepted.

    ``late_entry`` accepts entries until wall time ``until`` on ``day + days_after``;
    without one, the day's own end.
    """
    if late is None:
        return start_of_day(day + timedelta(1), tz)
    return local_wall_time(day + timedelta(late.days_after), late.until, tz)


def move(instant: datetime, by: Duration, tz: ZoneInfo, *, back: bool = False) -> datetime:
    """``instant`` moved by a protocol duration: elapsed ones in UTC, calendar ones on the
    wall clock (same local time on the date ``by`` days or months away)."""
    if by.is_elapsed:
        delta = timedelta(seconds=by.seconds)
        return instant - delta if back else instant + delta
    step = Duration(-by.months, -by.days) if back else by
    local = instant.astimezone(tz)
    return local_wall_time(step.add_to_date(local.date()), local.time(), tz)


def is_quiet(at: time, rules: Reminders) -> bool:
    """Whether local wall time ``at`` lies in the quiet period ``[quiet_start, quiet_end)``.

    A period whose start is after its end spans midnight (22:00-08:00); equal ends or a
    missing end mean no quiet hours.
    """
    start, end = rules.quiet_start, rules.quiet_end
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def after_quiet(instant: datetime, rules: Reminders, tz: ZoneInfo) -> datetime:
    """``instant`` if it is outside quiet hours, else the instant the quiet period ends."""
    local = instant.astimezone(tz)
    at = local.time().replace(tzinfo=None)
    if not is_quiet(at, rules):
        return instant
    assert rules.quiet_start is not None and rules.quiet_end is not None
    day = local.date()
    if rules.quiet_start > rules.quiet_end and at >= rules.quiet_start:
        day += timedelta(1)  # the evening part of an overnight period ends tomorrow
    # max(): in the repeated hour of a fall-back night the first occurrence of the end
    # may already be past; never move a reminder backwards.
    return max(local_wall_time(day, rules.quiet_end, tz), instant)
