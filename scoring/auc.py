"""Area under the daily score curve, linear trapezoidal rule, in score-days.

Convention: over days ``a`` to ``b`` (anchor date = day 0, see
:mod:`scoring.days`) the AUC is the integral of the score from day ``a`` to day
``b``, so a constant score ``c`` gives ``c * (b - a)``.  Only observations
inside the window are used.  A missing interior day is linearly interpolated
between its observed neighbours (the same as the trapezoid over the observed
points); a missing first or last day follows ``ends``: ``"carry"`` extends the
nearest observed value to the window edge (DTYPE NOCB / LOCF), ``"none"`` gives
no value.  A coverage rule (``min_coverage`` fraction, ``min_days`` count;
default at least one day) gives no value, with the reason, below it.

References
----------
Issue 3 ("AUC of a daily score over [a, b] days"); PKNCA's ``pk.calc.auc``
for the result-with-reason habit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from scoring.days import DailySeries
from scoring.matrix import window_view
from scoring.reasons import too_few_days, window_name
from scoring.results import DTYPE_INTERP, DTYPE_LOCF, DTYPE_NOCB, BatchResult, ScoreResult
from scoring.results import dtype_label as _label

__all__ = ["ENDS", "CoverageRule", "auc", "auc_batch"]

ENDS = ("carry", "none")


@dataclass(frozen=True, slots=True)
class CoverageRule:
    """Minimum observed days in a window: a fraction, a count, or both.

    Examples
    --------
    >>> rule = CoverageRule(min_coverage=0.8)
    >>> rule.required(35)                 # 0.8 * 35 = 28, decided exactly
    28
    >>> rule.reason(27, 35, "days 1 to 35")
    'days 1 to 35 have 27 of 35 days, 80 % needed'
    >>> CoverageRule(min_days=4).reason(3, 7, "week 2")
    'week 2 has 3 of 7 days, 4 needed'
    """

    min_coverage: float | None = None
    min_days: int | None = None

    def __post_init__(self) -> None:
        c, k = self.min_coverage, self.min_days
        if c is not None and (isinstance(c, bool) or not isinstance(c, int | float)
                              or not 0 < c <= 1):
            raise ValueError(f"min_coverage must be a fraction in (0, 1], got {c!r}")
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise ValueError(f"min_days must be an integer >= 1, got {k!r}")

    def _by_coverage(self, n_days: int) -> int:
        if self.min_coverage is None:
            return 0
        # Fraction(str(0.8)) is exactly 4/5: 0.8 * 35 must require 28 days, not 29.
        return math.ceil(Fraction(str(self.min_coverage)) * n_days)

    def required(self, n_days: int) -> int:
        """Observed days required in a window of *n_days* days (at least 1)."""
        return max(1, self._by_coverage(n_days), self.min_days or 0)

    def reason(self, n_observed: int, n_days: int, what: str = "the window") -> str:
        """Why *n_observed* of the *n_days* days of *what* (a window name) is not enough."""
        # Cached: a study's reasons repeat, and the exact fractions cost ~20 us each.
        return _coverage_reason(self, int(n_observed), int(n_days), what)

    def _reason(self, n_observed: int, n_days: int, what: str) -> str:
        by_cov = self._by_coverage(n_days)
        if self.min_coverage is not None and by_cov >= (self.min_days or 0) and by_cov >= 1:
            needed = f"{float(Fraction(str(self.min_coverage)) * 100):g} %"
        else:
            needed = str(self.required(n_days))
        return too_few_days(what, n_observed, n_days, needed)


@lru_cache(maxsize=4096)
def _coverage_reason(rule: CoverageRule, n_observed: int, n_days: int, what: str) -> str:
    return rule._reason(n_observed, n_days, what)


def _ends_reason(a: int, b: int, first_missing: bool, last_missing: bool) -> str:
    if first_missing and last_missing:
        return f"days {a} and {b} not observed (ends='none')"
    return f"day {a if first_missing else b} not observed (ends='none')"


def _check(a: int, b: int, ends: str) -> None:
    for name, v in (("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ValueError(f"{name} must be an integer study day, got {v!r}")
    if b < a:
        raise ValueError(f"b ({b}) must be >= a ({a})")
    if ends not in ENDS:
        raise ValueError(f"ends must be one of {ENDS}, got {ends!r}")


def auc(
    series: DailySeries,
    *,
    a: int,
    b: int,
    ends: str = "carry",
    min_coverage: float | None = None,
    min_days: int | None = None,
) -> ScoreResult:
    """AUC of a daily score over days *a* to *b* (score-days, trapezoidal rule).

    Parameters
    ----------
    series : DailySeries
        Observed days (anchor date = day 0); missing days are absent.
    a, b : int
        First and last day of the window, inclusive; ``b >= a``.
    ends : {"carry", "none"}
        Rule for a missing first or last day (module notes).
    min_coverage : float, optional
        Minimum fraction of the ``b - a + 1`` days observed, e.g. 0.8.
    min_days : int, optional
        Minimum number of observed days.

    Returns
    -------
    ScoreResult
        ``value`` in score-days, or ``None`` with ``reason``; ``dtype`` names
        the imputation used; ``entry_ids`` the entries inside the window.

    Examples
    --------
    Days 1-4 scored 2, (3 missing), 6, 4: ``(2+4)/2*1 + (4+6)/2*1 + (6+4)/2*1``
    with day 2 interpolated as 4.

    >>> s = DailySeries([1, 3, 4], [2.0, 6.0, 4.0])
    >>> r = auc(s, a=1, b=4)
    >>> r.value, r.dtype
    (13.0, 'INTERP')
    >>> r = auc(s, a=1, b=5)                      # day 5 carried from day 4
    >>> r.value, r.dtype
    (17.0, 'INTERP+LOCF')
    >>> auc(s, a=1, b=5, ends="none").reason
    "day 5 not observed (ends='none')"
    >>> auc(s, a=1, b=5, min_coverage=0.8).reason
    'days 1 to 5 have 3 of 5 days, 80 % needed'
    """
    _check(a, b, ends)
    rule = CoverageRule(min_coverage, min_days)
    m = b - a + 1
    sel = series.mask(a, b)
    d, v = series.days[sel], series.values[sel]
    ids, n = series.ids_between(a, b), int(d.size)
    if n < rule.required(m):
        return ScoreResult(None, rule.reason(n, m, window_name(a, b)), ids, n_observed=n,
                           n_expected=m)
    first_missing, last_missing = bool(d[0] > a), bool(d[-1] < b)
    if ends == "none" and (first_missing or last_missing):
        reason = _ends_reason(a, b, first_missing, last_missing)
        return ScoreResult(None, reason, ids, n_observed=n, n_expected=m)
    mask = DTYPE_INTERP if bool(np.any(np.diff(d) > 1)) else 0
    if first_missing:
        d, v, mask = np.concatenate(([a], d)), np.concatenate((v[:1], v)), mask | DTYPE_NOCB
    if last_missing:
        d, v, mask = np.concatenate((d, [b])), np.concatenate((v, v[-1:])), mask | DTYPE_LOCF
    value = float(np.trapezoid(v, d)) if d.size > 1 else 0.0
    return ScoreResult(value, None, ids, _label(mask), n_observed=n, n_expected=m)


def auc_batch(
    values_2d: np.ndarray,
    first_day: int,
    *,
    a: int,
    b: int,
    ends: str = "carry",
    min_coverage: float | None = None,
    min_days: int | None = None,
) -> BatchResult:
    """Vectorised :func:`auc` for many rows at once (same rules, same reasons).

    Parameters
    ----------
    values_2d : numpy.ndarray, shape (n_rows, n_days)
        Daily scores, NaN where missing; column 0 is study day *first_day*.
    first_day : int
        Study day of column 0 (anchor date = day 0).
    a, b, ends, min_coverage, min_days
        As in :func:`auc`.

    Returns
    -------
    BatchResult
        ``values`` (NaN = no value, see ``reason(i)``), ``dtype_mask``,
        ``n_observed``, ``n_expected``.

    Examples
    --------
    >>> m = np.array([[2.0, np.nan, 6.0, 4.0], [1.0, 1.0, 1.0, 1.0]])   # days 1-4
    >>> r = auc_batch(m, 1, a=1, b=4)
    >>> r.values.tolist(), [r.result(i).dtype for i in range(2)]
    ([13.0, 3.0], ['INTERP', None])
    """
    _check(a, b, ends)
    rule = CoverageRule(min_coverage, min_days)
    w = window_view(np.asarray(values_2d, dtype=np.float64), int(first_day), a, b)
    n_rows, m = w.shape
    obs = ~np.isnan(w)
    n_obs = np.count_nonzero(obs, axis=1)
    k = rule.required(m)
    first_obs, last_obs = obs[:, 0], obs[:, -1]
    valid = n_obs >= k
    if ends == "none":
        valid &= first_obs & last_obs
    # Complete rows: the plain trapezoid with unit steps (NaN elsewhere, replaced below).
    out = w.sum(axis=1) - (w[:, 0] + w[:, -1]) / 2
    out[~valid] = np.nan
    dmask = np.zeros(n_rows, dtype=np.uint8)
    part = np.flatnonzero(valid & (n_obs < m))
    if part.size:
        out[part], dmask[part] = _gappy_auc(w.T[:, part], n_obs[part], ends)

    def reason_of(i: int) -> str:
        n = int(n_obs[i])
        if n < k:
            return rule.reason(n, m, window_name(a, b))
        return _ends_reason(a, b, not first_obs[i], not last_obs[i])

    return BatchResult(
        out, reason_of, ((a, b),), dmask, n_obs, np.full(n_rows, m, dtype=np.int64)
    )


def _gappy_auc(wt: np.ndarray, n_obs: np.ndarray, ends: str) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoid AUC of rows with gaps, given day-major (days x rows): one sweep.

    Each observed day closes the segment from the previous observed day of its
    row: ``(v_prev + v) / 2 * (day - day_prev)``, which is what interpolating
    the days between gives.  ``ends="carry"`` then adds the first value times
    the days before it and the last value times the days after it.
    """
    m, n = wt.shape
    wt = np.ascontiguousarray(wt)
    obs = ~np.isnan(wt)
    segments = np.empty((m, n))
    last_val = np.full(n, np.nan)               # NaN until a row's first observation
    last_day = np.zeros(n)
    for j in range(m):
        np.add(last_val, wt[j], out=segments[j])            # NaN unless both observed
        segments[j] *= j - last_day
        np.copyto(last_val, wt[j], where=obs[j])
        np.copyto(last_day, j, where=obs[j])
    segments[np.isnan(segments)] = 0.0
    values = segments.sum(axis=0) / 2
    first_c = np.argmax(obs, axis=0)            # every row here has >= 1 observation
    last_c = last_day.astype(np.int64)
    if ends == "carry":
        values += wt[first_c, np.arange(n)] * first_c + last_val * (m - 1 - last_c)
    mask = (
        (last_c - first_c + 1 > n_obs) * DTYPE_INTERP
        + (first_c > 0) * DTYPE_NOCB
        + (last_c < m - 1) * DTYPE_LOCF
    ).astype(np.uint8)
    return values, mask
