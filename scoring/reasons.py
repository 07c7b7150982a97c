"""Why a value is missing, in the words of a trial report (issue 14).

One place for the wording: windows are named as a reader names them
("week 5", "day 28", "baseline", "days 1 to 35"), counts read "has 3 of 7
days, 4 needed", and a derived value that lacks its baseline says which value:
"week 5: baseline has 3 of 7 days, 4 needed".
"""

from __future__ import annotations

import re

__all__ = ["about", "day_not_observed", "too_few_days", "window_name"]


def window_name(lo: int, hi: int) -> str:
    """The reader's name of days *lo* to *hi*: a day, a week (days 7n-6 to 7n) or a range.

    Examples
    --------
    >>> window_name(28, 28), window_name(29, 35), window_name(27, 29), window_name(-7, -1)
    ('day 28', 'week 5', 'days 27 to 29', 'days -7 to -1')
    """
    if lo == hi:
        return f"day {lo}"
    if hi - lo == 6 and hi > 0 and hi % 7 == 0:
        return f"week {hi // 7}"
    return f"days {lo} to {hi}"


def day_not_observed(day: int) -> str:
    """A one-day window without a score.

    >>> day_not_observed(7)
    'day 7 not observed'
    """
    return f"day {day} not observed"


def too_few_days(what: str, n: int, total: int, needed: int | str) -> str:
    """*what* (a window name) has *n* of its *total* days; *needed* are required.

    Examples
    --------
    >>> too_few_days("baseline", 3, 7, 4)
    'baseline has 3 of 7 days, 4 needed'
    >>> too_few_days("days 1 to 35", 20, 35, "80 %")
    'days 1 to 35 have 20 of 35 days, 80 % needed'
    """
    verb = "have" if what.startswith("days ") else "has"
    return f"{what} {verb} {n} of {total} days, {needed} needed"


def about(name: str | None, reason: str) -> str:
    """*reason* told of the value *name* (``None``: as it is); not repeated if it names it.

    Examples
    --------
    >>> about("week 5", "baseline has 3 of 7 days, 4 needed")
    'week 5: baseline has 3 of 7 days, 4 needed'
    >>> about("week 5", "week 5 has 3 of 7 days, 4 needed")
    'week 5 has 3 of 7 days, 4 needed'
    >>> about("psqi_end", "no psqi_end response")
    'no psqi_end response'
    """
    if not name or re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", reason):
        return reason
    return f"{name}: {reason}"
