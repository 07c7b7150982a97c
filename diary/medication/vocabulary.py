"""Dose units and administration routes: the fixed vocabulary the drug tables use.

Units come in two dimensions: a *mass* per dose (g, mg, mcg; converted exactly with
:class:`~decimal.Decimal`) and a *rate* for transdermal patches (mcg/h, the unit of the
CDC 2022 fentanyl factor).  Spellings people type (``µg``, ``ug``, ``mcg/hr``, ``PO``,
``IV``) are accepted and mapped to one code.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "MASS", "RATE", "ROUTES", "UNITS", "convert", "dimension", "plain", "route_code", "unit_code",
]

MASS, RATE = "mass", "rate"

#: Unit code -> (dimension, size in the dimension's base unit: mg for mass, mcg/h for rate).
UNITS: dict[str, tuple[str, Decimal]] = {
    "g": (MASS, Decimal(1000)),
    "mg": (MASS, Decimal(1)),
    "mcg": (MASS, Decimal("0.001")),
    "mcg/h": (RATE, Decimal(1)),
}
_UNIT_ALIASES = {
    "µg": "mcg", "μg": "mcg", "ug": "mcg", "microgram": "mcg", "micrograms": "mcg",
    "milligram": "mg", "milligrams": "mg", "gram": "g", "grams": "g",
    "mcg/hr": "mcg/h", "µg/h": "mcg/h", "μg/h": "mcg/h", "ug/h": "mcg/h",
    "µg/hr": "mcg/h", "ug/hr": "mcg/h", "mcg/hour": "mcg/h",
}

#: Route codes (EDQM-style plain names) with the abbreviations used on charts.
ROUTES: tuple[str, ...] = ("oral", "sublingual", "buccal", "transdermal", "intravenous",
                           "intramuscular", "subcutaneous", "intranasal", "rectal")
_ROUTE_ALIASES = {
    "po": "oral", "per os": "oral", "by mouth": "oral", "sl": "sublingual",
    "td": "transdermal", "patch": "transdermal", "iv": "intravenous", "im": "intramuscular",
    "sc": "subcutaneous", "sq": "subcutaneous", "subcut": "subcutaneous", "in": "intranasal",
    "nasal": "intranasal", "pr": "rectal",
}


def _clean(text: str) -> str:
    return " ".join(text.strip().lower().split())


def unit_code(text: str) -> str | None:
    """The unit code for *text* (case and spacing ignored), ``None`` if unknown.

    Examples
    --------
    >>> unit_code(" MG "), unit_code("µg"), unit_code("mcg/hr"), unit_code("tablet")
    ('mg', 'mcg', 'mcg/h', None)
    """
    t = _clean(text).replace(" ", "")
    t = _UNIT_ALIASES.get(t, t)
    return t if t in UNITS else None


def route_code(text: str) -> str | None:
    """The route code for *text*, ``None`` if unknown.

    Examples
    --------
    >>> route_code("PO"), route_code("Transdermal"), route_code("iv"), route_code("ear")
    ('oral', 'transdermal', 'intravenous', None)
    """
    t = _clean(text)
    t = _ROUTE_ALIASES.get(t, t)
    return t if t in ROUTES else None


def dimension(unit: str) -> str:
    """``"mass"`` or ``"rate"`` for a unit code."""
    return UNITS[unit][0]


def convert(amount: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert *amount* between unit codes of one dimension, exactly.

    Examples
    --------
    >>> convert(Decimal("1.5"), "g", "mg"), convert(Decimal(250), "mcg", "mg")
    (Decimal('1500.0'), Decimal('0.250'))
    """
    (d_from, f_from), (d_to, f_to) = UNITS[from_unit], UNITS[to_unit]
    if d_from != d_to:
        raise ValueError(f"cannot convert {from_unit} ({d_from}) to {to_unit} ({d_to})")
    if f_from == f_to:
        return amount
    return amount * f_from / f_to


def plain(x: Decimal) -> Decimal:
    """*x* without trailing zeros and never in exponent form (1000, not 1E+3).

    Examples
    --------
    >>> plain(Decimal("60.0")), plain(Decimal("1500.0")), plain(Decimal("0.250"))
    (Decimal('60'), Decimal('1500'), Decimal('0.25'))
    """
    n = x.normalize()
    return n.quantize(Decimal(1)) if n == n.to_integral_value() else n
