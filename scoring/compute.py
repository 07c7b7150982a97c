"""Computing validated endpoints: one participant-period, or many at once.

Specs come from :func:`scoring.endpoints.validate_endpoints` (declaration
order, so a derived endpoint follows what it derives from).  Outputs reading
day ``today_day`` or later are *pending*: no value, reason ``"pending: ..."``.
Days follow :mod:`scoring.days` (anchor date = day 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from scoring.compliance import NO_DAY
from scoring.days import DailySeries
from scoring.matrix import DailyMatrix
from scoring.results import BatchResult, ScoreResult
from scoring.spec import BatchInputs, EndpointSpec, PeriodInputs

__all__ = ["compute_endpoints", "compute_endpoints_batch", "per_row_days", "specs_span"]


def _pending(r: ScoreResult, last_day: int, today_day: int) -> ScoreResult:
    reason = f"pending: window ends day {last_day}, today is day {today_day}"
    return replace(r, value=None, reason=reason, dtype=None)


def compute_endpoints(
    specs: Sequence[EndpointSpec],
    series: DailySeries,
    *,
    today_day: int | None = None,
    stop_day: int | None = None,
    extra: Mapping[str, Any] | None = None,
    start_day: int | None = None,
) -> dict[str, ScoreResult]:
    """Compute validated endpoints for one participant-period.

    Parameters
    ----------
    specs : sequence of EndpointSpec
        From :func:`validate_endpoints`.
    series : DailySeries
        The period's daily scores (anchor date = day 0).
    today_day : int, optional
        Current study day; outputs reading day ``today_day`` or later are
        pending (no value, reason ``"pending: ..."``).  ``None``: all complete.
    stop_day : int, optional
        Last day of participation (withdrawal), for compliance.
    extra : mapping, optional
        Inputs of kinds that read more than the daily series.
    start_day : int, optional
        First day the diary was open (enrolment), for compliance.

    Returns
    -------
    dict
        Output key -> :class:`~scoring.results.ScoreResult`, in declaration order.

    Examples
    --------
    >>> from scoring.endpoints import validate_endpoints
    >>> specs = validate_endpoints([{"key": "d2", "kind": "timepoint", "day": 2}])
    >>> compute_endpoints(specs, DailySeries([1, 2], [3.0, 4.0]))["d2"].value
    4.0
    >>> compute_endpoints(specs, DailySeries([1], [3.0]), today_day=2)["d2"].reason
    'pending: window ends day 2, today is day 2'
    """
    inputs = PeriodInputs(series, today_day, stop_day, extra or {}, start_day)
    done: dict[str, ScoreResult] = {}
    for spec in specs:
        out = spec.compute(inputs, done)
        for o in spec.outputs():
            r = out[o.key]
            if today_day is not None and o.last_day is not None and today_day <= o.last_day:
                r = _pending(r, o.last_day, today_day)
            done[o.key] = r
    return done


def per_row_days(days: int | Sequence[int | None] | np.ndarray | None, n: int, *,
                 missing: int = NO_DAY) -> np.ndarray:
    """Per-row study days as int64, ``missing`` (``NO_DAY``) where ``None``.

    Examples
    --------
    >>> per_row_days([3, None], 2).tolist() == [3, NO_DAY]
    True
    """
    if days is None:
        return np.full(n, missing, dtype=np.int64)
    if isinstance(days, int | np.integer):
        return np.full(n, int(days), dtype=np.int64)
    if isinstance(days, np.ndarray):
        out = days.astype(np.int64)
    elif None not in days:  # the common case, converted in C
        out = np.array(days, dtype=np.int64)
    else:
        # Also in C: None becomes NaN as a float (study days are far below 2**53).
        as_float = np.array(days, dtype=np.float64)
        given = ~np.isnan(as_float)
        out = np.full(as_float.shape, missing, dtype=np.int64)
        out[given] = as_float[given]
    if out.shape != (n,):
        raise ValueError(f"expected {n} per-row days, got shape {out.shape}")
    return out


def compute_endpoints_batch(
    specs: Sequence[EndpointSpec],
    matrix: DailyMatrix,
    *,
    today_day: int | Sequence[int | None] | np.ndarray | None = None,
    stop_day: int | Sequence[int | None] | np.ndarray | None = None,
    extra: Sequence[Mapping[str, Any]] | None = None,
    start_day: int | Sequence[int | None] | np.ndarray | None = None,
) -> dict[str, BatchResult]:
    """:func:`compute_endpoints` for every row of *matrix* at once.

    *today_day*, *stop_day* and *start_day* may be one day for all rows or one per row
    (``None`` for none).  Row ``i`` of each result equals
    ``compute_endpoints(specs, matrix.series(i), ...)``.

    Examples
    --------
    >>> from scoring.endpoints import validate_endpoints
    >>> specs = validate_endpoints([{"key": "d2", "kind": "timepoint", "day": 2}])
    >>> m = DailyMatrix(np.array([[3.0, 4.0], [3.0, np.nan]]), first_day=1)
    >>> r = compute_endpoints_batch(specs, m)["d2"]
    >>> r.values.tolist()[0], r.reason(1)
    (4.0, 'day 2 not observed')
    """
    n = matrix.n_rows
    today = per_row_days(today_day, n)
    start = None if start_day is None else per_row_days(start_day, n, missing=-NO_DAY)
    inputs = BatchInputs(matrix, today, per_row_days(stop_day, n), extra, start)
    done: dict[str, BatchResult] = {}
    for spec in specs:
        out = spec.compute_batch(inputs, done)
        for o in spec.outputs():
            r = out[o.key]
            if o.last_day is not None and today_day is not None:
                r = _pending_batch(r, today, o.last_day)
            done[o.key] = r
    return done


def _pending_batch(r: BatchResult, today: np.ndarray, last_day: int) -> BatchResult:
    pending = today <= last_day
    if not pending.any():
        return r
    values = np.where(pending, np.nan, r.values)
    mask = None if r.dtype_mask is None else np.where(pending, 0, r.dtype_mask).astype(np.uint8)
    inner = r.reason_of

    def reason_of(i: int) -> str:
        if pending[i]:
            return f"pending: window ends day {last_day}, today is day {int(today[i])}"
        return inner(i)

    return replace(r, values=values, reason_of=reason_of, dtype_mask=mask)


def specs_span(specs: Sequence[EndpointSpec]) -> tuple[int, int] | None:
    """First and last study day any spec reads (``None`` if none reads days).

    Examples
    --------
    >>> from scoring.endpoints import validate_endpoints
    >>> specs_span(validate_endpoints([{"key": "b", "kind": "baseline"},
    ...                                {"key": "a", "kind": "auc", "from_day": 1, "to_day": 35}]))
    (-7, 35)
    """
    spans = [s.span() for s in specs]
    spans = [x for x in spans if x is not None]
    if not spans:
        return None
    return min(lo for lo, _ in spans), max(hi for _, hi in spans)
