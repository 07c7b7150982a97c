"""Read answers out of a FHIR R4 ``QuestionnaireResponse`` (raw JSON), checking every value.

fhir.resources coerces (``"2"`` and ``true`` become integers, an unknown
``status`` passes, an answer without a value passes: PITFALLS "FHIR"), so the
raw JSON is checked here first; the R4B model then adds what it finds elsewhere.

Mapping: the instrument comes from ``questionnaire`` (``.../Questionnaire/<id>``
or LOINC's ``http://loinc.org/q/<panel>``, optionally ``|version``) or, when
that is absent as in many R4 responses, from the caller's ``instrument_id``.
R4 has no ``item.code``: items match by ``linkId`` = our item id, or = the
item's LOINC code as lforms writes it (``/44250-9``).  Groups are flattened.
Answers: ``valueInteger`` (a JSON integer, not a boolean or string) or, for
coded items, ``valueCoding`` (LOINC answer code, or our code system whose code
is the score).  ``valueDecimal`` and other types are refused: items are integers.

Examples
--------
>>> qr = {"resourceType": "QuestionnaireResponse", "status": "completed",
...       "questionnaire": "urn:paindiary/Questionnaire/gad7|1",
...       "item": [{"linkId": "/68509-9", "answer": [{"valueCoding": {
...           "system": "http://loinc.org", "code": "LA18938-3"}}]}]}
>>> answers_from_questionnaire_response(qr).answers
{'gad7_2': 2}
>>> qr["item"][0]["answer"] = [{"valueInteger": "2"}]
>>> answers_from_questionnaire_response(qr)
Traceback (most recent call last):
...
diary.fhir.responses.FhirResponseError: item[0].answer[0]: valueInteger must be an integer, got "2"
"""

from __future__ import annotations

import contextlib
import copy
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from diary.fhir._codes import LOINC, instrument_at, item_by_link_id
from diary.timezones import utc_instant
from scoring.instruments.model import Instrument, Item
from scoring.instruments.registry import INSTRUMENTS, validate_answers

__all__ = [
    "ALLOWED_STATUSES",
    "FhirResponseError",
    "Issue",
    "ParsedResponse",
    "answers_from_questionnaire_response",
]

# A correction arrives as "amended"; in-progress, stopped and entered-in-error are not
# responses to score.
ALLOWED_STATUSES = ("completed", "amended")


class Issue(NamedTuple):
    """One problem: where in the payload (``item[3].answer[0]``) and the rule broken."""

    path: str
    rule: str


class FhirResponseError(ValueError):
    """The payload is not an acceptable response; ``issues`` lists every problem."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{i.path}: {i.rule}" for i in issues))


@dataclass(frozen=True, slots=True)
class ParsedResponse:
    """Answers keyed by our item ids (``None``: item present without an answer)."""

    instrument_id: str
    answers: dict[str, int | None]
    authored: datetime | None
    raw: dict
    status: str = "completed"


def answers_from_questionnaire_response(
    payload: dict, *, instrument_id: str | None = None
) -> ParsedResponse:
    """Map a QuestionnaireResponse to our answers, or raise :class:`FhirResponseError`.

    ``instrument_id`` is used when the payload has no ``questionnaire``; when both
    are given they must agree.  ``authored``, when present, must carry a time and
    a zone offset (it is the device time).  ``raw`` is a deep copy of ``payload``.
    """
    if not isinstance(payload, dict):
        raise FhirResponseError([Issue("$", "must be a JSON object")])
    kind = payload.get("resourceType")
    if kind != "QuestionnaireResponse":
        raise FhirResponseError(
            [Issue("resourceType", f"must be QuestionnaireResponse, got {_shown(kind)}")]
        )
    issues: list[Issue] = []
    status = payload.get("status")
    if status not in ALLOWED_STATUSES:
        rule = f"must be one of {', '.join(ALLOWED_STATUSES)}, got {_shown(status)}"
        issues.append(Issue("status", rule))
    instrument = _instrument(payload.get("questionnaire"), instrument_id, issues)
    authored = _authored(payload.get("authored"), issues)
    answers: dict[str, int | None] = {}
    if instrument is not None:
        where: dict[str, str] = {}
        _walk(instrument, payload.get("item"), "item", answers, where, issues)
        given = {k: v for k, v in answers.items() if v is not None}
        for error in validate_answers(instrument, given):
            issues.append(Issue(f"{where[error.item]}.answer[0]", f"{error.item}: {error.rule}"))
    issues += _model_issues(payload, [i.path for i in issues])
    if issues:
        raise FhirResponseError(issues)
    assert instrument is not None and isinstance(status, str)
    return ParsedResponse(instrument.id, answers, authored, copy.deepcopy(payload), status)


def _instrument(canonical: Any, instrument_id: str | None, issues: list[Issue]):
    known = ", ".join(sorted(INSTRUMENTS))
    if canonical is None:
        if instrument_id is None:
            rule = "is absent: give .../Questionnaire/<id> or the instrument id out of band"
        elif instrument_id not in INSTRUMENTS:
            rule = f"is absent and {instrument_id!r} is not an instrument; known: {known}"
        else:
            return INSTRUMENTS[instrument_id]
        issues.append(Issue("questionnaire", rule))
        return None
    if not isinstance(canonical, str):
        issues.append(Issue("questionnaire", "must be a canonical URL string"))
        return None
    url, _, version = canonical.partition("|")
    found = instrument_at(url)
    if found is None:
        rule = f"{canonical!r} is not a published questionnaire; ids: {known}"
    elif version and version != found.version:
        rule = f"version {version!r} of {found.id} is not published; current: {found.version}"
    elif instrument_id is not None and instrument_id != found.id:
        rule = f"names {found.id} but the instrument given is {instrument_id}"
    else:
        return found
    issues.append(Issue("questionnaire", rule))
    return None


def _authored(value: Any, issues: list[Issue]) -> datetime | None:
    parsed = None
    if isinstance(value, str) and "T" in value:
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value)
    if value is not None and (parsed is None or parsed.tzinfo is None):
        rule = "must be a dateTime with time and zone offset (the device time)"
        issues.append(Issue("authored", f"{rule}, got {_shown(value)}"))
        return None
    if parsed is not None:
        try:
            utc_instant(parsed)  # the offset is kept: it says where the device was
        except ValueError as exc:  # out of range: would overflow in conversion to UTC
            issues.append(Issue("authored", str(exc)))
            return None
    return parsed


def _walk(instrument: Instrument, items: Any, path: str, answers: dict[str, int | None],
          where: dict[str, str], issues: list[Issue]) -> None:
    """Flatten ``items`` (groups and answer-nested items) into ``answers``."""
    if items is None:
        return
    if not isinstance(items, list):
        issues.append(Issue(path, "must be a list of items"))
        return
    for n, node in enumerate(items):
        here = f"{path}[{n}]"
        if not isinstance(node, dict):
            issues.append(Issue(here, "must be an object"))
            continue
        link_id, given = node.get("linkId"), node.get("answer")
        if not isinstance(link_id, str) or not link_id:
            issues.append(Issue(f"{here}.linkId", "is required (a non-empty string)"))
            continue
        item = item_by_link_id(instrument, link_id)
        if item is None and given is None and node.get("item") is not None:
            pass  # a group of ours or the client's: only its questions count
        elif item is None:
            issues.append(Issue(f"{here}.linkId", f"unknown item {link_id!r} for {instrument.id}"))
            continue
        elif item.id in where:
            rule = f"{item.id} answered more than once (first at {where[item.id]})"
            issues.append(Issue(f"{here}.linkId", rule))
            continue
        else:
            where[item.id] = here
            answers[item.id] = _value(instrument, item, given, here, issues)
        _walk(instrument, node.get("item"), f"{here}.item", answers, where, issues)
        for k, answer in enumerate(given if isinstance(given, list) else []):
            if isinstance(answer, dict) and "item" in answer:
                nested = f"{here}.answer[{k}].item"
                _walk(instrument, answer["item"], nested, answers, where, issues)


def _value(instrument: Instrument, item: Item, given: Any, here: str,
           issues: list[Issue]) -> int | None:
    takes = "valueInteger" if item.bounds else "valueCoding or valueInteger"
    if given is None:
        return None
    if not isinstance(given, list) or len(given) != 1:
        issues.append(Issue(f"{here}.answer", f"must hold exactly one answer for {item.id}"))
        return None
    answer, at = given[0], f"{here}.answer[0]"
    keys = [k for k in answer if k.startswith("value")] if isinstance(answer, dict) else []
    if len(keys) != 1:
        got = "no value" if not keys else f"{len(keys)} values"
        issues.append(Issue(at, f"has {got}; {item.id} takes one {takes} ({item.allowed})"))
        return None
    key, value = keys[0], answer[keys[0]]
    if key == "valueInteger":
        if type(value) is not int:
            issues.append(Issue(at, f"valueInteger must be an integer, got {_shown(value)}"))
            return None
        return value
    if key == "valueCoding" and not item.bounds:
        return _coded(instrument, item, value, at, issues)
    issues.append(Issue(at, f"{key} is not accepted: {item.id} takes {takes} ({item.allowed})"))
    return None


def _coded(instrument: Instrument, item: Item, coding: Any, at: str,
           issues: list[Issue]) -> int | None:
    if isinstance(coding, dict):
        system, code = coding.get("system"), coding.get("code")
        for option in item.options:
            if system == LOINC and option.loinc is not None and code == option.loinc:
                return option.code
            ours = isinstance(system, str) and system.endswith(f"/CodeSystem/{instrument.id}")
            if ours and code == str(option.code):
                return option.code
    allowed = ", ".join(f"{o.loinc} = {o.code}" if o.loinc else str(o.code) for o in item.options)
    rule = f"valueCoding {_shown(coding)} is not an answer of {item.id}; allowed: {allowed}"
    issues.append(Issue(at, rule))
    return None


def _model_issues(payload: dict, reported: list[str]) -> list[Issue]:
    """What the R4B model refuses, except under paths already reported by the raw checks."""
    # Imported on first use: fhir.resources and pydantic cost ~0.1 s of every start (issue 12).
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from pydantic import ValidationError

    try:
        QuestionnaireResponse.model_validate(payload)
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
            path = path.lstrip(".") or "$"
            if not any(path == p or path.startswith((p + ".", p + "[")) for p in reported):
                found.append(Issue(path, error["msg"]))
        return found
    return []


def _shown(value: Any) -> str:
    """The value as the client sent it (JSON), e.g. ``"2"`` for a string, ``true``."""
    return json.dumps(value, default=repr)
