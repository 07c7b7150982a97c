"""Diary compliance: completed over expected diary days, in percent.

Convention (days as in :mod:`scoring.days`): the expected days of a span
``from_day`` to ``to_day`` start at ``start_day``, the first day the diary was open
(the enrolment day: days before it were never asked for), stop before *today*
(today's entry may still come; once it has come, today counts as a completed day)
and at ``stop_day``, the last day of participation (withdrawal), inclusive.
Compliance is ``100 * completed / expected``; with no expected day yet there
is no value.

Issue 13: a participant enrolled on the day of surgery who filled day 0 showed 0.0 %
for a span from day -7: the seven days before enrolment were counted as missed and
day 0, filled that day, was not counted. Both rules above fix it, as the medication
and side-effect diaries count on-study days (:mod:`scoring.onstudy`).
"""

from __future__ import annotations

import numpy as np

from scoring.days import DailySeries
from scoring.matrix import window_view
from scoring.results import BatchResult, ScoreResult

__all__ = ["NO_DAY", "compliance", "compliance_batch"]

#: Stand-in for "no limit" in per-row ``today_day`` / ``stop_day`` arrays
#: (``-NO_DAY`` in ``start_day`` arrays).
NO_DAY = np.iinfo(np.int64).max // 2


def _end(to_day: int, today_day: int | None, stop_day: int | None,
         today_done: bool = False) -> int:
    end = to_day
    if today_day is not None:
        end = min(end, today_day if today_done else today_day - 1)
    if stop_day is not None:
        end = min(end, stop_day)
    return end


def _reason(from_day: int, today_day: int | None, stop_day: int | None,
            start_day: int | None = None, to_day: int | None = None) -> str:
    if start_day is not None and to_day is not None and start_day > to_day:
        return f"the diary opened on day {start_day}, after day {to_day}"
    if stop_day is not None and stop_day < max(from_day, start_day or from_day):
        return f"participation stopped on day {stop_day}, before day {from_day}"
    return f"no diary day due yet (today is day {today_day})"


def _check(from_day: int, to_day: int) -> None:
    if to_day < from_day:
        raise ValueError(f"to_day ({to_day}) must be >= from_day ({from_day})")


def compliance(
    series: DailySeries,
    *,
    from_day: int,
    to_day: int,
    today_day: int | None = None,
    stop_day: int | None = None,
    start_day: int | None = None,
) -> ScoreResult:
    """Percent of expected diary days from *from_day* to *to_day* that were completed.

    Parameters
    ----------
    series : DailySeries
        Observed days (anchor date = day 0).
    from_day, to_day : int
        Diary span, inclusive.
    today_day : int, optional
        The participant's current study day; days from it on are not yet due.
    stop_day : int, optional
        Last day of participation (withdrawal); later days are not expected.
    start_day : int, optional
        First day the diary was open (enrolment); earlier days are not expected.

    Returns
    -------
    ScoreResult
        ``value`` in percent, ``n_observed`` completed and ``n_expected`` days.

    Examples
    --------
    >>> s = DailySeries([1, 2, 4], [5.0, 5.0, 4.0])
    >>> r = compliance(s, from_day=1, to_day=35, today_day=6)     # days 1-5 due
    >>> r.value, r.n_observed, r.n_expected                       # 100*3/5
    (60.0, 3, 5)
    >>> compliance(s, from_day=1, to_day=35, today_day=4).value   # today done: 100*3/4
    75.0
    >>> compliance(DailySeries([], []), from_day=1, to_day=35, today_day=1).reason
    'no diary day due yet (today is day 1)'
    >>> day0 = DailySeries([0], [6.0])      # enrolled on day 0, filled it; today is day 0
    >>> compliance(day0, from_day=-7, to_day=42, today_day=0, start_day=0).value  # 100*1/1
    100.0
    """
    _check(from_day, to_day)
    lo = from_day if start_day is None else max(from_day, start_day)
    today_done = today_day is not None and lo <= today_day <= to_day and bool(
        series.mask(today_day, today_day).any())
    end = _end(to_day, today_day, stop_day, today_done)
    expected = max(0, end - lo + 1)
    if expected == 0:
        return ScoreResult(None, _reason(from_day, today_day, stop_day, start_day, to_day),
                           (), None, 0, 0)
    done = int(np.count_nonzero(series.mask(lo, end)))
    ids = series.ids_between(lo, end)
    return ScoreResult(100.0 * done / expected, None, ids, None, done, expected)


def compliance_batch(
    values_2d: np.ndarray,
    first_day: int,
    *,
    from_day: int,
    to_day: int,
    today_day: np.ndarray | int | None = None,
    stop_day: np.ndarray | int | None = None,
    start_day: np.ndarray | int | None = None,
) -> BatchResult:
    """Vectorised :func:`compliance`; *today_day* / *stop_day* / *start_day* may be per
    row.

    Per-row arrays use ``NO_DAY`` for "no limit" (``-NO_DAY`` for *start_day*).

    Examples
    --------
    >>> m = np.array([[5.0, 5.0, np.nan, 4.0], [1.0, 1.0, 1.0, 1.0]])   # days 1-4
    >>> r = compliance_batch(m, 1, from_day=1, to_day=4, today_day=np.array([5, 3]))
    >>> r.values.tolist()                                  # 100*3/4, 100*2/2
    [75.0, 100.0]
    """
    _check(from_day, to_day)
    w = window_view(np.asarray(values_2d, dtype=np.float64), int(first_day), from_day, to_day)
    n = w.shape[0]
    today = np.broadcast_to(np.asarray(NO_DAY if today_day is None else today_day),
                            (n,)).astype(np.int64)
    stop = np.broadcast_to(np.asarray(NO_DAY if stop_day is None else stop_day),
                           (n,)).astype(np.int64)
    start = np.broadcast_to(np.asarray(-NO_DAY if start_day is None else start_day),
                            (n,)).astype(np.int64)
    lo = np.maximum(from_day, start)
    obs = ~np.isnan(w)
    # Today counts once its entry is in (a day of the window, on or after the start).
    in_window = (today >= lo) & (today <= to_day)
    col = np.clip(today - from_day, 0, max(w.shape[1] - 1, 0))
    today_done = in_window & obs[np.arange(n), col] if n else in_window
    end = np.minimum(np.minimum(to_day, np.where(today_done, today, today - 1)), stop)
    expected = np.maximum(0, end - lo + 1)
    if not ((end < to_day) | (lo > from_day)).any():
        done = np.count_nonzero(obs, axis=1)
    else:
        cols = np.arange(w.shape[1])
        due_cols = (cols <= (end - from_day)[:, None]) & (cols >= (lo - from_day)[:, None])
        done = np.count_nonzero(obs & due_cols, axis=1)
    out = np.full(n, np.nan)
    due = expected > 0
    out[due] = 100.0 * done[due] / expected[due]

    def reason_of(i: int) -> str:
        t, s, b = int(today[i]), int(stop[i]), int(start[i])
        return _reason(from_day, None if t == NO_DAY else t, None if s == NO_DAY else s,
                       None if b == -NO_DAY else b, to_day)

    return BatchResult(
        out, reason_of, ((from_day, to_day),), None, done, expected, row_end=end,
        row_start=lo,
    )
