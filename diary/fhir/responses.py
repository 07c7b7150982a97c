"""Read answers out of a FHIR R4 ``QuestionnaireResponse`` (raw JSON), checking every value.

fhir.resources coerces (``"2"`` and ``true`` become integers, an unknown
``status`` passes, an answer without a value passes: PITFALLS "FHIR"), so the
raw JSON is checked here first; the R4B model then adds what it finds elsewhere.

The instrument and the meaning of each linkId come from :mod:`diary.fhir.identify`
(canonical URL, study alias, contained Questionnaire, or the items themselves).
Items are found at any depth of groups and answer-nested items.  Answers:
``valueInteger`` (a JSON integer, not a boolean or string); for coded items
``valueCoding`` (LOINC answer code, or our code system whose code is the score);
for ranged items a whole ``valueDecimal`` (``7.0``, as sliders send it).  A form
tool's calculated total is kept to be compared with our score, never refused.
Every ``modifierExtension`` is refused (we understand none); ordinary extensions
are ignored.  Every refusal names its path (``item[3].answer[0].valueCoding.code``)
and the value sent.

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
diary.fhir.issues.FhirResponseError: item[0].answer[0].valueInteger: must be an integer, got "2"
"""

from __future__ import annotations

import contextlib
import copy
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from diary.fhir._codes import LOINC
from diary.fhir.identify import Identified, identify, target_of
from diary.fhir.issues import FhirResponseError, Issue, shown
from diary.timezones import utc_instant
from scoring.instruments.model import Instrument, Item, Scale
from scoring.instruments.registry import validate_answers

__all__ = [
    "ALLOWED_STATUSES",
    "FhirResponseError",
    "Issue",
    "ParsedResponse",
    "answers_from_questionnaire_response",
]

# A correction arrives as "amended"; "in-progress" is stored as partial or refused, as the
# protocol says (fhir.in_progress); stopped and entered-in-error are not responses to score.
ALLOWED_STATUSES = ("completed", "amended")
IN_PROGRESS = "in-progress"
_LA_CODE = re.compile(r"LA[0-9]{1,8}-[0-9]")
AUTHORED_RULE = ("must be a dateTime with a time and a zone offset (the device time, e.g. "
                 "2025-03-01T09:30:00+01:00)")


@dataclass(frozen=True, slots=True)
class ParsedResponse:
    """Answers keyed by our item ids (``None``: item present without an answer).

    ``client_totals`` maps a scale id to the total the form tool calculated and where it
    was (``(14, "item[9].answer[0].valueDecimal")``): compared with our score on storage,
    never trusted.  ``warnings`` are problems that do not refuse the response.
    """

    instrument_id: str
    answers: dict[str, int | None]
    authored: datetime | None
    raw: dict
    status: str = "completed"
    partial: bool = False
    via: str = "canonical"
    client_totals: dict[str, tuple[float, str]] = field(default_factory=dict)
    warnings: list[Issue] = field(default_factory=list)


def answers_from_questionnaire_response(
    payload: dict, *, instrument_id: str | None = None, aliases: Sequence = (),
    in_progress: str = "refuse",
) -> ParsedResponse:
    """Map a QuestionnaireResponse to our answers, or raise :class:`FhirResponseError`.

    ``instrument_id`` is used when the payload has no ``questionnaire``; when both are
    given they must agree.  ``aliases`` are the study's ``QuestionnaireAlias``\\ es;
    ``in_progress`` is ``"refuse"`` or ``"partial"`` (the protocol's ``fhir.in_progress``).
    ``authored``, when present, must carry a time and a zone offset (the device time).
    ``raw`` is a deep copy of ``payload``.
    """
    if not isinstance(payload, dict):
        raise FhirResponseError([Issue("$", "must be a JSON object")])
    kind = payload.get("resourceType")
    if kind != "QuestionnaireResponse":
        raise FhirResponseError(
            [Issue("resourceType", f"must be QuestionnaireResponse, got {shown(kind)}")])
    issues: list[Issue] = list(_modifier_extensions(payload, ""))
    status = payload.get("status")
    partial = status == IN_PROGRESS and in_progress == "partial"
    if status == IN_PROGRESS and not partial:
        issues.append(Issue("status", f"{shown(status)} is refused by this study's protocol "
                                      "(fhir.in_progress: refuse): send the completed response"))
    elif status not in ALLOWED_STATUSES and not partial:
        allowed = ", ".join(ALLOWED_STATUSES + ((IN_PROGRESS,) if in_progress == "partial"
                                                else ()))
        issues.append(Issue("status", f"must be one of {allowed}, got {shown(status)}"))
    found = identify(payload, instrument_id=instrument_id, aliases=aliases, issues=issues)
    authored = _authored(payload.get("authored"), issues)
    answers: dict[str, int | None] = {}
    walk = _Walk(found, answers) if found is not None else None
    if walk is not None:
        walk.items(payload.get("item"), "item", issues)
        given = {k: v for k, v in answers.items() if v is not None}
        for error in validate_answers(found.instrument, given):
            path = walk.where[error.item]
            issues.append(Issue(path, f"{error.item}: {error.rule}"))
    issues += _model_issues(payload, [i.path for i in issues])
    if issues:
        raise FhirResponseError(issues)
    assert found is not None and walk is not None and isinstance(status, str)
    return ParsedResponse(found.instrument.id, answers, authored, copy.deepcopy(payload),
                          status, partial, found.via, walk.totals, walk.warnings)


def _modifier_extensions(node: Any, path: str):
    """Every ``modifierExtension``, anywhere: we understand none, and FHIR requires a
    receiver to refuse what it does not understand there (ordinary extensions are ignored)."""
    if isinstance(node, list):
        for n, child in enumerate(node):
            yield from _modifier_extensions(child, f"{path}[{n}]")
    elif isinstance(node, dict):
        for key, child in node.items():
            here = f"{path}.{key}" if path else key
            if key == "modifierExtension" and isinstance(child, list):
                for k, ext in enumerate(child):
                    url = ext.get("url") if isinstance(ext, dict) else None
                    yield Issue(f"{here}[{k}]", f"modifierExtension {shown(url)} is not "
                                "understood, and FHIR requires refusing a resource that "
                                "carries a modifierExtension its receiver does not understand")
            else:
                yield from _modifier_extensions(child, here)


def _authored(value: Any, issues: list[Issue]) -> datetime | None:
    parsed = None
    if isinstance(value, str) and "T" in value:
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value is not None and (parsed is None or parsed.tzinfo is None):
        issues.append(Issue("authored", f"{AUTHORED_RULE}, got {shown(value)}"))
        return None
    if parsed is not None:
        try:
            utc_instant(parsed)  # the offset is kept: it says where the device was
        except ValueError as exc:  # out of range: would overflow in conversion to UTC
            issues.append(Issue("authored", f"{exc}, got {shown(value)}"))
            return None
    return parsed


class _Walk:
    """Flatten items (groups, answer-nested items) into answers and client totals."""

    def __init__(self, found: Identified, answers: dict[str, int | None]) -> None:
        self.instrument: Instrument = found.instrument
        self.link_ids = found.link_ids
        self.answer_codes = found.answer_codes
        self.answers = answers
        self.first: dict[str, str] = {}  # item or scale id -> the item that answered it
        self.where: dict[str, str] = {}  # item id -> path of its value
        self.totals: dict[str, tuple[float, str]] = {}
        self.warnings: list[Issue] = []

    def items(self, items: Any, path: str, issues: list[Issue]) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            issues.append(Issue(path, f"must be a list of items, got {shown(items)}"))
            return
        for n, node in enumerate(items):
            here = f"{path}[{n}]"
            if not isinstance(node, dict):
                issues.append(Issue(here, f"must be an object, got {shown(node)}"))
                continue
            link_id, given = node.get("linkId"), node.get("answer")
            if not isinstance(link_id, str) or not link_id:
                issues.append(Issue(f"{here}.linkId", "is required (a non-empty string), got "
                                                      f"{shown(link_id)}"))
                continue
            target = target_of(self.instrument, node, self.link_ids)
            if target is None and given is not None:
                issues.append(Issue(f"{here}.linkId", f"{link_id!r} is not an item of "
                                    f"{self.instrument.id} (by item id, LOINC code, or the "
                                    "study's alias map)"))
                continue
            if target is not None:
                first = self.first.get(target.id)
                if first is not None:
                    rule = f"{target.id} answered more than once (first at {first})"
                    issues.append(Issue(f"{here}.linkId", f"{shown(link_id)}: {rule}"))
                    continue
                self.first[target.id] = here
                if isinstance(target, Scale):
                    self._total(target, given, here)
                else:
                    self.answers[target.id] = self._value(target, given, here, issues)
            # else: a group (ours, LHC-Forms' /44249-1, SDC's H1/T1) or an unanswered
            # item we do not keep: only questions with answers carry data.
            self.items(node.get("item"), f"{here}.item", issues)
            for k, answer in enumerate(given if isinstance(given, list) else []):
                if isinstance(answer, dict) and "item" in answer:
                    self.items(answer["item"], f"{here}.answer[{k}].item", issues)

    def _total(self, scale: Scale, given: Any, here: str) -> None:
        """A total the form tool calculated: kept to compare with ours, never refused."""
        if given is None:
            return
        answer = given[0] if isinstance(given, list) and given else None
        keys = [k for k in answer if k.startswith("value")] if isinstance(answer, dict) else []
        key = keys[0] if len(keys) == 1 else None
        value = answer.get(key) if key else None
        if key == "valueQuantity" and isinstance(value, dict):
            value, key = value.get("value"), "valueQuantity.value"
        at = f"{here}.answer[0]" + (f".{key}" if key else "")
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            self.warnings.append(Issue(at, f"the client's {scale.label} {shown(value)} is not "
                                           "a number; ignored (we score the answers)"))
            return
        self.totals[scale.id] = (value, at)

    def _value(self, item: Item, given: Any, here: str, issues: list[Issue]) -> int | None:
        takes = ("valueInteger or a whole valueDecimal" if item.bounds
                 else "valueCoding or valueInteger")
        if given is None:
            return None
        if not isinstance(given, list) or len(given) != 1:
            issues.append(Issue(f"{here}.answer", f"must hold exactly one answer for "
                                f"{item.id}, got {shown(given)}"))
            return None
        answer, at = given[0], f"{here}.answer[0]"
        keys = [k for k in answer if k.startswith("value")] if isinstance(answer, dict) else []
        if len(keys) != 1:
            got = "no value" if not keys else f"{len(keys)} values ({', '.join(keys)})"
            issues.append(Issue(at, f"has {got}; {item.id} takes one {takes} ({item.allowed})"))
            return None
        key, value = keys[0], answer[keys[0]]
        self.where[item.id] = at = f"{at}.{key}"
        if key == "valueInteger":
            if type(value) is not int:
                issues.append(Issue(at, f"must be an integer, got {shown(value)}"))
                return None
            return value
        if key == "valueDecimal" and item.bounds:
            # A slider or numeric field may send 7.0; only whole numbers are answers.
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value) or value != int(value):
                issues.append(Issue(at, f"{item.id} takes a whole number ({item.allowed}), "
                                        f"got {shown(value)}"))
                return None
            return int(value)
        if key == "valueCoding" and not item.bounds:
            return self._coded(item, value, at, issues)
        issues.append(Issue(at, f"{key} is not accepted: {item.id} takes {takes} "
                                f"({item.allowed}), got {shown(value)}"))
        return None

    def _coded(self, item: Item, coding: Any, at: str, issues: list[Issue]) -> int | None:
        instrument = self.instrument
        system = code = None
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            # LHC-Forms may leave out the system of a LOINC answer (lforms test data
            # fhir-sdc-response-ussgfht.json); an LA code is LOINC's and nothing else's.
            loinc = system == LOINC or (system is None and isinstance(code, str)
                                        and _LA_CODE.fullmatch(code) is not None)
            declared = (self.answer_codes.get((system, code))
                        if isinstance(system, str) and isinstance(code, str) else None)
            for option in item.options:
                if loinc and option.loinc is not None and code == option.loinc:
                    return option.code
                if declared is not None and declared == option.code:
                    return option.code
                ours = isinstance(system, str) and system.endswith(f"/CodeSystem/{instrument.id}")
                if ours and code == str(option.code):
                    return option.code
        allowed = ", ".join(f"{o.loinc} = {o.code}" if o.loinc else str(o.code)
                            for o in item.options)
        where = f"{at}.code" if isinstance(coding, dict) else at
        got = f"{system}|{code}" if isinstance(coding, dict) else shown(coding)
        issues.append(Issue(where, f"{got!r} is not an answer of {item.id} (LOINC answer codes "
                                   f"or {instrument.id}'s own code system); allowed: {allowed}"))
        return None


def _model_issues(payload: dict, reported: list[str]) -> list[Issue]:
    """What the R4B model refuses, except under paths already reported by the raw checks."""
    # Imported on first use: fhir.resources and pydantic cost ~0.1 s of every start (issue 12).
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from pydantic import ValidationError

    if found := _contained_issues(payload.get("contained")):
        return found  # the model cannot even look at a resource type it does not know
    try:
        QuestionnaireResponse.model_validate(_without_item_codes(payload))
    except (TypeError, KeyError, OverflowError) as exc:  # fhir.resources' own failures
        return [Issue("$", f"is not a valid FHIR R4 QuestionnaireResponse ({exc})")]
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
            path = path.lstrip(".") or "$"
            if not any(path == p or path.startswith((p + ".", p + "[")) for p in reported):
                found.append(Issue(path, f"{error['msg']}, got {shown(error.get('input'))}"))
        return found
    return []


def _contained_issues(contained: Any) -> list[Issue]:
    from fhir.resources.R4B import get_fhir_model_class

    found = []
    for n, resource in enumerate(contained if isinstance(contained, list) else []):
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        try:
            known = isinstance(kind, str) and bool(kind) and get_fhir_model_class(kind)
        except (KeyError, ValueError):
            known = False
        if not known:
            found.append(Issue(f"contained[{n}].resourceType",
                               f"must name an R4 resource, got {shown(kind)}"))
    return found


def _without_item_codes(payload: dict) -> dict:
    """The payload without ``item.code``: R4 responses have none, but form tools that copy
    the Questionnaire's items send it, and we read it (:func:`target_of`)."""
    def strip(items: Any) -> Any:
        if not isinstance(items, list):
            return items
        out = []
        for node in items:
            if isinstance(node, dict):
                node = {k: v for k, v in node.items() if k != "code"}
                if "item" in node:
                    node["item"] = strip(node["item"])
                if isinstance(node.get("answer"), list):
                    node["answer"] = [{**a, "item": strip(a["item"])}
                                      if isinstance(a, dict) and "item" in a else a
                                      for a in node["answer"]]
            out.append(node)
        return out

    return {**payload, "item": strip(payload["item"])} if "item" in payload else payload
