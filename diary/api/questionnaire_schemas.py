"""Schemas of the questionnaire endpoints: instrument definitions, responses, screenings."""

from __future__ import annotations

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

    @ma.pre_load
    def from_fhir(self, data, **kwargs):
        if not isinstance(data, dict) or "resourceType" not in data:
            return data
        return fhir_body(data)


def fhir_body(resource: dict) -> dict:
    """Our fields from a FHIR QuestionnaireResponse; FHIR problems become field errors."""
    try:
        parsed = answers_from_questionnaire_response(resource)
    except FhirResponseError as exc:
        raise ma.ValidationError({path: [rule] for path, rule in exc.issues}) from None
    identifier = resource.get("identifier") or {}
    if isinstance(identifier, list):  # R5 style; R4 has a single Identifier
        identifier = identifier[0] if identifier else {}
    client_id = identifier.get("value") if isinstance(identifier, dict) else None
    if not client_id or parsed.authored is None:
        raise ma.ValidationError({"identifier.value" if not client_id else "authored": [
            "a UUID the app generates, reused on retries" if not client_id
            else "required: when the participant answered, with a UTC offset"]})
    extension = {e.get("url"): e for e in resource.get("extension") or []
                 if isinstance(e, dict)}
    corrects = (extension.get(CORRECTS_URL) or {}).get("valueString")
    reason = (extension.get(REASON_URL) or {}).get("valueString")
    return {"instrument": parsed.instrument_id,
            "answers": {k: v for k, v in parsed.answers.items() if v is not None},
            "client_id": client_id, "device_time": parsed.authored.isoformat(),
            "corrects": corrects, "reason": reason, "source": resource}


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
