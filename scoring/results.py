"""Result types: one value with its reason, or a vectorised batch of them.

A derived value is either a finite float or ``None`` with a reason (PKNCA's
habit); it never is NaN.  ``dtype`` names the imputation used, as ADaM's DTYPE:

========  ==============================================================
INTERP    a missing interior day was linearly interpolated
NOCB      the first observed value was carried back to the window start
LOCF      the last observed value was carried forward to the window end
========  ==============================================================

Several methods are joined with ``+`` in that order (``"INTERP+LOCF"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "DTYPE_INTERP",
    "DTYPE_LOCF",
    "DTYPE_NOCB",
    "BatchResult",
    "ScoreResult",
    "dtype_label",
    "merge_ids",
]

DTYPE_INTERP = 1
DTYPE_NOCB = 2
DTYPE_LOCF = 4
_DTYPE_NAMES = ((DTYPE_INTERP, "INTERP"), (DTYPE_NOCB, "NOCB"), (DTYPE_LOCF, "LOCF"))


def dtype_label(mask: int) -> str | None:
    """Return the DTYPE text for a bit mask of imputation methods (``None`` for 0).

    Examples
    --------
    >>> dtype_label(DTYPE_INTERP | DTYPE_LOCF), dtype_label(0)
    ('INTERP+LOCF', None)
    """
    names = [name for bit, name in _DTYPE_NAMES if mask & bit]
    return "+".join(names) or None


def merge_ids(*groups: Sequence[str]) -> tuple[str, ...]:
    """Concatenate id groups in order, keeping the first occurrence of each id.

    Examples
    --------
    >>> merge_ids(("a", "b"), ("b", "c"))
    ('a', 'b', 'c')
    """
    return tuple(dict.fromkeys(i for g in groups for i in g))


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """One derived value, or ``None`` with the reason there is none.

    Attributes
    ----------
    value : float or None
        The value; ``None`` exactly when ``reason`` is set.
    reason : str or None
        Why there is no value (``"week 5 has 3 of 7 days, 4 needed"``).
    entry_ids : tuple of str
        Ids of the diary entries read to derive it, in day order per window.
    dtype : str or None
        ADaM DTYPE of an imputed value (see module notes); ``None`` if not imputed.
    n_observed, n_expected : int or None
        Observed and expected days of the window it reads, when that applies.
    base : float or None
        Baseline value used (change, percent change, responder).

    Examples
    --------
    >>> ScoreResult(None, "day 7 not observed").ok
    False
    >>> ScoreResult(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: value must be finite, got nan; use value=None with a reason
    """

    value: float | None
    reason: str | None = None
    entry_ids: tuple[str, ...] = ()
    dtype: str | None = None
    n_observed: int | None = None
    n_expected: int | None = None
    base: float | None = None

    def __post_init__(self) -> None:
        if self.value is None:
            if not self.reason:
                raise ValueError("a result without a value needs a reason")
            if self.dtype is not None:
                raise ValueError("a result without a value has no dtype")
        else:
            if not math.isfinite(self.value):
                raise ValueError(
                    f"value must be finite, got {self.value}; use value=None with a reason"
                )
            if self.reason is not None:
                raise ValueError("a result with a value has no reason")
            object.__setattr__(self, "value", float(self.value))

    @property
    def ok(self) -> bool:
        """True when there is a value."""
        return self.value is not None


def _no_reason(i: int) -> str:
    raise AssertionError(f"row {i} has a value")


@dataclass(frozen=True, eq=False)
class BatchResult:
    """The same derivation for many rows (one row = one participant-period).

    Reasons are built lazily, only for rows without a value, so scoring a large
    study does not format thousands of strings nobody reads.

    Attributes
    ----------
    values : numpy.ndarray of float64
        One value per row; NaN marks "no value" (see :meth:`reason`).
    reason_of : callable
        ``reason_of(i)`` returns the reason text for a row without a value.
    windows : tuple of (int, int)
        Day windows read, in source order; ``entry_ids`` are collected from them.
    dtype_mask : numpy.ndarray of uint8, optional
        DTYPE bits per row (0 where no value).
    n_observed, n_expected : numpy.ndarray of int, optional
    base : numpy.ndarray of float64, optional
        Baseline per row (NaN where none).
    row_end : numpy.ndarray of int, optional
        Per-row last day read, clipping ``windows`` (compliance).
    row_start : numpy.ndarray of int, optional
        Per-row first day read, clipping ``windows`` (compliance: enrolment).
    row_ids : sequence of tuple of str, optional
        Per-row entry ids, overriding ``windows`` (kinds without a batch path).
    sources : tuple of BatchResult
        Results this one derives from (change, percent change, responder); its
        entry ids are theirs, merged in order.
    """

    values: np.ndarray
    reason_of: Callable[[int], str] = _no_reason
    windows: tuple[tuple[int, int], ...] = ()
    dtype_mask: np.ndarray | None = None
    n_observed: np.ndarray | None = None
    n_expected: np.ndarray | None = None
    base: np.ndarray | None = None
    row_end: np.ndarray | None = None
    row_start: np.ndarray | None = None
    row_ids: Sequence[tuple[str, ...]] | None = field(default=None, repr=False)
    sources: tuple[BatchResult, ...] = field(default=(), repr=False)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def reason(self, i: int) -> str | None:
        """Reason for row *i*, or ``None`` if it has a value."""
        v = self.values[i]
        return None if v == v else self.reason_of(i)

    def reasons(self) -> list[str | None]:
        """All reasons (``None`` for rows with a value)."""
        out: list[str | None] = [None] * len(self)
        for i in np.flatnonzero(np.isnan(self.values)).tolist():  # only the rows without one
            out[i] = self.reason_of(i)
        return out

    def entry_ids(self, i: int, ids: np.ndarray | None, first_day: int) -> tuple[str, ...]:
        """Entry ids read for row *i*, given the id matrix of the daily scores."""
        if self.row_ids is not None:
            return tuple(self.row_ids[i])
        if self.sources:
            return merge_ids(*(s.entry_ids(i, ids, first_day) for s in self.sources))
        if ids is None:
            return ()
        end = None if self.row_end is None else int(self.row_end[i])
        start = None if self.row_start is None else int(self.row_start[i])
        row = ids[i]
        groups = []
        for lo, hi in self.windows:
            if end is not None:
                hi = min(hi, end)
            if start is not None:
                lo = max(lo, start)
            lo_i, hi_i = max(lo - first_day, 0), min(hi - first_day + 1, row.shape[0])
            groups.append([x for x in row[lo_i:hi_i].tolist() if x is not None])
        return merge_ids(*groups)

    def result(
        self, i: int, ids: np.ndarray | None = None, first_day: int = 0
    ) -> ScoreResult:
        """Row *i* as a :class:`ScoreResult`."""
        v = float(self.values[i])
        ok = v == v
        mask = 0 if self.dtype_mask is None or not ok else int(self.dtype_mask[i])
        b = None if self.base is None else float(self.base[i])
        return ScoreResult(
            v if ok else None,
            None if ok else self.reason_of(i),
            self.entry_ids(i, ids, first_day),
            dtype_label(mask),
            None if self.n_observed is None else int(self.n_observed[i]),
            None if self.n_expected is None else int(self.n_expected[i]),
            None if b is None or b != b else b,
        )
