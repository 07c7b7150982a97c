"""Endpoint declarations: validate them, then compute them for participant-periods.

A protocol declares its endpoints as plain dicts (the protocol loader parses
the YAML); :func:`validate_endpoints` turns them into specs, in declaration
order, or raises :class:`EndpointError` listing every ``(path, rule)``.  A
derived endpoint (``change``, ``percent_change``, ``responder``) refers to
endpoints declared before it, by output key (a weekly endpoint ``wk`` with
``weeks: 12`` outputs ``wk_w1`` .. ``wk_w12``).

Built-in kinds (parameters; defaults after ``=``):

==============  ==============================================================
auc             from_day, to_day, ends=carry (carry|none), min_coverage, min_days
timepoint       day, window=0 (± days averaged), min_days=1
weekly          weeks (count n -> weeks 1..n, or a list), min_days=4
baseline        from_day=-7, to_day=-1, min_days=4
change          of, baseline=<the only baseline endpoint>
percent_change  of, baseline
responder       of (a percent_change, or a score with baseline), reduction_percent
compliance      from_day, to_day
==============  ==============================================================

Medication and side-effect kinds (``mme_total``, ``mme_daily_mean``,
``rescue_days``, ``mme_change``; ``ae_any``, ``symptom_count``,
``symptom_max_severity``) read ``extra`` data: see :mod:`scoring.medication_kind`
and :mod:`scoring.safety_kind`.

Every kind also takes ``key``, ``kind``, ``label`` (<= 40 chars),
``paramcd`` (ADaM PARAMCD, <= 8 chars), ``precision`` (decimals, 0-6), ``unit``
(printed beside the summary's mean ± SD; defaults per kind, :mod:`scoring.units`)
and ``primary`` (true for the trial's primary endpoint).  Days follow :mod:`scoring.days`.
While ``today_day <= `` the last day an output reads, it is pending.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import scoring.derived  # noqa: F401  (registers the built-in kinds)
import scoring.kinds  # noqa: F401
import scoring.medication_kind  # noqa: F401
import scoring.questionnaire_kind  # noqa: F401
import scoring.safety_kind  # noqa: F401
from scoring.compute import (
    compute_endpoints,
    compute_endpoints_batch,
    per_row_days,
    specs_span,
)
from scoring.params import FieldError
from scoring.spec import KINDS, EndpointSpec
from scoring.units import resolve_units

__all__ = [
    "EndpointError",
    "compute_endpoints",
    "compute_endpoints_batch",
    "per_row_days",
    "specs_span",
    "validate_endpoints",
]


class EndpointError(ValueError):
    """Endpoint declarations that cannot be used; ``issues`` lists (path, rule).

    The message has one ``path: rule`` line per issue, as the protocol
    loader's ``ProtocolError``.
    """

    def __init__(self, issues: list[tuple[str, str]]):
        self.issues = issues
        super().__init__("\n".join(f"{path}: {rule}" for path, rule in issues))


def validate_endpoints(
    declarations: Sequence[Mapping[str, Any]], *, path: str = "endpoints"
) -> list[EndpointSpec]:
    """Validate endpoint dicts and return their specs in declaration order.

    Parameters
    ----------
    declarations : sequence of dict
        One dict per endpoint, as parsed from the protocol.
    path : str
        Prefix of issue paths.

    Raises
    ------
    EndpointError
        Listing every issue found, e.g. ``endpoints[2].from_day: must be <=
        to_day (35 > 1)``.

    Examples
    --------
    >>> specs = validate_endpoints([
    ...     {"key": "bl", "kind": "baseline"},
    ...     {"key": "wk", "kind": "weekly", "weeks": 12},
    ...     {"key": "pchg_w12", "kind": "percent_change", "of": "wk_w12"},
    ...     {"key": "resp30", "kind": "responder", "of": "pchg_w12", "reduction_percent": 30},
    ... ])
    >>> [s.kind for s in specs], specs[2].baseline
    (['baseline', 'weekly', 'percent_change', 'responder'], 'bl')
    >>> validate_endpoints([{"key": "a", "kind": "auc", "from_day": 35, "to_day": 1},
    ...                     {"key": "c", "kind": "change", "of": "x"}])
    Traceback (most recent call last):
    ...
    scoring.endpoints.EndpointError: endpoints[0].from_day: must be <= to_day (35 > 1)
    endpoints[1].of: unknown endpoint 'x'
    """
    if isinstance(declarations, str | bytes | Mapping) or not isinstance(declarations, Sequence):
        raise EndpointError([(path, "must be a list of endpoint mappings")])
    issues: list[tuple[str, str]] = []
    specs: list[EndpointSpec] = []
    known: dict[str, EndpointSpec] = {}      # output key -> spec, declared so far
    where: dict[str, int] = {}               # output key -> declaration index
    later = {d["key"]: i for i, d in enumerate(declarations)
             if isinstance(d, Mapping) and isinstance(d.get("key"), str)}
    annotated: dict[tuple[str, str], str] = {}
    row_base: dict[str, tuple[str, str]] = {}
    declared: set[str] = set()
    for i, d in enumerate(declarations):
        at = f"{path}[{i}]"
        try:
            key = d.get("key") if isinstance(d, Mapping) else None
            if isinstance(key, str) and key in declared:
                raise FieldError("key", f"duplicate key {key!r}")
            declared.add(key)
            spec = _parse_one(d)
            for name, ref in spec.references().items():
                if ref not in known:
                    j = later.get(ref)
                    hint = "" if j is None or j <= i else f" (declared later, at {path}[{j}])"
                    close = difflib.get_close_matches(str(ref), sorted(known), n=3)
                    if not hint and close:
                        hint = f" (did you mean {' or '.join(map(repr, close))}?)"
                    raise FieldError(name, f"unknown endpoint {ref!r}{hint}")
            spec = spec.resolve(known)
            for o in spec.outputs():
                if o.key in where:
                    raise FieldError("key", f"output {o.key!r} is also declared by "
                                            f"{path}[{where[o.key]}]")
            _check_one_row_value(spec, annotated, row_base)
        except FieldError as e:
            issues.append((f"{at}.{e.field}" if e.field else at, e.rule))
            continue
        specs.append(spec)
        for o in spec.outputs():
            known[o.key], where[o.key] = spec, i
    if issues:
        raise EndpointError(issues)
    return resolve_units(specs)


def _parse_one(d: Any) -> EndpointSpec:
    if not isinstance(d, Mapping):
        raise FieldError("", "must be a mapping")
    kind = d.get("kind")
    if kind is None:
        raise FieldError("kind", "is required")
    if not isinstance(kind, str) or kind not in KINDS:
        raise FieldError("kind", f"unknown kind {kind!r} (known: {', '.join(sorted(KINDS))})")
    return KINDS[kind].from_dict(d)


def _check_one_row_value(spec, annotated, row_base) -> None:
    """One CHG and one PCHG per long-table row, all against one BASE."""
    annotation = getattr(spec, "adam_annotation", None)
    if annotation is None:
        return
    row, column = annotation()
    if column != "CRIT" and (row, column) in annotated:
        raise FieldError("of", f"{row!r} already has a {column} endpoint "
                               f"({annotated[row, column]})")
    base = getattr(spec, "baseline", None)
    if base is not None and row in row_base and row_base[row][0] != base:
        other_base, other = row_base[row]
        raise FieldError("baseline", f"{row!r} is compared with {other_base!r} by {other}; "
                                     "a row has one BASE")
    annotated[row, column] = spec.key
    if base is not None:
        row_base.setdefault(row, (base, spec.key))
