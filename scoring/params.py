"""Reading one endpoint declaration (a plain dict) field by field.

Each reader raises :class:`FieldError` naming the field and the rule, so
:func:`scoring.endpoints.validate_endpoints` can report
``endpoints[2].from_day: must be <= to_day (35 > 1)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from scoring.precision import MAX_DECIMALS

__all__ = ["KEY_RE", "FieldError", "Params"]

#: Endpoint keys: the protocol loader's key pattern (diary/protocol/sections.py).
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_PARAMCD_RE = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
_REQUIRED = object()
#: Longest unit text (it is printed inside the summary's report line).
UNIT_MAX = 40
UNIT_FORBIDDEN = '=@"'



class FieldError(ValueError):
    """A field of one endpoint declaration breaks a rule."""

    def __init__(self, field: str, rule: str):
        self.field, self.rule = field, rule
        super().__init__(f"{field}: {rule}")


class Params:
    """Typed access to an endpoint dict that remembers which fields were read.

    Examples
    --------
    >>> p = Params({"key": "pain_d7", "kind": "timepoint", "day": 7, "windw": 1})
    >>> p.integer("day"), p.integer("window", 0)
    (7, 0)
    >>> try:
    ...     p.finish()
    ... except FieldError as e:
    ...     print(e.field, "->", e.rule)
    windw -> unknown field (allowed: day, key, kind, label, paramcd, window)
    """

    def __init__(self, d: Mapping[str, Any]):
        if not isinstance(d, Mapping):
            raise FieldError("", f"must be a mapping, got {type(d).__name__}")
        self.d = d
        self.read: set[str] = {"key", "kind", "label", "paramcd"}

    def _get(self, name: str, default: Any) -> Any:
        self.read.add(name)
        if name not in self.d or self.d[name] is None:
            if default is _REQUIRED:
                raise FieldError(name, "is required")
            return default
        return self.d[name]

    def integer(self, name: str, default: Any = _REQUIRED, *, minimum: int | None = None) -> Any:
        v = self._get(name, default)
        if v is default:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            raise FieldError(name, f"must be an integer, got {v!r}")
        if minimum is not None and v < minimum:
            raise FieldError(name, f"must be >= {minimum}, got {v}")
        return v

    def number(
        self, name: str, default: Any = _REQUIRED, *, above: float, at_most: float
    ) -> Any:
        v = self._get(name, default)
        if v is default:
            return v
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise FieldError(name, f"must be a number, got {v!r}")
        if not above < v <= at_most:
            raise FieldError(name, f"must be > {above:g} and <= {at_most:g}, got {v!r}")
        return v

    def choice(self, name: str, options: Iterable[str], default: Any = _REQUIRED) -> Any:
        v, options = self._get(name, default), tuple(options)
        if v is not default and v not in options:
            raise FieldError(name, f"must be one of {', '.join(options)}, got {v!r}")
        return v

    def ref(self, name: str, default: Any = _REQUIRED) -> Any:
        """A reference to another endpoint's key."""
        v = self._get(name, default)
        if v is not default and (not isinstance(v, str) or not KEY_RE.fullmatch(v)):
            raise FieldError(name, f"must be an endpoint key, got {v!r}")
        return v

    def int_list(self, name: str, *, minimum: int) -> list[int]:
        """A count ``n`` (meaning 1..n) or a list of distinct integers."""
        v = self._get(name, _REQUIRED)
        if isinstance(v, int) and not isinstance(v, bool):
            if v < minimum:
                raise FieldError(name, f"must be >= {minimum}, got {v}")
            return list(range(1, v + 1))
        if not isinstance(v, list | tuple) or not v:
            raise FieldError(name, f"must be a count or a non-empty list, got {v!r}")
        for x in v:
            if isinstance(x, bool) or not isinstance(x, int) or x < minimum:
                raise FieldError(name, f"items must be integers >= {minimum}, got {x!r}")
        if len(set(v)) != len(v):
            raise FieldError(name, "items must be distinct")
        return sorted(v)

    def key(self) -> str:
        v = self.d.get("key")
        if not isinstance(v, str) or not KEY_RE.fullmatch(v):
            raise FieldError("key", f"must match {KEY_RE.pattern}, got {v!r}")
        return v

    def label(self) -> str | None:
        v = self.d.get("label")
        if v is not None and (not isinstance(v, str) or not 0 < len(v) <= 40):
            raise FieldError("label", "must be a text of 1 to 40 characters (XPORT label)")
        return v

    def paramcd(self) -> str | None:
        v = self.d.get("paramcd")
        if v is not None and (not isinstance(v, str) or not _PARAMCD_RE.fullmatch(v)):
            raise FieldError("paramcd", f"must match {_PARAMCD_RE.pattern} (ADaM PARAMCD)")
        return v

    def precision(self) -> int | None:
        """Optional decimals the endpoint's values are written with (0 to 6)."""
        v = self.integer("precision", None, minimum=0)
        if v is not None and v > MAX_DECIMALS:
            raise FieldError("precision", f"must be <= {MAX_DECIMALS}, got {v}")
        return v

    def unit(self) -> str | None:
        """Optional unit of the endpoint's values, as a report prints it ("NRS 0-10")."""
        v = self._get("unit", None)
        if v is None:
            return None
        if (not isinstance(v, str) or not 0 < len(v) <= UNIT_MAX or v != v.strip()
                or not v.isprintable()):
            raise FieldError("unit", f"must be a text of 1 to {UNIT_MAX} printable characters "
                                     f"without leading or trailing spaces, got {v!r}")
        # Printed inside the report line, which the exports' formula guard lets through
        # as numeric text: nothing a spreadsheet could run (diary.exports.csv_xlsx).
        if bad := sorted(set(v) & set(UNIT_FORBIDDEN)):
            raise FieldError("unit", f"must not contain {' '.join(bad)}, got {v!r}")
        return v

    def flag(self, name: str) -> bool:
        """An optional yes/no field (``primary: true``); false when absent."""
        v = self._get(name, False)
        if not isinstance(v, bool):
            raise FieldError(name, f"must be true or false, got {v!r}")
        return v

    def finish(self) -> None:
        """Raise for the first field that no reader asked for (a typo, usually)."""
        unknown = sorted(set(self.d) - self.read)
        if unknown:
            allowed = ", ".join(sorted(self.read))
            raise FieldError(unknown[0], f"unknown field (allowed: {allowed})")
