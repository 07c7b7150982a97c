"""Daily scores of many participant-periods as one matrix (the batch form).

Row ``i`` holds one participant-period; column ``j`` is study day
``first_day + j`` (anchor date = day 0, see :mod:`scoring.days`); NaN marks a
missing day.  The batch scorers read windows of it without copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.days import DailySeries

__all__ = ["DailyMatrix", "window_view"]


def window_view(values_2d: np.ndarray, first_day: int, lo: int, hi: int) -> np.ndarray:
    """Columns for days ``lo`` to ``hi`` of a matrix whose column 0 is *first_day*.

    Days outside the matrix read as missing (NaN); the result is a view when
    the window lies inside the matrix.

    Examples
    --------
    >>> m = np.array([[1.0, 2.0, 3.0]])          # days -1, 0, 1
    >>> window_view(m, -1, 0, 2).tolist()
    [[2.0, 3.0, nan]]
    """
    if hi < lo:
        raise ValueError(f"window end {hi} is before its start {lo}")
    n, m = values_2d.shape
    start, stop = lo - first_day, hi - first_day + 1
    if start >= 0 and stop <= m:
        return values_2d[:, start:stop]
    out = np.full((n, stop - start), np.nan)
    src_lo, src_hi = max(start, 0), min(stop, m)
    if src_lo < src_hi:
        out[:, src_lo - start : src_hi - start] = values_2d[:, src_lo:src_hi]
    return out


@dataclass(frozen=True, eq=False)
class DailyMatrix:
    """Daily scores of many rows over one span of study days.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_rows, n_days)
        Scores, NaN where a day is missing.
    first_day : int
        Study day of column 0.
    entry_ids : numpy.ndarray of object, shape (n_rows, n_days), optional
        Entry id behind each value (``None`` where missing).

    Examples
    --------
    >>> m = DailyMatrix.from_series([DailySeries([1, 3], [4, 6])], first_day=0, last_day=3)
    >>> m.values.tolist(), m.last_day
    ([[nan, 4.0, nan, 6.0]], 3)
    """

    values: np.ndarray
    first_day: int
    entry_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"values must be 2-D (rows x days), got {values.ndim}-D")
        if np.isinf(values).any():
            raise ValueError("values must be finite or NaN (missing)")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "first_day", int(self.first_day))
        if self.entry_ids is not None and np.shape(self.entry_ids) != values.shape:
            raise ValueError(
                f"entry_ids has shape {np.shape(self.entry_ids)}, values {values.shape}"
            )

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def last_day(self) -> int:
        return self.first_day + int(self.values.shape[1]) - 1

    @classmethod
    def from_series(
        cls, series: Sequence[DailySeries], *, first_day: int, last_day: int
    ) -> DailyMatrix:
        """Stack series over days *first_day* to *last_day*; other days are dropped."""
        if last_day < first_day:
            raise ValueError(f"last_day {last_day} is before first_day {first_day}")
        n = len(series)
        lengths = np.fromiter((len(s) for s in series), dtype=np.int64, count=n)
        rows = np.repeat(np.arange(n), lengths)
        days = np.concatenate([s.days for s in series]) if n else np.zeros(0, np.int64)
        values = np.concatenate([s.values for s in series]) if n else np.zeros(0)
        ids = None
        if any(s.entry_ids is not None for s in series):
            ids = np.empty(int(lengths.sum()), dtype=object)
            ids[:] = [x for s in series for x in (s.entry_ids or (None,) * len(s))]
        # each series already has one value per day: no duplicate check needed
        return cls._scatter(rows, days, values, ids, n, first_day, last_day)

    @classmethod
    def _scatter(cls, rows, days, values, ids, n_rows, first_day, last_day) -> DailyMatrix:
        m = last_day - first_day + 1
        keep = (days >= first_day) & (days <= last_day)
        flat = rows[keep] * m + (days[keep] - first_day)
        out = np.full(n_rows * m, np.nan)
        out[flat] = values[keep]
        id_matrix = None
        if ids is not None:
            id_matrix = np.full(n_rows * m, None, dtype=object)
            id_matrix[flat] = ids[keep]
            id_matrix = id_matrix.reshape(n_rows, m)
        return cls(out.reshape(n_rows, m), first_day, id_matrix)

    @classmethod
    def from_long(
        cls,
        rows: np.ndarray,
        days: np.ndarray,
        values: np.ndarray,
        *,
        n_rows: int,
        first_day: int,
        last_day: int,
        entry_ids: Sequence[str] | np.ndarray | None = None,
    ) -> DailyMatrix:
        """Scatter long observations (row index, day, value) into a matrix.

        The fast way in from a database query: no per-row Python work.  Days
        outside *first_day*..*last_day* are dropped; a repeated (row, day)
        raises ``ValueError``.

        Examples
        --------
        >>> m = DailyMatrix.from_long(np.array([0, 1, 1]), np.array([1, 1, 2]),
        ...                           np.array([5.0, 3.0, 4.0]), n_rows=2,
        ...                           first_day=1, last_day=2)
        >>> m.values.tolist()
        [[5.0, nan], [3.0, 4.0]]
        """
        rows, days = np.asarray(rows, dtype=np.int64), np.asarray(days, dtype=np.int64)
        vals = np.asarray(values, dtype=np.float64)
        if not (rows.shape == days.shape == vals.shape) or rows.ndim != 1:
            raise ValueError("rows, days and values must be 1-D arrays of one length")
        if not np.isfinite(vals).all():
            raise ValueError("values must be finite; leave a missing day out")
        if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
            raise ValueError(f"row index outside 0..{n_rows - 1}")
        m = last_day - first_day + 1
        if m < 1:
            raise ValueError(f"last_day {last_day} is before first_day {first_day}")
        keep = (days >= first_day) & (days <= last_day)
        # Counting cells is linear; sorting a million observations to compare neighbours
        # took longer than scoring them (issue 3).
        flat = rows[keep] * m + (days[keep] - first_day)
        dup = np.flatnonzero(np.bincount(flat, minlength=n_rows * m) > 1)
        if dup.size:
            d = int(dup[0])
            raise ValueError(f"row {d // m} has two values for day {d % m + first_day}")
        ids = None if entry_ids is None else np.asarray(entry_ids, dtype=object)
        if ids is not None and ids.shape != rows.shape:
            raise ValueError(f"entry_ids has {ids.size} items for {rows.size} observations")
        return cls._scatter(rows, days, vals, ids, n_rows, first_day, last_day)

    def series(self, i: int) -> DailySeries:
        """Row *i* as a :class:`~scoring.days.DailySeries`."""
        row = self.values[i]
        cols = np.flatnonzero(~np.isnan(row))
        ids = None if self.entry_ids is None else tuple(self.entry_ids[i, cols].tolist())
        if ids is not None and any(x is None for x in ids):
            ids = None
        return DailySeries(cols + self.first_day, row[cols], ids)

    def window(self, lo: int, hi: int) -> np.ndarray:
        """Columns for days *lo* to *hi* (see :func:`window_view`)."""
        return window_view(self.values, self.first_day, lo, hi)
