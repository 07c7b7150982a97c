"""Schemas of the questionnaire endpoints: instrument definitions, responses, screenings."""

from __future__ import annotations

import json
import uuid

import marshmallow as ma
from marshmallow import fields, validate

from diary.api.schemas import In, Instant, PageMeta, fits
from diary.db.models import QuestionnaireResponse, Screening
from diary.fhir import FhirResponseError, answers_from_questionnaire_response

# A FHIR response corrects an earlier one through these extensions (our own URLs).
CORRECTS_URL = "urn:paindiary:fhir:corrects"
REASON_URL = "urn:paindiary:fhir:correction-reason"


class OptionOut(ma.Schema):
    code = fields.Integer()
    label = fields.String()


class ItemOut(ma.Schema):
    id = fields.String()
    text = fields.String()
    options = fields.List(fields.Nested(OptionOut), allow_none=True)
    min = fields.Integer(allow_none=True)
    max = fields.Integer(allow_none=True)
    unit = fields.String(allow_none=True)
    scored = fields.Boolean()
    clinician = fields.Boolean(metadata={"description": "An examination item: entered by "
                                                        "study staff only"})


class ScaleOut(ma.Schema):
    id = fields.String()
    label = fields.String()
    items = fields.List(fields.String())
    low = fields.Integer()
    high = fields.Integer()


class InstrumentOut(ma.Schema):
    id = fields.String()
    name = fields.String()
    version = fields.String()
    licence = fields.String()
    reference = fields.String()
    coding = fields.String()
    missing_rule = fields.String()
    language = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ItemOut))
    scales = fields.List(fields.Nested(ScaleOut))


class InstrumentArgs(In):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "fhir"]))


class ResponseIn(In):
    """Our JSON body, or a FHIR R4 QuestionnaireResponse (``resourceType`` present): its
    ``identifier.value`` is the client id, ``authored`` the device time, and the resource
    is kept as received."""

    instrument = fields.String(required=True, validate=fits(QuestionnaireResponse.instrument))
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                          required=True,
                          metadata={"description": "item id -> integer (null: not answered)"})
    client_id = fields.UUID(required=True)
    device_time = Instant(required=True)
    window_id = fields.String(load_default=None, allow_none=True,
                              validate=fits(QuestionnaireResponse.window_id))
    corrects = fields.String(load_default=None, allow_none=True,
                             validate=fits(QuestionnaireResponse.id),
                             metadata={"description": "The response id this one corrects"})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(1, 1000))
    source = fields.Dict(load_default=None, allow_none=True, load_only=True,
                         metadata={"description": "Set from a FHIR body; not sent directly"})
    # Set from a FHIR body too: an in-progress response kept as partial (fhir.in_progress),
    # the totals the form tool calculated, and the intake's warnings.
    partial = fields.Boolean(load_default=False, load_only=True)
    client_totals = fields.Dict(load_default=dict, load_only=True)
    intake_warnings = fields.List(fields.Dict(), load_default=list, load_only=True)

    @ma.pre_load
    def from_fhir(self, data, **kwargs):
        if not isinstance(data, dict) or "resourceType" not in data:
            if sent := [k for k in FHIR_ONLY if isinstance(data, dict) and k in data]:
                raise ma.ValidationError({k: ["set from a FHIR QuestionnaireResponse only"]
                                          for k in sent})
            return data
        from diary.api.fhir_intake import current_intake  # the caller's protocol settings

        return fhir_body(data, current_intake())


FHIR_ONLY = ("partial", "client_totals", "intake_warnings")


def fhir_body(resource: dict, intake=None) -> dict:
    """Our fields from a FHIR QuestionnaireResponse; FHIR problems become field errors.

    ``intake`` is the study's ``FhirIntake`` (aliases, in-progress rule); default: none.
    """
    aliases = intake.questionnaire_aliases if intake is not None else ()
    in_progress = intake.in_progress if intake is not None else "refuse"
    try:
        parsed = answers_from_questionnaire_response(resource, aliases=aliases,
                                                     in_progress=in_progress)
    except FhirResponseError as exc:
        raise ma.ValidationError({path: [rule] for path, rule in exc.issues}) from None
    if parsed.authored is None:
        raise ma.ValidationError({"authored": [
            "required: when the participant answered, with a time and a zone offset"]})
    extension = {e.get("url"): e for e in resource.get("extension") or []
                 if isinstance(e, dict)}
    corrects = (extension.get(CORRECTS_URL) or {}).get("valueString")
    reason = (extension.get(REASON_URL) or {}).get("valueString")
    return {"instrument": parsed.instrument_id,
            "answers": {k: v for k, v in parsed.answers.items() if v is not None},
            "client_id": client_id_of(resource, partial=parsed.partial),
            "device_time": parsed.authored.isoformat(),
            "corrects": corrects, "reason": reason, "source": resource,
            "partial": parsed.partial,
            "client_totals": {k: list(v) for k, v in parsed.client_totals.items()},
            "intake_warnings": [{"path": w.path, "rule": w.rule} for w in parsed.warnings]}


def client_id_of(resource: dict, *, partial: bool = False) -> str:
    """The retry key of a FHIR response: ``identifier.value`` when it is a UUID (our apps);
    else a UUID derived from the identifier's system and value; else, for form tools that
    send no identifier (LHC-Forms), from the resource's content, so that the very same
    resource sent twice is one response.

    A partial (in-progress) response is keyed by its content: an app saves the same
    identifier in progress several times and then completed, and each save continues the
    one before (a new version) instead of reusing its key."""
    content = json.dumps(resource, sort_keys=True, separators=(",", ":"))
    if partial:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:paindiary:partial-qr:{content}"))
    identifier = resource.get("identifier") or {}
    if isinstance(identifier, list):  # R5 style; R4 has a single Identifier
        identifier = identifier[0] if identifier else {}
    value = identifier.get("value") if isinstance(identifier, dict) else None
    if isinstance(value, str) and value:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{identifier.get('system')}|{value}"))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:paindiary:qr:{content}"))


class ScaleScoreOut(ma.Schema):
    value = fields.Float(allow_none=True)
    band = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    prorated = fields.Boolean()


class ResponseOut(ma.Schema):
    id = fields.String()
    instrument = fields.String()
    instrument_version = fields.String()
    answers = fields.Dict()
    scores = fields.Dict(keys=fields.String(), values=fields.Nested(ScaleScoreOut))
    client_id = fields.String()
    device_time = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime()
    window_id = fields.String(allow_none=True)
    assessment = fields.String(allow_none=True)
    timing = fields.String()
    version = fields.Integer()
    is_current = fields.Boolean()
    supersedes_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    channel = fields.String()
    entry_source = fields.String(metadata={"description": "participant, or the staff source"})
    partial = fields.Boolean(metadata={"description": "An in-progress FHIR response kept "
                                                      "as the protocol allows"})
    warnings = fields.List(fields.Dict(), metadata={
        "description": "Problems that did not refuse the response, e.g. a form tool's total "
                       "that differs from our score (path, rule; ours is kept)"})


class ResponsePage(PageMeta):
    items = fields.List(fields.Nested(ResponseOut))


class ScreeningIn(In):
    screening_number = fields.String(required=True,
                                     validate=fits(Screening.screening_number, 1))
    site = fields.String(required=True, validate=fits(Screening.site, 1))
    instrument = fields.String(required=True, validate=fits(Screening.instrument))
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                          required=True)


class ScreeningOut(ma.Schema):
    id = fields.String()
    screening_number = fields.String()
    site = fields.String()
    instrument = fields.String()
    instrument_version = fields.String()
    scores = fields.Dict(keys=fields.String(), values=fields.Nested(ScaleScoreOut))
    eligible = fields.Boolean()
    verdicts = fields.List(fields.Dict())
    recorded_at = fields.AwareDateTime()
    enrolled = fields.Boolean()
