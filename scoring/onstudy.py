"""The days of a window a participant was on study: the denominator of event diaries.

Medication and side-effect diaries record events, not one value a day: a day without
an intake is a day with none, *if* the participant was on study that day.  On-study
days of a window ``[from_day, to_day]`` (anchor date = day 0, :mod:`scoring.days`)
start at ``start_day`` (the first day the diary was open in this period, e.g. the
enrolment day) and stop before *today* and at ``stop_day`` (withdrawal), inclusive, as
compliance counts due days (:mod:`scoring.compliance`).
"""

from __future__ import annotations

__all__ = ["on_study", "off_study_reason"]


def on_study(
    from_day: int,
    to_day: int,
    *,
    start_day: int | None = None,
    today_day: int | None = None,
    stop_day: int | None = None,
) -> tuple[int, int] | None:
    """First and last on-study day of the window, ``None`` if there is none.

    Examples
    --------
    >>> on_study(-7, 7, start_day=-3), on_study(0, 7, stop_day=4), on_study(0, 7, today_day=0)
    ((-3, 7), (0, 4), None)
    """
    lo = from_day if start_day is None else max(from_day, start_day)
    hi = to_day
    if today_day is not None:
        hi = min(hi, today_day - 1)
    if stop_day is not None:
        hi = min(hi, stop_day)
    return (lo, hi) if lo <= hi else None


def off_study_reason(
    from_day: int,
    to_day: int,
    *,
    start_day: int | None = None,
    today_day: int | None = None,
    stop_day: int | None = None,
) -> str:
    """Why :func:`on_study` found no day, in words.

    Examples
    --------
    >>> off_study_reason(-7, -1, start_day=0)
    'not on study in days -7 to -1 (diary opened on day 0)'
    """
    window = f"days {from_day} to {to_day}"
    if start_day is not None and start_day > to_day:
        return f"not on study in {window} (diary opened on day {start_day})"
    if stop_day is not None and stop_day < from_day:
        return f"not on study in {window} (participation stopped on day {stop_day})"
    return f"no day of {window} due yet (today is day {today_day})"
