"""Diary compliance: completed over expected diary days, in percent.

Convention (days as in :mod:`scoring.days`): the expected days of a span
``from_day`` to ``to_day`` stop before *today* (today's entry may still come)
and at ``stop_day``, the last day of participation (withdrawal), inclusive.
Compliance is ``100 * completed / expected``; with no expected day yet there
is no value.
"""

from __future__ import annotations

import numpy as np

from scoring.days import DailySeries
from scoring.matrix import window_view
from scoring.results import BatchResult, ScoreResult

__all__ = ["NO_DAY", "compliance", "compliance_batch"]

#: Stand-in for "no limit" in per-row ``today_day`` / ``stop_day`` arrays.
NO_DAY = np.iinfo(np.int64).max // 2


def _end(to_day: int, today_day: int | None, stop_day: int | None) -> int:
    end = to_day
    if today_day is not None:
        end = min(end, today_day - 1)
    if stop_day is not None:
        end = min(end, stop_day)
    return end


def _reason(from_day: int, today_day: int | None, stop_day: int | None) -> str:
    if stop_day is not None and stop_day < from_day:
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
    >>> compliance(s, from_day=1, to_day=35, today_day=1).reason
    'no diary day due yet (today is day 1)'
    """
    _check(from_day, to_day)
    end = _end(to_day, today_day, stop_day)
    expected = max(0, end - from_day + 1)
    if expected == 0:
        return ScoreResult(None, _reason(from_day, today_day, stop_day), (), None, 0, 0)
    done = int(np.count_nonzero(series.mask(from_day, end)))
    ids = series.ids_between(from_day, end)
    return ScoreResult(100.0 * done / expected, None, ids, None, done, expected)


def compliance_batch(
    values_2d: np.ndarray,
    first_day: int,
    *,
    from_day: int,
    to_day: int,
    today_day: np.ndarray | int | None = None,
    stop_day: np.ndarray | int | None = None,
) -> BatchResult:
    """Vectorised :func:`compliance`; *today_day* / *stop_day* may be per row.

    Per-row arrays use ``NO_DAY`` for "no limit".

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
    today = np.broadcast_to(np.asarray(NO_DAY if today_day is None else today_day), (n,))
    stop = np.broadcast_to(np.asarray(NO_DAY if stop_day is None else stop_day), (n,))
    end = np.minimum(np.minimum(to_day, today.astype(np.int64) - 1), stop.astype(np.int64))
    expected = np.maximum(0, end - from_day + 1)
    obs = ~np.isnan(w)
    if not (end < to_day).any():
        done = np.count_nonzero(obs, axis=1)
    else:
        due_cols = np.arange(w.shape[1]) <= (end - from_day)[:, None]
        done = np.count_nonzero(obs & due_cols, axis=1)
    out = np.full(n, np.nan)
    due = expected > 0
    out[due] = 100.0 * done[due] / expected[due]

    def reason_of(i: int) -> str:
        t, s = int(today[i]), int(stop[i])
        return _reason(from_day, None if t == NO_DAY else t, None if s == NO_DAY else s)

    return BatchResult(
        out, reason_of, ((from_day, to_day),), None, done, expected, row_end=end
    )
