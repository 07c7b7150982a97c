"""Shared scoring rules: sums with an optional proration, means, single items.

Arithmetic is exact (:class:`fractions.Fraction`) so bands are decided on
exact values (PITFALLS, "Scoring"); values are returned as ``int`` when whole
and ``float`` otherwise.  A prorated sum is rounded half up to a whole score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from fractions import Fraction

from scoring.instruments.model import Instrument, InstrumentScore, ScaleScore

__all__ = ["as_number", "item_value", "mean", "result", "round_half_up", "total"]


def as_number(x: Fraction | int) -> int | float:
    """``int`` when whole, else the nearest ``float``.

    Examples
    --------
    >>> as_number(Fraction(10, 4)), as_number(Fraction(8, 4))
    (2.5, 2)
    """
    x = Fraction(x)
    return x.numerator if x.denominator == 1 else float(x)


def round_half_up(x: Fraction) -> int:
    """Round to the nearest integer, halves up (never banker's rounding).

    Examples
    --------
    >>> round_half_up(Fraction(17, 2)), round_half_up(Fraction(49, 6))
    (9, 8)
    """
    return math.floor(x + Fraction(1, 2))


def _split(scale_items: Iterable[str], answers: Mapping[str, int]) -> tuple[tuple, tuple]:
    items = tuple(scale_items)
    return tuple(i for i in items if i in answers), tuple(i for i in items if i not in answers)


def _missing_reason(missing: tuple[str, ...], n: int, rule: str) -> str:
    return f"{len(missing)} of {n} items missing ({', '.join(missing)}); {rule}"


def total(
    inst: Instrument, scale_id: str, answers: Mapping[str, int], *, max_missing: int = 0
) -> ScaleScore:
    """Sum of the scale's items; with up to ``max_missing`` missing, the mean of the
    answered items times the item count, rounded half up (proration)."""
    scale = inst.scale(scale_id)
    used, missing = _split(scale.items, answers)
    n = len(scale.items)
    if len(missing) > max_missing:
        rule = f"at most {max_missing} allowed" if max_missing else "all items required"
        return ScaleScore(scale_id, None, _missing_reason(missing, n, rule), None, used, missing)
    s = sum(answers[i] for i in used)
    value = round_half_up(Fraction(s * n, len(used))) if missing else s
    band = inst.band(scale_id, value)
    return ScaleScore(scale_id, value, None, band, used, missing, prorated=bool(missing))


def mean(
    inst: Instrument, scale_id: str, answers: Mapping[str, int], *, min_answered: int | None = None
) -> ScaleScore:
    """Mean of the answered items, scored when at least ``min_answered`` (default: all)."""
    scale = inst.scale(scale_id)
    used, missing = _split(scale.items, answers)
    need = len(scale.items) if min_answered is None else min_answered
    if len(used) < need:
        rule = f"at least {need} answers required"
        return ScaleScore(
            scale_id, None, _missing_reason(missing, len(scale.items), rule), None, used, missing
        )
    value = Fraction(sum(answers[i] for i in used), len(used))
    band = inst.band(scale_id, value)
    return ScaleScore(scale_id, as_number(value), None, band, used, missing)


def item_value(inst: Instrument, scale_id: str, answers: Mapping[str, int]) -> ScaleScore:
    """A one-item scale: the answer itself, or ``None`` when it is missing."""
    (item,) = inst.scale(scale_id).items
    if item not in answers:
        return ScaleScore(scale_id, None, f"item {item} missing", None, (), (item,))
    value = answers[item]
    return ScaleScore(scale_id, value, None, inst.band(scale_id, value), (item,), ())


def result(
    inst: Instrument, answers: Mapping[str, int], scales: Iterable[ScaleScore]
) -> InstrumentScore:
    """Bundle scale scores with the items used and missing over the whole instrument."""
    scored = [i.id for i in inst.items if i.scored]
    return InstrumentScore(
        inst.id,
        inst.version,
        tuple(scales),
        tuple(i for i in inst.item_ids if i in answers),
        tuple(i for i in scored if i not in answers),
    )
