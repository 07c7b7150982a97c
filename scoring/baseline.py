"""Baseline, change, percent change and responders.

Conventions (days as in :mod:`scoring.days`):

- **Baseline** defaults to the mean of days -7 to -1 with at least 4 observed.
- **Change** is ``value - baseline``; **percent change** is
  ``100 * (value - baseline) / baseline``, rounded to 6 decimals
  (``PCHG_DECIMALS``) so that float noise cannot move a value across a
  threshold: ``100*(4.2-6)/6`` is ``-29.999999999999996`` in floats and must
  count as a 30 % reduction (PITFALLS.md, "Scoring").  A baseline of 0 gives
  no percent change.
- A **responder** at ``reduction_percent=30`` has percent change ``<= -30``
  (IMMPACT: 30 % and 50 % reduction, Dworkin et al., J Pain 2008;9:105-121).
  The flag is 1.0 (responder) or 0.0.
"""

from __future__ import annotations

import numpy as np

from scoring.days import DailySeries
from scoring.reasons import about
from scoring.results import BatchResult, ScoreResult, merge_ids
from scoring.timepoints import window_mean

__all__ = [
    "PCHG_DECIMALS",
    "baseline",
    "change",
    "change_batch",
    "percent_change",
    "percent_change_batch",
    "percent_change_values",
    "responder",
    "responder_batch",
]

PCHG_DECIMALS = 6


def baseline(
    series: DailySeries, *, from_day: int = -7, to_day: int = -1, min_days: int = 4
) -> ScoreResult:
    """Baseline: mean of the observed days *from_day* to *to_day*.

    Examples
    --------
    >>> s = DailySeries([-7, -5, -3, -1], [6.0, 6.0, 5.0, 7.0])
    >>> baseline(s).value                                      # (6+6+5+7)/4
    6.0
    >>> baseline(DailySeries([-2, -1], [6.0, 6.0])).reason
    'baseline has 2 of 7 days, 4 needed'
    """
    if to_day < from_day:
        raise ValueError(f"to_day ({to_day}) must be >= from_day ({from_day})")
    return window_mean(series, lo=from_day, hi=to_day, min_days=min_days, name="baseline")


def percent_change_values(values: np.ndarray, bases: np.ndarray) -> np.ndarray:
    """``100 * (v - b) / b`` rounded to ``PCHG_DECIMALS``; NaN where undefined.

    NaN marks a missing input or a zero baseline.

    Examples
    --------
    >>> percent_change_values(np.array([4.2, 3.0]), np.array([6.0, 0.0])).tolist()
    [-30.0, nan]
    """
    v, b = np.asarray(values, dtype=np.float64), np.asarray(bases, dtype=np.float64)
    safe = np.where(b == 0, np.nan, b)
    return np.round(100.0 * (v - safe) / safe, PCHG_DECIMALS)


def _check_threshold(reduction_percent: float) -> None:
    if isinstance(reduction_percent, bool) or not (0 < reduction_percent <= 100):
        raise ValueError(f"reduction_percent must be in (0, 100], got {reduction_percent!r}")


_NAMES = (None, "baseline")


def _missing_text(names: tuple[str | None, str | None], value_reason: str | None,
                  base_reason: str | None) -> str:
    """The reason of a derived value: its source's, told of the value (scoring.reasons).

    *names* are the reader's names of the value ("week 5") and of its baseline.
    """
    if value_reason is not None:
        return about(names[0], value_reason)
    return about(names[0], about(names[1], base_reason or ""))


def _missing(value: ScoreResult, base: ScoreResult, names: tuple[str, str]) -> str | None:
    if value.value is None:
        return _missing_text(names, value.reason, None)
    if base.value is None:
        return _missing_text(names, None, base.reason)
    return None


def change(
    value: ScoreResult, base: ScoreResult, *, names: tuple[str | None, str | None] = _NAMES
) -> ScoreResult:
    """Change from baseline, ``value - base``; *names* label the reasons.

    Examples
    --------
    >>> change(ScoreResult(4.0), ScoreResult(6.0)).value
    -2.0
    >>> change(ScoreResult(None, "day 28 not observed"), ScoreResult(6.0)).reason
    'day 28 not observed'
    >>> change(ScoreResult(4.0), ScoreResult(None, "baseline has 2 of 7 days, 4 needed"),
    ...        names=("week 5", "baseline")).reason
    'week 5: baseline has 2 of 7 days, 4 needed'
    """
    ids = merge_ids(value.entry_ids, base.entry_ids)
    reason = _missing(value, base, names)
    if reason is not None:
        return ScoreResult(None, reason, ids, base=base.value)
    return ScoreResult(value.value - base.value, None, ids, value.dtype, base=base.value)


def percent_change(
    value: ScoreResult, base: ScoreResult, *, names: tuple[str | None, str | None] = _NAMES
) -> ScoreResult:
    """Percent change from baseline, rounded to ``PCHG_DECIMALS`` decimals.

    Examples
    --------
    >>> percent_change(ScoreResult(4.2), ScoreResult(6.0)).value   # 100*(4.2-6)/6
    -30.0
    >>> percent_change(ScoreResult(4.0), ScoreResult(0.0)).reason
    'baseline is 0: percent change undefined'
    """
    ids = merge_ids(value.entry_ids, base.entry_ids)
    reason = _missing(value, base, names)
    if reason is None and base.value == 0:
        reason = "baseline is 0: percent change undefined"
    if reason is not None:
        return ScoreResult(None, reason, ids, base=base.value)
    pchg = float(percent_change_values(np.array(value.value), np.array(base.value)))
    return ScoreResult(pchg, None, ids, value.dtype, base=base.value)


def responder(
    pchg: ScoreResult, *, reduction_percent: float, name: str | None = None
) -> ScoreResult:
    """Responder flag (1.0 / 0.0): percent change ``<= -reduction_percent``.

    *name* prefixes the reason when *pchg* has no value (``None``: no prefix).

    Examples
    --------
    >>> responder(ScoreResult(-30.0), reduction_percent=30).value
    1.0
    >>> responder(ScoreResult(-29.5), reduction_percent=30).value
    0.0
    """
    _check_threshold(reduction_percent)
    if pchg.value is None:
        reason = about(name, pchg.reason)
        return ScoreResult(None, reason, pchg.entry_ids, base=pchg.base)
    p = float(np.round(pchg.value, PCHG_DECIMALS))
    flag = 1.0 if p <= -reduction_percent else 0.0
    return ScoreResult(flag, None, pchg.entry_ids, pchg.dtype, base=pchg.base)


def _batch_missing(value: BatchResult, base: BatchResult, names: tuple[str, str]):
    def reason_of(i: int) -> str:
        if value.values[i] != value.values[i]:
            return _missing_text(names, value.reason_of(i), None)
        if base.values[i] != base.values[i]:
            return _missing_text(names, None, base.reason_of(i))
        return "baseline is 0: percent change undefined"

    return reason_of


def _dtype_where(src: BatchResult, out: np.ndarray) -> np.ndarray | None:
    if src.dtype_mask is None:
        return None
    return np.where(np.isnan(out), 0, src.dtype_mask).astype(np.uint8)


def change_batch(
    value: BatchResult, base: BatchResult, *, names: tuple[str | None, str | None] = _NAMES
) -> BatchResult:
    """Vectorised :func:`change` (same values, reasons and entry ids)."""
    out = value.values - base.values
    reason_of = _batch_missing(value, base, names)
    return BatchResult(
        out, reason_of, dtype_mask=_dtype_where(value, out), base=base.values,
        sources=(value, base),
    )


def percent_change_batch(
    value: BatchResult, base: BatchResult, *, names: tuple[str | None, str | None] = _NAMES
) -> BatchResult:
    """Vectorised :func:`percent_change` (same values, reasons and entry ids)."""
    out = percent_change_values(value.values, base.values)
    reason_of = _batch_missing(value, base, names)
    return BatchResult(
        out, reason_of, dtype_mask=_dtype_where(value, out), base=base.values,
        sources=(value, base),
    )


def responder_batch(
    pchg: BatchResult, *, reduction_percent: float, name: str | None = None
) -> BatchResult:
    """Vectorised :func:`responder` (1.0 / 0.0, NaN where no percent change)."""
    _check_threshold(reduction_percent)
    p = np.round(pchg.values, PCHG_DECIMALS)
    out = np.where(np.isnan(p), np.nan, (p <= -reduction_percent).astype(np.float64))

    def reason_of(i: int) -> str:
        return about(name, pchg.reason_of(i))

    return BatchResult(
        out, reason_of, dtype_mask=_dtype_where(pchg, out), base=pchg.base, sources=(pchg,)
    )
