"""Template filters: times in a named zone, rates as percentages, minutes as durations."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from flask_babel import gettext as _

from diary.timezones import zone


def when(instant: datetime | None, tz: str) -> str:
    """An instant as local date and time in ``tz`` (ISO order: read the same everywhere)."""
    if instant is None:
        return ""
    return instant.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")


def day(instant: datetime | None, tz: str) -> str:
    """An instant's local date in ``tz``."""
    return "" if instant is None else instant.astimezone(zone(tz)).date().isoformat()


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{round(rate * 100)} %"


def duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    if minutes < 60:
        return _("%(n)d min", n=minutes)
    if minutes < 48 * 60:
        return _("%(h)d h %(m)02d min", h=minutes // 60, m=minutes % 60)
    return _("%(d)d days", d=minutes // (24 * 60))


def init_formatting(bp: Blueprint) -> None:
    bp.add_app_template_filter(when, "when")
    bp.add_app_template_filter(day, "day")
    bp.add_app_template_filter(percent, "percent")
    bp.add_app_template_filter(duration, "duration")
