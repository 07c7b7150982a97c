"""What the endpoint figures plot: mean daily score (± SE) per study day and treatment.

Pure numbers, no drawing (that is :mod:`diary.exports.figures`), so the arithmetic is
tested on its own. A treatment is the crossover period's treatment or the parallel arm,
as the records carry it (masked codes for blinded staff).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DailyMeans", "daily_means"]


@dataclass(frozen=True)
class DailyMeans:
    """One treatment's curve: per study day with at least one score, n, mean and SE.

    ``se`` is NaN on days with fewer than two scores (no SD from one value).
    """

    treatment: str
    days: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    se: np.ndarray


def daily_means(treatments: Sequence[str | None], values: np.ndarray,
                first_day: int) -> list[DailyMeans]:
    """Mean and standard error (SD with ddof=1 over sqrt(n)) of each day's scores, per
    treatment in sorted order; rows are participant-periods, column j is day first_day + j,
    NaN is a missing day. Rows without a treatment (not allocated), and treatments without
    a single score, are left out.

    Examples
    --------
    >>> m = np.array([[2.0, 4.0], [4.0, np.nan], [7.0, 1.0]])
    >>> [(c.treatment, c.mean.tolist(), c.n.tolist()) for c in daily_means("AAB", m, 1)]
    [('A', [3.0, 4.0], [2, 1]), ('B', [7.0, 1.0], [1, 1])]
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != len(treatments):
        raise ValueError(f"values {values.shape} do not match {len(treatments)} treatments")
    labels = np.array([t if t is not None else "" for t in treatments], dtype=object)
    out = []
    for treatment in sorted({t for t in treatments if t is not None}):
        group = values[labels == treatment]
        seen = ~np.isnan(group)
        n = seen.sum(axis=0)
        days = np.flatnonzero(n > 0)
        if not len(days):  # no score at all: no curve (and no legend entry)
            continue
        n = n[days]
        group = group[:, days]
        mean = np.nansum(group, axis=0) / n
        se = np.full(len(days), np.nan)
        several = n >= 2
        if several.any():
            # ddof=1 by hand: nanstd would warn on the one-value days left out here
            deviations = np.where(seen[:, days], group - mean, 0.0)[:, several]
            sd = np.sqrt((deviations ** 2).sum(axis=0) / (n[several] - 1))
            se[several] = sd / np.sqrt(n[several])
        out.append(DailyMeans(treatment, days + first_day, n, mean, se))
    return out
