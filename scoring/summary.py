"""Descriptive statistics of an endpoint per arm or treatment.

Conventions: SD is the sample SD (``ddof=1``; none for n < 2); quartiles and
median use ``numpy.quantile``'s ``"linear"`` method (Hyndman-Fan type 7, R's
default; SAS PROC MEANS defaults to type 2 and can differ on small n).  Missing
values (``None`` or NaN) are counted in ``n_missing`` and left out.  Display
rounding is :mod:`scoring.precision`'s: half away from zero on the decimal value
(``184.5 -> "185"``).  Responders read "n/N (x.x %)", over the evaluable
participants or with the missing counted as non-responders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from scoring.precision import PERCENT_DECIMALS, fixed_text

__all__ = ["ResponderRate", "Summary", "describe", "format_mean_sd", "format_rate",
           "responder_rate"]


def _as_array(values: Iterable[float | None] | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(np.float64).ravel()
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def format_mean_sd(mean: float, sd: float | None, *, decimals: int = 0) -> str:
    """Format ``"mean ± SD"`` as reported in the crossover trial's primary line.

    Examples
    --------
    >>> format_mean_sd(184.5, 99.6)
    '185 ± 100'
    >>> format_mean_sd(4.25, None, decimals=1), format_mean_sd(3.4, 1.8, decimals=1)
    ('4.3 ± NA', '3.4 ± 1.8')
    """
    sd_text = "NA" if sd is None else fixed_text(sd, decimals)
    return f"{fixed_text(mean, decimals)} ± {sd_text}"


def format_rate(k: int, n: int, *, decimals: int = PERCENT_DECIMALS) -> str:
    """``"k/n (x.x %)"``; ``"0/0 (NA)"`` without a denominator.

    Examples
    --------
    >>> format_rate(2, 3), format_rate(1, 8), format_rate(0, 0)
    ('2/3 (66.7 %)', '1/8 (12.5 %)', '0/0 (NA)')
    """
    if n == 0:
        return f"{k}/0 (NA)"
    return f"{k}/{n} ({fixed_text(100 * k / n, decimals)} %)"


@dataclass(frozen=True, slots=True)
class Summary:
    """n, missing count, mean, SD, median, quartiles, min and max of one endpoint."""

    n: int
    n_missing: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    min: float | None
    max: float | None

    def mean_sd(self, *, decimals: int = 0) -> str | None:
        """``"mean ± SD"`` text, ``None`` without any value."""
        if self.mean is None:
            return None
        return format_mean_sd(self.mean, self.sd, decimals=decimals)


def describe(
    values: Iterable[float | None] | np.ndarray, *, method: str = "linear"
) -> Summary:
    """Summarise the observed values of one endpoint in one group.

    Parameters
    ----------
    values : iterable of float or None, or numpy.ndarray
        One value per participant-period; ``None`` / NaN is missing.
    method : str
        ``numpy.quantile`` method for median and quartiles.

    Examples
    --------
    >>> s = describe([1.0, 2.0, 3.0, 4.0, None])
    >>> s.n, s.n_missing, s.mean, s.median, s.q1, s.q3
    (4, 1, 2.5, 2.5, 1.75, 3.25)
    >>> round(s.sd, 6)                     # sqrt(((1.5**2+0.5**2)*2)/3)
    1.290994
    >>> describe([]).mean is None
    True
    """
    a = _as_array(values)
    obs = a[~np.isnan(a)]
    n = int(obs.size)
    if n == 0:
        return Summary(0, int(a.size), None, None, None, None, None, None, None)
    q1, med, q3 = (float(x) for x in np.quantile(obs, [0.25, 0.5, 0.75], method=method))
    sd = float(np.std(obs, ddof=1)) if n > 1 else None
    return Summary(
        n, int(a.size) - n, float(obs.mean()), sd, med, q1, q3, float(obs.min()), float(obs.max())
    )


@dataclass(frozen=True, slots=True)
class ResponderRate:
    """Responders among participants with a responder value."""

    n_responders: int
    n: int
    n_missing: int

    @property
    def percent(self) -> float | None:
        """``100 * n_responders / n``, ``None`` when ``n == 0``."""
        return None if self.n == 0 else 100.0 * self.n_responders / self.n

    def text(self) -> str:
        """``"n/N (x.x %)"`` over the participants with a value (evaluable)."""
        return format_rate(self.n_responders, self.n)

    def text_missing_as_non(self) -> str:
        """``"n/N (x.x %)"`` with the missing counted as non-responders (N = all)."""
        return format_rate(self.n_responders, self.n + self.n_missing)


def responder_rate(flags: Iterable[float | None] | np.ndarray) -> ResponderRate:
    """Count responders (flag 1.0) among non-missing flags.

    Missing flags are left out of the denominator and counted in ``n_missing``.

    Examples
    --------
    >>> r = responder_rate([1.0, 0.0, 1.0, None])
    >>> r.n_responders, r.n, r.percent                     # 100*2/3
    (2, 3, 66.66666666666667)
    >>> r.text(), r.text_missing_as_non()
    ('2/3 (66.7 %)', '2/4 (50.0 %)')
    """
    a = _as_array(flags)
    obs = a[~np.isnan(a)]
    if not np.isin(obs, (0.0, 1.0)).all():
        raise ValueError("responder flags must be 0.0, 1.0 or missing")
    return ResponderRate(int(np.count_nonzero(obs == 1.0)), int(obs.size), int(a.size - obs.size))
