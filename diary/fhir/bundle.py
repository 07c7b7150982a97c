"""Export a participant's questionnaire responses as a FHIR R4 ``collection`` Bundle.

Per response: a ``QuestionnaireResponse`` (answers coded as in the published
Questionnaire: ``valueCoding`` for coded items, ``valueInteger`` for ranges;
unanswered items are left out) and one ``Observation`` per scale that has a
score, ``derivedFrom`` the response.  A scale that could not be scored (too
many missing items) has no Observation: its absence, and the answers, say so.

The participant is a logical reference (``identifier`` in
``{base_url}/participant``): study pseudonyms are not FHIR ids and there is no
Patient resource to point to.  Entries are addressed by
``{base_url}/{type}/{id}`` ``fullUrl``\\ s and referenced by those URLs.

Examples
--------
>>> from datetime import UTC, datetime
>>> view = ResponseView("r1", "gad7", "1", "completed", {"gad7_2": 2},
...     {"total": (2, "minimal")}, datetime(2025, 3, 1, 9, tzinfo=UTC),
...     datetime(2025, 3, 1, 9, 5, tzinfo=UTC))
>>> b = response_bundle("P-001", [view])
>>> qr, obs = (e["resource"] for e in b["entry"])
>>> qr["item"][0]["answer"][0]["valueCoding"]["code"], obs["code"]["coding"][0]["code"]
('LA18938-3', '70274-6')
>>> obs["valueInteger"], obs["interpretation"][0]["text"]
(2, 'minimal')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Literal

from diary.fhir._codes import LOINC, OBSERVATION_CATEGORY, UCUM, option_coding, questionnaire_url
from scoring.instruments.model import Instrument
from scoring.instruments.registry import get, validate_answers

__all__ = ["ResponseView", "response_bundle"]


@dataclass(frozen=True, slots=True)
class ResponseView:
    """One stored response as the export sees it.

    ``scores`` maps a scale id to ``(value, band)``, either may be ``None``.
    ``authored`` is the device time, ``received_at`` the server time; both aware.
    ``id`` must be a FHIR id (letters, digits, ``-`` and ``.``; at most 64).
    """

    id: str
    instrument_id: str
    instrument_version: str
    status: Literal["completed", "amended", "in-progress"]  # in-progress: a partial response
    answers: Mapping[str, int | None]
    scores: Mapping[str, tuple[int | float | Fraction | None, str | None]]
    authored: datetime
    received_at: datetime


def response_bundle(
    subject: str, responses: Sequence[ResponseView], *, base_url: str = "urn:paindiary"
) -> dict:
    """A Bundle (type ``collection``) of each response and its score Observations.

    Parameters
    ----------
    subject : str
        The participant's study identifier.
    responses : sequence of ResponseView
        In the order wanted in the Bundle.
    base_url : str, keyword-only
        As for :func:`diary.fhir.questionnaire.questionnaire`.

    Raises
    ------
    ValueError
        A response with a naive time, an unknown status, or answers the
        instrument refuses; ``KeyError`` for an unknown instrument or scale.
    """
    patient = {"type": "Patient", "identifier": {"system": f"{base_url}/participant",
                                                  "value": subject}}
    entries = []
    for view in responses:
        _check(view)
        instrument = get(view.instrument_id)
        qr_url = f"{base_url}/QuestionnaireResponse/{view.id}"
        entries.append({"fullUrl": qr_url,
                        "resource": _response(view, instrument, patient, base_url)})
        for scale_id, (value, band) in view.scores.items():
            scale = instrument.scale(scale_id)
            if value is None:
                continue
            obs_id = f"{view.id}-{scale.id.replace('_', '-')}"
            obs = {
                "resourceType": "Observation",
                "id": obs_id,
                # A partial (in-progress) response's scores may still change.
                "status": "preliminary" if view.status == "in-progress" else "final",
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey",
                                          "display": "Survey"}]}],
                "code": _score_code(instrument, scale_id, base_url),
                "subject": patient,
                "effectiveDateTime": view.authored.isoformat(),
                "issued": view.received_at.isoformat(),
                **_value(value),
                "derivedFrom": [{"reference": qr_url}],
            }
            if band is not None:
                obs["interpretation"] = [{"text": band}]
            entries.append({"fullUrl": f"{base_url}/Observation/{obs_id}", "resource": obs})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _check(view: ResponseView) -> None:
    if view.status not in ("completed", "amended", "in-progress"):
        raise ValueError(f"response {view.id}: status must be completed, amended or "
                         "in-progress")
    for name in ("authored", "received_at"):
        if getattr(view, name).utcoffset() is None:
            raise ValueError(f"response {view.id}: {name} must be timezone-aware")
    given = {k: v for k, v in view.answers.items() if v is not None}
    if errors := validate_answers(get(view.instrument_id), given):
        lines = "; ".join(f"{e.item}: {e.rule}" for e in errors)
        raise ValueError(f"response {view.id}: {lines}")


def _response(view: ResponseView, instrument: Instrument, patient: dict, base_url: str) -> dict:
    items = []
    for item in instrument.items:  # published order, whatever the order of view.answers
        value = view.answers.get(item.id)
        if value is None:
            continue
        if item.bounds is not None:
            answer = {"valueInteger": value}
        else:
            option = next(o for o in item.options if o.code == value)
            answer = {"valueCoding": option_coding(instrument, option, base_url)}
        items.append({"linkId": item.id, "text": item.label, "answer": [answer]})
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": view.id,
        "meta": {"lastUpdated": view.received_at.isoformat()},
        "questionnaire": (
            f"{questionnaire_url(base_url, instrument.id)}|{view.instrument_version}"
        ),
        "status": view.status,
        "subject": patient,
        "authored": view.authored.isoformat(),
    }
    if items:
        resource["item"] = items
    return resource


def _score_code(instrument: Instrument, scale_id: str, base_url: str) -> dict:
    scale = instrument.scale(scale_id)
    if scale.loinc:
        coding = {"system": LOINC, "code": scale.loinc, "display": scale.label}
    else:
        code = f"{instrument.id}.{scale.id}"
        coding = {"system": f"{base_url}/CodeSystem/scores", "code": code, "display": scale.label}
    return {"coding": [coding], "text": f"{instrument.name}: {scale.label}"}


def _value(value: int | float | Fraction) -> dict:
    """Integer scores as ``valueInteger``; means (BPI, NPSI subscores) as a unitless
    ``valueQuantity`` in UCUM's ``{score}`` annotation."""
    if isinstance(value, bool):
        raise ValueError(f"score {value!r} is a bool")
    if isinstance(value, int):
        return {"valueInteger": value}
    number = float(value)
    return {"valueQuantity": {"value": number, "unit": "{score}", "system": UCUM,
                              "code": "{score}"}}
