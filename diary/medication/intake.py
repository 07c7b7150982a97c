"""Checking one recorded analgesic intake against the catalogue, before it is stored.

:func:`normalise_intake` turns what a participant or coordinator typed (drug name or
synonym, dose, unit, route) into an :class:`Intake` in the route's canonical unit, or
refuses it with :class:`IntakeError` naming the field and the rule broken (issue 6:
"unknown drugs, impossible doses or units that do not fit the drug are refused").
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from diary.medication.table import ConversionTable, Drug, RouteRule, load_table
from diary.medication.vocabulary import (
    RATE,
    convert,
    dimension,
    plain,
    route_code,
    unit_code,
)

__all__ = ["Intake", "IntakeError", "normalise_intake"]


class IntakeError(ValueError):
    """A refused intake: ``field`` (drug, dose, unit, route, worn_hours) and ``rule``.

    ``suggestions`` lists close drug names when the drug is unknown.
    """

    def __init__(self, field: str, rule: str, suggestions: tuple[str, ...] = ()):
        self.field, self.rule, self.suggestions = field, rule, suggestions
        super().__init__(f"{field}: {rule}")


@dataclass(frozen=True, slots=True)
class Intake:
    """A valid intake: drug code, route, dose in the route's canonical ``unit``.

    ``worn_hours`` is set for patches only (how long the patch was or will be worn);
    ``table`` is the conversion-table version the intake was checked against.
    """

    drug: str
    route: str
    dose: Decimal
    unit: str
    table: str
    worn_hours: int | None = None


# A dose has at most this many digits before and after the decimal point, written in at
# most MAX_DOSE_CHARS characters: far beyond any real dose, and it keeps the stored text
# (the canonical unit adds at most 3 decimals: mcg -> mg) within its String(32) column and
# the arithmetic within Decimal's 28 digits (1e30 made the refusal message itself fail).
MAX_DOSE_CHARS, MAX_WHOLE_DIGITS, MAX_DECIMALS = 32, 9, 6
DOSE_RULE = (f"must be a decimal with at most {MAX_WHOLE_DIGITS} digits before and "
             f"{MAX_DECIMALS} after the point")


def _dose(value: object) -> Decimal:
    # bool is an int subclass and "True mg" is a client bug, not a dose.
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise IntakeError("dose", f"must be a number, got {value!r}")
    text = str(value).strip()  # str(float) is its shortest repr: 7.5 -> "7.5"
    if len(text) > MAX_DOSE_CHARS:
        raise IntakeError("dose", f"{DOSE_RULE}, in at most {MAX_DOSE_CHARS} characters; "
                                  f"got {len(text)} characters")
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise IntakeError("dose", f"must be a number, got {value!r}") from None
    if not d.is_finite():
        raise IntakeError("dose", f"must be a finite number, got {value!r}")
    if d <= 0:
        raise IntakeError("dose", f"must be greater than 0, got {value}")
    # adjusted() is the exponent of the leading digit: 1234.5 -> 3, 0.05 -> -2.
    decimals = -d.normalize().as_tuple().exponent
    if d.adjusted() >= MAX_WHOLE_DIGITS or decimals > MAX_DECIMALS:
        raise IntakeError("dose", f"{DOSE_RULE}, got {text}")
    return d


def _drug(table: ConversionTable, name: object) -> Drug:
    if not isinstance(name, str) or not name.strip():
        raise IntakeError("drug", "is required (a drug name from the catalogue)")
    found = table.find(name)
    if found is not None:
        return found
    close = tuple(difflib.get_close_matches(" ".join(name.lower().split()), table.names(),
                                            n=3, cutoff=0.75))
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise IntakeError("drug", f"unknown drug {name.strip()!r} in table {table.id}{hint}", close)


def _route(drug: Drug, text: object) -> RouteRule:
    allowed = ", ".join(drug.routes)
    code = route_code(text) if isinstance(text, str) else None
    if code is None:
        raise IntakeError("route", f"unknown route {text!r} (allowed for {drug.code}: "
                                   f"{allowed})")
    if code not in drug.routes:
        raise IntakeError("route", f"{drug.code} cannot be recorded as {code} "
                                   f"(allowed: {allowed})")
    return drug.routes[code]


def _unit(drug: Drug, rule: RouteRule, text: object) -> str:
    code = unit_code(text) if isinstance(text, str) else None
    what = f"{drug.code} {rule.route}"
    allowed = ", ".join(rule.units)
    if code is None:
        raise IntakeError("unit", f"unknown unit {text!r} (allowed for {what}: {allowed})")
    if code not in rule.units:
        if dimension(code) == RATE:
            why = "mcg/h is a patch delivery rate"
        elif rule.is_patch:
            why = f"a patch is dosed by its delivery rate, not by {code}"
        else:
            why = f"{code} is not used for {what}"
        raise IntakeError("unit", f"{why}; {what} takes {allowed}")
    return code


def _worn_hours(rule: RouteRule, value: object) -> int | None:
    if not rule.is_patch:
        if value is not None:
            raise IntakeError("worn_hours", f"applies to patches only, not {rule.route}")
        return None
    if value is None:
        return rule.default_wear_hours
    if isinstance(value, bool) or not isinstance(value, int):
        raise IntakeError("worn_hours", f"must be a whole number of hours, got {value!r}")
    if not 0 < value <= rule.max_wear_hours:
        raise IntakeError("worn_hours", f"must be from 1 to {rule.max_wear_hours} hours, "
                                        f"got {value}")
    return value


def normalise_intake(
    drug: str,
    dose: int | float | str | Decimal,
    unit: str,
    route: str,
    *,
    worn_hours: int | None = None,
    table: ConversionTable | None = None,
) -> Intake:
    """Validate an intake and express its dose in the route's canonical unit.

    Parameters
    ----------
    drug : str
        Code or any name in the table (``acetaminophen`` finds ``paracetamol``).
    dose : number or decimal text
        Amount per intake (a patch: its delivery rate).
    unit, route : str
        Unit (``mg``, ``mcg``, ``g``, ``mcg/h``) and route (``oral``, ``transdermal``,
        ...); common abbreviations (``µg``, ``PO``, ``IV``) are accepted.
    worn_hours : int, optional
        Patches only: hours worn; default the table's wear time for the drug.
    table : ConversionTable, optional
        The study's pinned table; default the shipped default version.

    Raises
    ------
    IntakeError
        Naming the field and the rule; fields are checked in the order drug, route,
        unit, dose, worn_hours.

    Examples
    --------
    >>> normalise_intake("Acetaminophen", "1", "g", "PO")
    Intake(drug='paracetamol', route='oral', dose=Decimal('1000'), unit='mg', \
table='cdc-2022', worn_hours=None)
    >>> normalise_intake("oxycodone", 5000, "mg", "oral")
    Traceback (most recent call last):
    ...
    diary.medication.intake.IntakeError: dose: 5000 mg is above the largest plausible \
single dose of oxycodone oral (160 mg)
    """
    table = table or load_table()
    d = _drug(table, drug)
    rule = _route(d, route)
    u = _unit(d, rule, unit)
    amount = convert(_dose(dose), u, rule.unit)
    if amount > rule.max_dose:
        raise IntakeError("dose", f"{_plain(amount)} {rule.unit} is above the largest "
                                  f"plausible single dose of {d.code} {rule.route} "
                                  f"({_plain(rule.max_dose)} {rule.unit})")
    hours = _worn_hours(rule, worn_hours)
    return Intake(d.code, rule.route, plain(amount), rule.unit, table.id, hours)


def _plain(x: Decimal) -> str:
    return f"{plain(x):f}"
