"""The side-effect checklist: symptoms with a 4-level severity, and answer validation.

Default symptoms are those issue 6 names, the ones reviews of ketamine for pain single
out (nausea, vomiting, dizziness, psychotomimetic effects).  Severity is coded
0 none, 1 mild, 2 moderate, 3 severe (the CTCAE-style mild/moderate/severe words plus
"none" so an answered "absent" is told apart from an unanswered item).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_SYMPTOMS",
    "SEVERITIES",
    "Checklist",
    "ChecklistAnswer",
    "ChecklistError",
    "Symptom",
    "endpoint_symptom_issues",
    "make_checklist",
    "severity_code",
    "validate_answer",
]

#: Severity words by code (0..3).
SEVERITIES: tuple[str, ...] = ("none", "mild", "moderate", "severe")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_FREE_TEXT_MAX = 500


class ChecklistError(ValueError):
    """A checklist declaration or answer breaks a rule: ``field`` and ``rule`` (the first);
    ``errors`` lists every ``(field, rule)`` when an answer breaks several."""

    def __init__(self, field: str, rule: str,
                 errors: Sequence[tuple[str, str]] | None = None):
        self.field, self.rule = field, rule
        self.errors = list(errors) if errors else [(field, rule)]
        super().__init__("; ".join(f"{f}: {r}" for f, r in self.errors))


@dataclass(frozen=True, slots=True)
class Symptom:
    """One checklist item: a stable code (endpoint and storage key) and its label."""

    code: str
    label: str


DEFAULT_SYMPTOMS: tuple[Symptom, ...] = (
    Symptom("nausea", "Nausea"),
    Symptom("vomiting", "Vomiting"),
    Symptom("dizziness", "Dizziness"),
    Symptom("drowsiness", "Drowsiness"),
    Symptom("headache", "Headache"),
    Symptom("hallucinations", "Hallucinations"),
    Symptom("vivid_dreams", "Nightmares or vivid dreams"),
    Symptom("dissociation", "Feeling detached or unreal"),
    Symptom("blurred_vision", "Blurred vision"),
    Symptom("injection_site_pain", "Pain at the injection site"),
)


@dataclass(frozen=True)
class Checklist:
    """The symptoms a protocol asks about, in display order."""

    symptoms: tuple[Symptom, ...] = DEFAULT_SYMPTOMS

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.symptoms)


def make_checklist(declaration: Sequence[Any] | None = None, *,
                   path: str = "side_effects") -> Checklist:
    """A checklist from a protocol declaration; ``None`` gives the default one.

    Items are default codes (``nausea``) or ``{code, label}`` mappings for symptoms of
    the study's own.

    Examples
    --------
    >>> make_checklist(["nausea", {"code": "metallic_taste", "label": "Metallic taste"}]).codes
    ('nausea', 'metallic_taste')
    >>> make_checklist(["nausae"])
    Traceback (most recent call last):
    ...
    diary.safety.checklist.ChecklistError: side_effects[0]: unknown symptom 'nausae'; \
give {code, label} for a symptom of the study's own
    """
    if declaration is None:
        return Checklist()
    if isinstance(declaration, str | bytes | Mapping) or not isinstance(declaration, Sequence):
        raise ChecklistError(path, "must be a list of symptom codes or {code, label}")
    known = {s.code: s for s in DEFAULT_SYMPTOMS}
    out: list[Symptom] = []
    for i, item in enumerate(declaration):
        at = f"{path}[{i}]"
        if isinstance(item, str):
            if item not in known:
                raise ChecklistError(at, f"unknown symptom {item!r}; give {{code, label}} "
                                         "for a symptom of the study's own")
            sym = known[item]
        elif isinstance(item, Mapping) and set(item) == {"code", "label"}:
            code, label = item["code"], item["label"]
            if not isinstance(code, str) or not _CODE.fullmatch(code):
                raise ChecklistError(f"{at}.code", f"must match {_CODE.pattern}, got {code!r}")
            if not isinstance(label, str) or not 0 < len(label.strip()) <= 80:
                raise ChecklistError(f"{at}.label", "must be a text of 1 to 80 characters")
            sym = Symptom(code, label.strip())
        else:
            raise ChecklistError(at, "must be a symptom code or a mapping {code, label}")
        if sym.code in {s.code for s in out}:
            raise ChecklistError(at, f"duplicate symptom {sym.code!r}")
        out.append(sym)
    if not out:
        raise ChecklistError(path, "must name at least one symptom")
    return Checklist(tuple(out))


def severity_code(value: object, field: str = "severity") -> int:
    """Severity code 0..3 from a code or a word (``"Moderate"`` -> 2).

    Examples
    --------
    >>> severity_code("Moderate"), severity_code(3)
    (2, 3)
    """
    if isinstance(value, str):
        word = value.strip().lower()
        if word in SEVERITIES:
            return SEVERITIES.index(word)
    elif type(value) is int and 0 <= value < len(SEVERITIES):
        return value
    raise ChecklistError(field, f"must be 0-3 or one of {', '.join(SEVERITIES)}, got {value!r}")


@dataclass(frozen=True)
class ChecklistAnswer:
    """A validated checklist: severity code per answered symptom, plus free text."""

    severities: Mapping[str, int]
    free_text: str | None = None

    @property
    def max_severity(self) -> int:
        return max(self.severities.values(), default=0)

    def at_least(self, level: int) -> tuple[str, ...]:
        """Codes of the symptoms reported at *level* or worse, in checklist order."""
        return tuple(c for c, v in self.severities.items() if v >= level)


def validate_answer(
    checklist: Checklist,
    answers: Mapping[str, object],
    *,
    free_text: str | None = None,
    partial: bool = False,
) -> ChecklistAnswer:
    """Check one checklist answer; every symptom must be answered unless *partial*.

    A complete answer makes "none" explicit, so a symptom-free day counts as assessed
    (:mod:`scoring.safety_kind` needs that to tell "no side effect" from "not asked").
    *partial* serves short SMS reports (``SE nausea moderate``) naming only symptoms
    present; the others stay unanswered, not "none".

    Examples
    --------
    >>> c = make_checklist(["nausea", "dizziness"])
    >>> validate_answer(c, {"nausea": "mild", "dizziness": 0}).severities
    {'nausea': 1, 'dizziness': 0}
    >>> validate_answer(c, {"nausea": 1})
    Traceback (most recent call last):
    ...
    diary.safety.checklist.ChecklistError: dizziness: is required (0-3 or none, mild, \
moderate, severe)

    Every mistake is reported at once (issue 13), so the app can mark all of them:

    >>> validate_answer(c, {"itch": 1}).severities
    Traceback (most recent call last):
    ...
    diary.safety.checklist.ChecklistError: itch: not a symptom of this checklist (nausea, \
dizziness); nausea: is required (0-3 or none, mild, moderate, severe); dizziness: is \
required (0-3 or none, mild, moderate, severe)
    """
    if not isinstance(answers, Mapping):
        raise ChecklistError("answers", "must be a mapping of symptom code to severity")
    errors: list[tuple[str, str]] = []
    for code in answers:
        if code not in checklist.codes:
            errors.append((str(code), f"not a symptom of this checklist "
                                      f"({', '.join(checklist.codes)})"))
    out: dict[str, int] = {}
    for code in checklist.codes:
        if code not in answers or answers[code] is None:
            if not partial:
                errors.append((code, f"is required (0-3 or {', '.join(SEVERITIES)})"))
            continue
        try:
            out[code] = severity_code(answers[code], code)
        except ChecklistError as exc:
            errors.append((exc.field, exc.rule))
    if errors:
        raise ChecklistError(*errors[0], errors=errors)
    if partial and not out:
        raise ChecklistError("answers", "must report at least one symptom")
    if free_text is not None:
        if not isinstance(free_text, str) or len(free_text) > _FREE_TEXT_MAX:
            raise ChecklistError("free_text", f"must be a text of at most {_FREE_TEXT_MAX} "
                                              "characters")
        free_text = free_text.strip() or None
    return ChecklistAnswer(out, free_text)


def endpoint_symptom_issues(specs: Sequence[Any], checklist: Checklist, *,
                            path: str = "endpoints") -> list[tuple[str, str]]:
    """``(path, rule)`` for symptom endpoints naming a symptom the checklist lacks.

    For the protocol loader: ``scoring`` validates the symptom code's form only, since
    the checklist is the protocol's.  *specs* come from ``validate_endpoints`` (one per
    declaration, in order).
    """
    issues = []
    for i, spec in enumerate(specs):
        code = getattr(spec, "symptom", None)
        if code is not None and code not in checklist.codes:
            issues.append((f"{path}[{i}].symptom", f"{code!r} is not on the side-effect "
                                                   f"checklist ({', '.join(checklist.codes)})"))
    return issues
