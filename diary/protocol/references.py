"""Names a protocol refers to, checked against what exists (issue 13).

A protocol names instruments, forms, assessments, anchors, endpoints and drug tables
that live elsewhere (the instrument registry, the protocol's own sections, packaged
tables). A name that refers to nothing would break the trial later: a reminder for a
questionnaire the API then refuses. Each such mistake is reported at its path, with
the nearest known names ("did you mean 'bpi_sf'?"); a licensed instrument without the
study's wording in one of its languages is a warning, not a mistake.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from diary.protocol.checks import Checker
from diary.protocol.model import ADVERSE_EVENTS, FORMS, QUESTIONNAIRE, SIDE_EFFECTS
from scoring.instruments.registry import INSTRUMENTS

__all__ = ["assessment_form", "did_you_mean", "licensed_text_warnings",
           "questionnaire_endpoint_issues", "questionnaire_units", "unknown"]


def did_you_mean(name: Any, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for names close to ``name`` (difflib's ratio >= 0.6), else ``""``.

    >>> did_you_mean("bpi_sff", ["bpi_sf", "dn4", "nrs_pain"])
    " (did you mean 'bpi_sf'?)"
    >>> did_you_mean("fdi", ["fdi_child", "fdi_parent", "dn4"])
    " (did you mean 'fdi_child' or 'fdi_parent'?)"
    >>> did_you_mean("zzz", ["bpi_sf"])
    ''
    """
    if not isinstance(name, str):
        return ""
    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    # A family split into variants (fdi -> fdi_child, fdi_parent) is too short for the ratio.
    close += [k for k in known if k.startswith(f"{name}_") and k not in close][:3 - len(close)]
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def unknown(what: str, name: Any, known: Iterable[str]) -> str:
    """The rule text for a name that refers to nothing: ``unknown instrument 'fdi' (...)``."""
    return f"unknown {what} {name!r}{did_you_mean(name, known)}"


def assessment_form(check: Checker, m: dict, path: str) -> tuple[str | None, str]:
    """An assessment's ``(instrument, form)``: a questionnaire names its ``instrument``;
    the side-effect checklist and the adverse-event form are ``form: side_effects`` and
    ``form: adverse_events`` (they are not questionnaires and have no scores).

    ``instrument: side_effects`` (what the seed protocols said before there was a
    ``form``) is refused with the fix; a version stored before this check reads it as
    the form it meant (``Checker.refer`` only warns there).
    """
    if "form" in m:
        if "instrument" in m:
            check.fail(f"{path}.form", "give either instrument (a questionnaire) or form, "
                                       "not both")
            return None, QUESTIONNAIRE
        form = m["form"]
        if form not in FORMS:
            check.fail(f"{path}.form", unknown("form", form, FORMS)
                       + f"; forms: {', '.join(FORMS)}")
            return None, QUESTIONNAIRE
        return form, form
    instrument = m.get("instrument")
    if not isinstance(instrument, str):
        return None, QUESTIONNAIRE  # reported by the caller's text check
    if instrument in FORMS:
        check.refer(f"{path}.instrument", f"{instrument!r} is a form, not a questionnaire: "
                                          f"write form: {instrument}")
        return instrument, instrument
    if instrument and instrument not in INSTRUMENTS:
        check.refer(f"{path}.instrument", unknown("instrument", instrument, INSTRUMENTS))
    return instrument, QUESTIONNAIRE


def questionnaire_endpoint_issues(specs: list, assessments: list) -> list[tuple[str, str]]:
    """``(path, rule)`` for ``questionnaire`` endpoints whose assessment, scale or
    occurrence does not exist. *specs* come from ``validate_endpoints`` (one per
    declaration, in order)."""
    by_key = {a.key: a for a in assessments}
    issues = []
    for i, spec in enumerate(specs):
        if spec.kind != "questionnaire":
            continue
        at = f"endpoints[{i}]"
        assessment = by_key.get(spec.assessment)
        if assessment is None:
            issues.append((f"{at}.assessment", unknown("assessment", spec.assessment, by_key)))
            continue
        if assessment.form != QUESTIONNAIRE:
            issues.append((f"{at}.assessment", f"{spec.assessment!r} is the "
                                               f"{_FORM_NAMES[assessment.form]}, which has "
                                               "no scores"))
            continue
        instrument = INSTRUMENTS.get(assessment.instrument)
        if instrument is None:
            continue  # reported at the assessment's instrument
        scales = [s.id for s in instrument.scales]
        if spec.scale not in scales:
            issues.append((f"{at}.scale", f"{spec.assessment!r} ({instrument.id}) has no "
                                          f"scale {spec.scale!r}{did_you_mean(spec.scale, scales)}"
                                          f"; scales: {', '.join(scales)}"))
        if spec.occurrence >= assessment.occurrences:
            issues.append((f"{at}.occurrence", f"{spec.assessment!r} occurs "
                                               f"{assessment.occurrences} time(s), numbered "
                                               f"from 0"))
    return issues


def questionnaire_units(specs: list, assessments: list) -> dict[str, str]:
    """Default units of ``questionnaire`` endpoints, by endpoint key: the instrument
    scale's name and published range ("HADS-A 0-21", "EQ VAS 0-100"); a scale named only
    by its id gets the instrument's ("nrs_pain average 0-10").  Endpoints whose
    assessment, instrument or scale is unknown are left out (reported elsewhere)."""
    by_key = {a.key: a for a in assessments}
    out = {}
    for spec in specs:
        assessment = by_key.get(getattr(spec, "assessment", None))
        instrument = INSTRUMENTS.get(assessment.instrument) if assessment else None
        if spec.kind != "questionnaire" or instrument is None:
            continue
        scale = next((s for s in instrument.scales if s.id == spec.scale), None)
        if scale is None:
            continue
        name = scale.label if scale.label != scale.id else f"{instrument.id} {scale.id}"
        span = (f"{scale.low}-{scale.high}" if scale.low >= 0
                else f"{scale.low} to {scale.high}")
        out[spec.key] = f"{name} {span}"
    return out


_FORM_NAMES = {SIDE_EFFECTS: "side-effect checklist", ADVERSE_EVENTS: "adverse-event form"}


def licensed_text_warnings(instruments: Iterable[str], languages: Iterable[str],
                           texts: dict) -> list[tuple[str, str]]:
    """``(path, rule)`` for each licensed instrument the study uses and each of its
    languages without the study's wording: the app then shows our neutral labels."""
    out = []
    for inst_id in sorted(set(instruments)):
        instrument = INSTRUMENTS.get(inst_id)
        if instrument is None or instrument.licence != "licensed":
            continue
        for lang in languages:
            if lang not in texts.get(inst_id, {}):
                out.append((f"instrument_texts.{inst_id}.{lang}",
                            f"{inst_id} is licensed and the study gives no wording in "
                            f"{lang!r}: the app shows neutral item labels"))
    return out
