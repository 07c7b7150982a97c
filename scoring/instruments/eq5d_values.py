"""An EQ-5D-5L value set supplied by the study: additive decrements per dimension level.

We ship no value set.  A study that wants a utility index gives, in its protocol, the
value set it uses as data with its citation (e.g. a national EQ-VT value set):

.. code-block:: yaml

    value_set:
      name: <country> EQ-5D-5L value set
      citation: <authors, title, journal, year, table the coefficients come from>
      constant: <c>        # subtracted from every state except 11111 (optional, 0)
      decrements:          # levels 2, 3, 4, 5 of each dimension (level 1 is 0)
        mo: [<mo2>, <mo3>, <mo4>, <mo5>]
        sc: [<sc2>, <sc3>, <sc4>, <sc5>]
        ua: [<ua2>, <ua3>, <ua4>, <ua5>]
        pd: [<pd2>, <pd3>, <pd4>, <pd5>]
        ad: [<ad2>, <ad3>, <ad4>, <ad5>]

index = 1 - constant (unless the state is 11111) - the five dimensions' decrements.
This main-effects form (with or without a constant) is the one most EQ-VT value
sets publish; a value set with interaction terms (e.g. "any level 5") cannot be
expressed and must not be forced into it.  Arithmetic is exact (Decimal in, Fraction
out).  As a check against typing errors, every one of the 3125 states must value
between -1 and 1 (the composite time trade-off's range).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from scoring.instruments.model import OptionError

__all__ = ["DIMENSIONS", "ValueSet"]

#: EuroQol's dimension codes, in the descriptive system's order.
DIMENSIONS = ("mo", "sc", "ua", "pd", "ad")
_FIELDS = {"name", "citation", "constant", "decrements"}


def _number(v: Any, path: str, errors: list[OptionError]) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        errors.append(OptionError(path, f"must be a number, got {v!r}"))
        return None
    try:
        x = Decimal(str(v))
    except InvalidOperation:
        x = None
    if x is None or not x.is_finite():
        errors.append(OptionError(path, f"must be a finite number, got {v!r}"))
        return None
    return x


def _text(v: Any, path: str, errors: list[OptionError]) -> str:
    if not isinstance(v, str) or not v.strip():
        errors.append(OptionError(path, "is required text"))
        return ""
    return " ".join(v.split())


@dataclass(frozen=True, slots=True)
class ValueSet:
    """A study's EQ-5D-5L value set (see the module docstring)."""

    name: str
    citation: str
    decrements: Mapping[str, tuple[Decimal, Decimal, Decimal, Decimal]]
    constant: Decimal = Decimal(0)

    def index(self, levels: Mapping[str, int]) -> Fraction:
        """The utility of a state given as ``{dimension: level 1-5}``.

        Examples
        --------
        >>> vs = ValueSet("t", "test", {d: (Decimal("0.1"),) * 4 for d in DIMENSIONS},
        ...               Decimal("0.05"))
        >>> float(vs.index(dict(zip(DIMENSIONS, (1, 1, 2, 2, 3))))), vs.index(
        ...     dict.fromkeys(DIMENSIONS, 1))
        (0.65, Fraction(1, 1))
        """
        lost = sum((Fraction(self.decrements[d][levels[d] - 2])
                    for d in DIMENSIONS if levels[d] > 1), Fraction(0))
        if any(levels[d] > 1 for d in DIMENSIONS):
            lost += Fraction(self.constant)
        return 1 - lost

    @classmethod
    def parse(cls, data: Any, path: str, errors: list[OptionError]) -> ValueSet | None:
        """Build from a protocol mapping, appending every refused field to ``errors``."""
        if not isinstance(data, Mapping):
            errors.append(OptionError(path, "must be a mapping with name, citation, "
                                            "decrements and optionally constant"))
            return None
        before = len(errors)
        for key in sorted(set(map(str, data)) - _FIELDS):
            errors.append(OptionError(f"{path}.{key}", "unknown field; allowed: "
                                      + ", ".join(sorted(_FIELDS))))
        name = _text(data.get("name"), f"{path}.name", errors)
        citation = _text(data.get("citation"), f"{path}.citation", errors)
        constant = (Decimal(0) if data.get("constant") is None
                    else _number(data["constant"], f"{path}.constant", errors))
        decrements = cls._decrements(data.get("decrements"), f"{path}.decrements", errors)
        if len(errors) > before:
            return None
        value_set = cls(name, citation, decrements, constant)
        worst, best = value_set._range()
        if worst < -1 or best > 1:
            errors.append(OptionError(f"{path}.decrements", (
                f"gives indexes from {float(worst):g} to {float(best):g}; every state must "
                "value between -1 and 1 (check the coefficients and their signs)")))
            return None
        return value_set

    @staticmethod
    def _decrements(data: Any, path: str, errors: list[OptionError]) -> dict:
        if not isinstance(data, Mapping):
            errors.append(OptionError(path, "must map each of mo, sc, ua, pd, ad to the "
                                            "decrements of levels 2, 3, 4 and 5"))
            return {}
        for key in sorted(set(map(str, data)) - set(DIMENSIONS)):
            errors.append(OptionError(f"{path}.{key}", "not an EQ-5D dimension; use "
                                      + ", ".join(DIMENSIONS)))
        out = {}
        for d in DIMENSIONS:
            row = data.get(d)
            if not isinstance(row, list | tuple) or len(row) != 4:
                errors.append(OptionError(f"{path}.{d}", "must list 4 numbers "
                                                         "(levels 2, 3, 4, 5)"))
                continue
            values = [_number(v, f"{path}.{d}[{i}]", errors) for i, v in enumerate(row)]
            out[d] = tuple(values)
        return out

    def _range(self) -> tuple[Fraction, Fraction]:
        values = [self.index(dict(zip(DIMENSIONS, state, strict=True)))
                  for state in itertools.product(range(1, 6), repeat=5)]
        return min(values), max(values)
