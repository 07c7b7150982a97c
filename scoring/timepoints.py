"""Values at a day and weekly means: the mean of the observed days of a window.

Convention (days as in :mod:`scoring.days`, anchor date = day 0): the value at
day ``d`` with ``window=w`` is the mean of the observed days ``d-w`` to ``d+w``
(``w=0``: the day itself).  Week ``n`` is days ``7n-6`` to ``7n`` (week 1 =
days 1-7), and its mean needs ``min_days`` observed days (default 4).  Missing
days are not imputed; too few observed days give no value, with the reason.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from scoring.days import DailySeries
from scoring.matrix import window_view
from scoring.reasons import day_not_observed, too_few_days, window_name
from scoring.results import BatchResult, ScoreResult

__all__ = ["value_at", "week_days", "weekly_mean", "window_mean", "window_mean_batch"]


def week_days(week: int) -> tuple[int, int]:
    """First and last study day of week *week*: days ``7n-6`` to ``7n``.

    Examples
    --------
    >>> week_days(1), week_days(12)
    ((1, 7), (78, 84))
    """
    if isinstance(week, bool) or not isinstance(week, int | np.integer):
        raise ValueError(f"week must be an integer, got {week!r}")
    return 7 * int(week) - 6, 7 * int(week)


def _check(lo: int, hi: int, min_days: int) -> None:
    if hi < lo:
        raise ValueError(f"window end {hi} is before its start {lo}")
    if isinstance(min_days, bool) or not isinstance(min_days, int) or min_days < 1:
        raise ValueError(f"min_days must be an integer >= 1, got {min_days!r}")


@lru_cache(maxsize=4096)  # one text per window and count: a study repeats them
def _reason(n: int, lo: int, hi: int, min_days: int, name: str | None = None) -> str:
    if lo == hi and name is None:
        return day_not_observed(lo)
    return too_few_days(name or window_name(lo, hi), n, hi - lo + 1, min_days)


def window_mean(series: DailySeries, *, lo: int, hi: int, min_days: int = 1,
                name: str | None = None) -> ScoreResult:
    """Mean of the observed scores on days *lo* to *hi* (inclusive).

    Parameters
    ----------
    series : DailySeries
        Observed days (anchor date = day 0).
    lo, hi : int
        Window, inclusive.
    min_days : int
        Observed days required for a value.
    name : str, optional
        The window's name in the reason ("baseline"); default "week 5", "days 27 to 29"...

    Returns
    -------
    ScoreResult
        The mean, or ``None`` with the reason; ``n_observed`` / ``n_expected``.

    Examples
    --------
    >>> s = DailySeries([-7, -6, -3, -1], [6.0, 7.0, 5.0, 6.0])
    >>> window_mean(s, lo=-7, hi=-1, min_days=4).value        # (6+7+5+6)/4
    6.0
    >>> window_mean(s, lo=-7, hi=-1, min_days=5).reason
    'days -7 to -1 have 4 of 7 days, 5 needed'
    """
    _check(lo, hi, min_days)
    sel = series.mask(lo, hi)
    v = series.values[sel]
    n, m = int(v.size), hi - lo + 1
    ids = series.ids_between(lo, hi)
    if n < min_days:
        return ScoreResult(None, _reason(n, lo, hi, min_days, name), ids, n_observed=n,
                           n_expected=m)
    return ScoreResult(float(v.sum() / n), None, ids, n_observed=n, n_expected=m)


def value_at(
    series: DailySeries, day: int, *, window: int = 0, min_days: int = 1
) -> ScoreResult:
    """Score at *day*: the day itself, or the mean of days ``day ± window``.

    Examples
    --------
    >>> s = DailySeries([6, 8], [4.0, 6.0])
    >>> value_at(s, 7).reason
    'day 7 not observed'
    >>> value_at(s, 7, window=1).value                         # (4+6)/2
    5.0
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        raise ValueError(f"window must be an integer >= 0, got {window!r}")
    return window_mean(series, lo=day - window, hi=day + window, min_days=min_days)


def weekly_mean(series: DailySeries, week: int, *, min_days: int = 4) -> ScoreResult:
    """Mean score of week *week* (days ``7n-6`` to ``7n``), ``min_days`` observed.

    Examples
    --------
    >>> s = DailySeries([8, 9, 10, 11, 12], [5.0, 4.0, 4.0, 3.0, 5.0])
    >>> weekly_mean(s, 2).value                                # (5+4+4+3+5)/5
    4.2
    >>> weekly_mean(s, 1).reason
    'week 1 has 0 of 7 days, 4 needed'
    """
    lo, hi = week_days(week)
    return window_mean(series, lo=lo, hi=hi, min_days=min_days)


def window_mean_batch(
    values_2d: np.ndarray, first_day: int, *, lo: int, hi: int, min_days: int = 1,
    name: str | None = None,
) -> BatchResult:
    """Vectorised :func:`window_mean` over the rows of a day matrix.

    Parameters
    ----------
    values_2d : numpy.ndarray, shape (n_rows, n_days)
        Daily scores, NaN where missing; column 0 is study day *first_day*.
    first_day, lo, hi, min_days : int
        As in :func:`window_mean`.
    name : str, optional
        As in :func:`window_mean`.

    Examples
    --------
    >>> m = np.array([[4.0, np.nan, 6.0], [np.nan, np.nan, 1.0]])      # days 6-8
    >>> r = window_mean_batch(m, 6, lo=6, hi=8, min_days=2)
    >>> r.values.tolist()[0], r.reason(1)
    (5.0, 'days 6 to 8 have 1 of 3 days, 2 needed')
    """
    _check(lo, hi, min_days)
    w = window_view(np.asarray(values_2d, dtype=np.float64), int(first_day), lo, hi)
    obs = ~np.isnan(w)
    n_obs = np.count_nonzero(obs, axis=1)
    total = np.where(obs, w, 0.0).sum(axis=1)
    ok = n_obs >= min_days
    out = np.full(w.shape[0], np.nan)
    out[ok] = total[ok] / n_obs[ok]

    if lo == hi:  # one day: every row without a value has the same reason
        text = _reason(0, lo, hi, min_days, name)

        def reason_of(i: int) -> str:
            return text
    else:
        def reason_of(i: int) -> str:
            return _reason(int(n_obs[i]), lo, hi, min_days, name)

    m = hi - lo + 1
    return BatchResult(
        out, reason_of, ((lo, hi),), None, n_obs, np.full(w.shape[0], m, dtype=np.int64)
    )
