"""The protocol's ``blinding`` and ``randomisation`` sections (issue 13)."""

from __future__ import annotations

from typing import Any

from diary.protocol.checks import Checker
from diary.protocol.model import BLINDING, Randomisation

METHODS = ("manual", "list")
STRATIFY_FACTORS = ("site",)  # what an enrolment carries; more factors need more fields


def read_blinding(check: Checker, value: Any, design: Any) -> str:
    """``double`` by default where there is something to blind (arms or treatments)."""
    if value is None:
        return "open" if design == "single_group" else "double"
    if value not in BLINDING:
        check.fail("blinding", f"must be one of {', '.join(BLINDING)}")
        return "double"
    return value


def read_randomisation(check: Checker, value: Any, design: Any,
                       sites: list[str]) -> Randomisation:
    """``{method: manual|list, stratify_by: [site]}``; manual when left out."""
    if value is None:
        return Randomisation()
    m = check.mapping(value, "randomisation", {"method", "stratify_by"}, {"method"})
    if m is None:
        return Randomisation()
    method = m.get("method")
    if method not in METHODS:
        check.fail("randomisation.method", f"must be one of {', '.join(METHODS)}")
        return Randomisation()
    if method == "list" and design not in ("parallel", "crossover"):
        check.fail("randomisation.method",
                   "only a parallel or crossover design has an arm or sequence to allocate")
    factors = m.get("stratify_by") or []
    if not isinstance(factors, list):
        check.fail("randomisation.stratify_by", "must be a list")
        factors = []
    for i, factor in enumerate(factors):
        if factor not in STRATIFY_FACTORS:
            check.fail(f"randomisation.stratify_by[{i}]",
                       f"must be one of {', '.join(STRATIFY_FACTORS)}")
    if len(set(map(str, factors))) != len(factors):
        check.fail("randomisation.stratify_by", "has duplicates")
    if factors and method != "list":
        check.fail("randomisation.stratify_by", "only a list randomisation is stratified")
    if "site" in factors and not sites:
        check.fail("randomisation.stratify_by", "stratifying by site needs the sites listed")
    return Randomisation(method, tuple(f for f in factors if f in STRATIFY_FACTORS))
