"""The protocol's ``fhir`` section: how the QuestionnaireResponse intake treats the study's
responses (in-progress ones, other apps' Questionnaire canonicals)."""

from __future__ import annotations

import re
from typing import Any

from diary.protocol.checks import Checker
from diary.protocol.model import FhirIntake, QuestionnaireAlias
from diary.protocol.references import unknown
from scoring.instruments.registry import INSTRUMENTS

IN_PROGRESS = ("refuse", "partial")
# An absolute URI (http(s)://host/..., urn:...), without "|version": an alias stands for
# every version of the other app's Questionnaire.
CANONICAL_RE = re.compile(r"^(?:https?://[^\s/|]+/[^\s|]*|urn:[A-Za-z0-9][^\s|]*)$")


def read_fhir(check: Checker, value: Any) -> FhirIntake:
    """``fhir: {in_progress: refuse|partial, questionnaire_aliases: [...]}``."""
    if value is None:
        return FhirIntake()
    m = check.mapping(value, "fhir", {"in_progress", "questionnaire_aliases"})
    if m is None:
        return FhirIntake()
    in_progress = m.get("in_progress", "refuse")
    if in_progress not in IN_PROGRESS:
        check.fail("fhir.in_progress", f"must be one of {', '.join(IN_PROGRESS)} (what to do "
                                       "with a QuestionnaireResponse whose status is "
                                       f"in-progress), got {in_progress!r}")
    aliases = check.items(m.get("questionnaire_aliases"), "fhir.questionnaire_aliases",
                          lambda v, p: _alias(check, v, p))
    seen: dict[str, str] = {}
    for n, alias in enumerate(aliases):
        path = f"fhir.questionnaire_aliases[{n}].canonical"
        if alias.canonical in seen:
            check.fail(path, f"{alias.canonical!r} is declared twice (first at "
                             f"{seen[alias.canonical]})")
        seen.setdefault(alias.canonical, path)
    return FhirIntake(in_progress=in_progress, questionnaire_aliases=tuple(aliases))


def _alias(check: Checker, value: Any, path: str) -> QuestionnaireAlias | None:
    # Imported here: the intake's URL rules live with the intake (one rule, one place).
    from diary.fhir.identify import builtin_instrument

    m = check.mapping(value, path, {"canonical", "instrument", "link_ids", "answers"},
                      {"canonical", "instrument"})
    if m is None:
        return None
    canonical = m.get("canonical")
    ok = True
    if not isinstance(canonical, str) or not CANONICAL_RE.fullmatch(canonical):
        check.fail(f"{path}.canonical", "must be the other app's Questionnaire canonical URL "
                   "(http(s)://... or urn:...) without |version (every version is meant), "
                   f"got {canonical!r}")
        ok = False
    elif (ours := builtin_instrument(canonical)) is not None:
        check.fail(f"{path}.canonical", f"{canonical!r} already names {ours.id} without an "
                   "alias (ours, LOINC's or Questionnaire/<code>); remove the alias")
        ok = False
    name = m.get("instrument")
    instrument = INSTRUMENTS.get(name) if isinstance(name, str) else None
    if instrument is None:
        check.fail(f"{path}.instrument", unknown("instrument", name, INSTRUMENTS)
                   + "; shipped: " + ", ".join(sorted(INSTRUMENTS)))
        return None
    link_ids = m.get("link_ids") or {}
    if not isinstance(link_ids, dict):
        check.fail(f"{path}.link_ids", "must be a mapping of the app's linkId to our item "
                                       "id (or a scale id, for a total the app calculates)")
        return None
    targets = set(instrument.item_ids) | {s.id for s in instrument.scales}
    for link_id, target in link_ids.items():
        if not isinstance(link_id, str) or not link_id.strip():
            check.fail(f"{path}.link_ids", f"linkId {link_id!r} must be a non-empty string")
            ok = False
        elif not isinstance(target, str) or target not in targets:
            check.fail(f"{path}.link_ids.{link_id}",
                       f"{target!r} is not an item or scale of {instrument.id}; "
                       f"items and scales: {', '.join(sorted(targets))}")
            ok = False
    if ok and len(set(link_ids.values())) != len(link_ids):
        check.fail(f"{path}.link_ids", "two linkIds map to the same item")
        ok = False
    system, codes = _answers(check, m.get("answers"), f"{path}.answers", instrument)
    if not ok or (m.get("answers") is not None and system is None):
        return None
    return QuestionnaireAlias(canonical, instrument.id, {str(k): v for k, v in link_ids.items()},
                              system, codes)


def _answers(check: Checker, value: Any, path: str, instrument) -> tuple[str | None, dict]:
    """``answers: {system: <url>, codes: {<code>: <score>}}``: the app's own answer codes."""
    if value is None:
        return None, {}
    m = check.mapping(value, path, {"system", "codes"}, {"system", "codes"})
    if m is None:
        return None, {}
    system, codes = m.get("system"), m.get("codes")
    ok = True
    if not isinstance(system, str) or not CANONICAL_RE.fullmatch(system):
        check.fail(f"{path}.system", f"must be the app's code system URL, got {system!r}")
        ok = False
    scores = {o.code for item in instrument.items for o in item.options}
    if not isinstance(codes, dict) or not codes:
        check.fail(f"{path}.codes", "must map each of the app's answer codes to its score")
        return None, {}
    for code, score in codes.items():
        if not isinstance(code, str) or not code.strip():
            check.fail(f"{path}.codes", f"code {code!r} must be a non-empty string")
            ok = False
        elif isinstance(score, bool) or not isinstance(score, int) or score not in scores:
            check.fail(f"{path}.codes.{code}", f"{score!r} is not a score of a coded item of "
                       f"{instrument.id}; scores: {', '.join(map(str, sorted(scores)))}")
            ok = False
    return (system, dict(codes)) if ok else (None, {})
