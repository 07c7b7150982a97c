"""The primary endpoint's treatment difference and its two-sided t-test, in plain Python
(no SciPy in the stack): Welch's test between arms, a paired test within crossover
participants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import mean, stdev


@dataclass(frozen=True)
class Difference:
    contrast: str          # "K - P"
    estimate: float | None
    p_value: float | None
    n: tuple[int, int]     # participants per group (paired: pairs, pairs)

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value is not None and self.p_value < alpha


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Numerical Recipes, 6.4)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-12:
            break
    return h


def _betai(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log(1.0 - x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_p_value(t: float, df: float) -> float:
    """Two-sided p of Student's t with ``df`` degrees of freedom.

    >>> round(t_p_value(2.0, 10), 4)
    0.0734
    """
    return _betai(df / 2.0, 0.5, df / (df + t * t))


def welch(a: list[float], b: list[float]) -> float | None:
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = stdev(a) ** 2 / len(a), stdev(b) ** 2 / len(b)
    if va + vb == 0:
        return None
    t = (mean(a) - mean(b)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return t_p_value(t, df)


def paired(d: list[float]) -> float | None:
    if len(d) < 2 or stdev(d) == 0:
        return None
    t = mean(d) / (stdev(d) / math.sqrt(len(d)))
    return t_p_value(t, len(d) - 1)


def difference(rows: list[dict], primary: str, groups: tuple[str, str], *,
               paired_by_subject: bool) -> Difference:
    """``groups[0] - groups[1]`` of the primary endpoint over the wide table's rows
    (``treatment`` holds the arm or the period's treatment)."""
    label = f"{groups[0]} - {groups[1]}"
    values: dict[str, dict[str, float]] = {g: {} for g in groups}
    for row in rows:
        g, v = row.get("treatment") or "", row.get(primary) or ""
        if g in values and v != "":
            values[g][row["subject"]] = float(v)
    a, b = values[groups[0]], values[groups[1]]
    if paired_by_subject:
        both = sorted(set(a) & set(b))
        d = [a[s] - b[s] for s in both]
        return Difference(label, mean(d) if d else None, paired(d), (len(d), len(d)))
    xs, ys = [a[s] for s in sorted(a)], [b[s] for s in sorted(b)]
    estimate = mean(xs) - mean(ys) if xs and ys else None
    return Difference(label, estimate, welch(xs, ys), (len(xs), len(ys)))
