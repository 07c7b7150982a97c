"""Study-supplied scoring options: what a protocol may set per instrument, checked once.

Some published rules leave a choice to the study: whether PHQ-9, GAD-7 or the FDI
prorate missing items (``max_missing``), and which EQ-5D-5L value set turns a profile
into a utility index (``value_set``, the study's data with its citation; we ship
none).  :func:`parse_options` checks a protocol's ``{option: value}`` mapping for one
instrument and returns the keyword arguments for its scoring function, or raises
:class:`InvalidOptions` naming every refused field.

Examples
--------
>>> parse_options("phq9", {"max_missing": 1})
{'max_missing': 1}
>>> parse_options("nrs_pain", {"max_missing": 1})
Traceback (most recent call last):
...
scoring.instruments.options.InvalidOptions: invalid options for nrs_pain: \
max_missing: nrs_pain takes no scoring options
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scoring.instruments.eq5d_values import ValueSet
from scoring.instruments.fdi import MAX_MISSING as FDI_MAX_MISSING
from scoring.instruments.model import OptionError

__all__ = ["OPTION_NAMES", "InvalidOptions", "OptionError", "parse_options"]


class InvalidOptions(ValueError):
    """A protocol's options for one instrument broke a rule; ``errors`` names each."""

    def __init__(self, instrument: str, errors: list[OptionError]) -> None:
        self.instrument = instrument
        self.errors = errors
        lines = "; ".join(f"{e.field}: {e.rule}" for e in errors)
        super().__init__(f"invalid options for {instrument}: {lines}")


def _max_missing(top: int) -> Callable[[Any, str, list[OptionError]], Any]:
    def parse(value: Any, path: str, errors: list[OptionError]) -> Any:
        if type(value) is not int or not 0 <= value <= top:
            errors.append(OptionError(path, f"must be an integer from 0 to {top}"))
        return value
    return parse


_Parser = Callable[[Any, str, list[OptionError]], Any]
_PARSERS: dict[str, dict[str, _Parser]] = {
    # PHQ-9 / GAD-7: "a study may allow max_missing=1" (see scoring.instruments.phq).
    "phq9": {"max_missing": _max_missing(1)},
    "gad7": {"max_missing": _max_missing(1)},
    "fdi_child": {"max_missing": _max_missing(FDI_MAX_MISSING)},
    "fdi_parent": {"max_missing": _max_missing(FDI_MAX_MISSING)},
    "eq5d5l": {"value_set": ValueSet.parse},
}

#: Instrument id -> the option names a protocol may set for it.
OPTION_NAMES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _PARSERS.items()}


def parse_options(instrument_id: str, options: Mapping[str, Any], *,
                  path: str = "") -> dict[str, Any]:
    """Check ``options`` for ``instrument_id``; return the scorer's keyword arguments.

    ``path`` prefixes each error's field (e.g. ``instrument_options.eq5d5l``).  Raises
    :class:`InvalidOptions` listing every refused option, not only the first.
    """
    prefix = f"{path}." if path else ""
    known = _PARSERS.get(instrument_id, {})
    errors: list[OptionError] = []
    if not isinstance(options, Mapping):
        raise InvalidOptions(instrument_id, [OptionError(path or instrument_id,
                                                         "must be a mapping")])
    out: dict[str, Any] = {}
    for name, value in options.items():
        parse = known.get(name)
        if parse is None:
            rule = (f"unknown option; {instrument_id} takes {', '.join(known)}" if known
                    else f"{instrument_id} takes no scoring options")
            errors.append(OptionError(f"{prefix}{name}", rule))
            continue
        out[str(name)] = parse(value, f"{prefix}{name}", errors)
    if errors:
        raise InvalidOptions(instrument_id, errors)
    return out
