"""The study-day convention of :mod:`scoring`, stated once, and the daily series.

Day numbering
-------------
Every follow-up clock starts at an *anchor* event (surgery, an infusion,
enrolment).  **The anchor's local calendar date is day 0**; day 1 is the first
calendar day after it; days before the anchor are negative, so the default
baseline week is days -7 to -1.  Days are local dates in the participant's time
zone (README, "Concepts": time is explicit), not elapsed 24-hour blocks.  A window
"days a to b" includes both ends and holds ``b - a + 1`` days.

This is deliberately *not* the CDISC SDTM study day (``--DY``), which has no
day 0; every table column that carries a day says so in its derivation text.

Missing values
--------------
A missing diary day is simply absent from a :class:`DailySeries` (never NaN);
in the batch form (:class:`scoring.matrix.DailyMatrix`) it is NaN.  Scores are
floats in the instrument's own units (0-10 NRS in every shipped protocol).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DailySeries", "study_day"]


def study_day(date: dt.date, anchor_date: dt.date) -> int:
    """Return the study day of a local *date* relative to *anchor_date* (day 0).

    Parameters
    ----------
    date, anchor_date : datetime.date
        Local calendar dates in the participant's time zone.  ``datetime``
        objects are refused: convert instants to local dates first.

    Returns
    -------
    int
        Days after the anchor date; 0 on the anchor date, negative before it.

    Examples
    --------
    >>> import datetime as dt
    >>> study_day(dt.date(2026, 3, 2), dt.date(2026, 3, 1))
    1
    >>> study_day(dt.date(2026, 2, 22), dt.date(2026, 3, 1))
    -7
    """
    for name, value in (("date", date), ("anchor_date", anchor_date)):
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise TypeError(f"{name} must be a datetime.date (a local date), got {value!r}")
    return (date - anchor_date).days


@dataclass(frozen=True, eq=False, slots=True)
class DailySeries:
    """Observed daily scores of one participant for one anchor (or period).

    Parameters
    ----------
    days : array_like of int
        Study days (anchor date = day 0), one per observed value, any order.
    values : array_like of float
        Finite scores; a missing day is left out, never given as NaN.
    entry_ids : sequence of str, optional
        Id of the diary entry behind each value, for traceability.

    Notes
    -----
    The arrays are sorted by day on construction and made read-only.  Duplicate
    days raise ``ValueError``: the caller passes current versions only
    (a correction replaces the entry it corrects).

    Examples
    --------
    >>> s = DailySeries([3, 1, 2], [5.0, 7.0, 6.0], entry_ids=["c", "a", "b"])
    >>> s.days.tolist(), s.values.tolist(), s.entry_ids
    ([1, 2, 3], [7.0, 6.0, 5.0], ('a', 'b', 'c'))
    >>> DailySeries([1, 1], [5, 6])
    Traceback (most recent call last):
    ...
    ValueError: duplicate day 1: one value per day (pass current versions only)
    """

    days: np.ndarray
    values: np.ndarray
    entry_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        days = np.asarray(self.days)
        values = np.asarray(self.values, dtype=np.float64)
        if days.ndim != 1 or values.ndim != 1:
            raise ValueError("days and values must be 1-D")
        if days.shape != values.shape:
            raise ValueError(f"days has {days.size} items but values has {values.size}")
        if days.size and not np.issubdtype(days.dtype, np.integer):
            raise ValueError(f"days must be integers (study days), got dtype {days.dtype}")
        days = days.astype(np.int64)
        bad = ~np.isfinite(values)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"value for day {days[i]} is {values[i]}; leave a missing day out instead"
            )
        order = np.argsort(days, kind="stable")
        days, values = days[order], values[order]
        dup = np.flatnonzero(days[1:] == days[:-1])
        if dup.size:
            raise ValueError(
                f"duplicate day {days[dup[0]]}: one value per day (pass current versions only)"
            )
        ids = self.entry_ids
        if ids is not None:
            ids = tuple(str(x) for x in ids)
            if len(ids) != days.size:
                raise ValueError(f"entry_ids has {len(ids)} items but days has {days.size}")
            ids = tuple(ids[i] for i in order.tolist())
        days.flags.writeable = False
        values.flags.writeable = False
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "entry_ids", ids)

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[int, float]], *, entry_ids: Sequence[str] | None = None
    ) -> DailySeries:
        """Build a series from ``(day, value)`` pairs.

        Examples
        --------
        >>> DailySeries.from_pairs([(1, 4), (2, 6)]).values.tolist()
        [4.0, 6.0]
        """
        pairs = list(pairs)
        days = np.array([d for d, _ in pairs], dtype=np.int64)
        values = np.array([v for _, v in pairs], dtype=np.float64)
        return cls(days, values, None if entry_ids is None else tuple(entry_ids))

    def __len__(self) -> int:
        return int(self.days.size)

    def mask(self, lo: int, hi: int) -> np.ndarray:
        """Boolean mask of the observations on days ``lo`` to ``hi`` inclusive."""
        return (self.days >= lo) & (self.days <= hi)

    def ids_between(self, lo: int, hi: int) -> tuple[str, ...]:
        """Entry ids of the observations on days ``lo`` to ``hi`` (empty without ids).

        Examples
        --------
        >>> DailySeries([1, 2, 9], [1, 2, 3], entry_ids=["a", "b", "c"]).ids_between(2, 9)
        ('b', 'c')
        """
        if self.entry_ids is None:
            return ()
        return tuple(self.entry_ids[i] for i in np.flatnonzero(self.mask(lo, hi)).tolist())
