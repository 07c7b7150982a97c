"""Schemas of the medication and side-effect diaries (participants and coordinators).

Doses are exact decimals: they enter as a JSON number or decimal text and are checked
by diary.medication (which refuses booleans, NaN and impossible doses with the rule);
they leave as text so no client reads 7.5 back as 7.4999.
"""

import marshmallow as ma
from marshmallow import fields, validate

from diary.api.schemas import In, Instant, JsonBoolean, PageArgs, PageMeta, fits
from diary.db.safety_models import AdverseEventRecord, MedicationIntake
from diary.safety import RELATEDNESS, SEVERITIES

_CLIENT_ID = {"description": "Client-generated; retries reuse it"}
_REASON = validate.Length(1, 1000)


class DoseField(fields.Raw):
    """A JSON number or decimal text; anything else is refused here, the rest later."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.make_error("invalid")
        return value

    default_error_messages = {"invalid": "must be a number or decimal text, e.g. 7.5"}


class IntakeIn(In):
    drug = fields.String(required=True, validate=validate.Length(1, 80),
                         metadata={"description": "Code or name from /me/medication-drugs"})
    dose = DoseField(required=True, metadata={"type": "string", "example": "7.5",
                                              "description": "Per intake; a patch: mcg/h"})
    unit = fields.String(required=True, validate=validate.Length(1, 16),
                         metadata={"example": "mg"})
    route = fields.String(required=True, validate=validate.Length(1, 24),
                          metadata={"example": "oral"})
    taken_at = Instant(required=True, metadata={"description": "When taken, with a UTC offset"})
    rescue = JsonBoolean(load_default=False,
                         metadata={"description": "Taken as rescue (as-needed) medication"})
    worn_hours = fields.Integer(strict=True, load_default=None, allow_none=True,
                                metadata={"description": "Patches: hours worn"})
    client_id = fields.UUID(required=True, metadata=_CLIENT_ID)
    corrects = fields.String(load_default=None, allow_none=True,
                             validate=fits(MedicationIntake.id, 1),
                             metadata={"description": "Id of the version this corrects"})
    reason = fields.String(load_default=None, allow_none=True, validate=_REASON,
                           metadata={"description": "Required with corrects"})


class IntakeOut(ma.Schema):
    id = fields.String()
    series_id = fields.String(metadata={"description": "Id of the intake's first version"})
    drug = fields.String()
    dose = fields.String(metadata={"description": "In unit (the route's canonical unit)"})
    unit = fields.String()
    route = fields.String()
    taken_at = fields.AwareDateTime()
    taken_date = fields.Date(metadata={"description": "Local diary date"})
    rescue = fields.Boolean()
    worn_hours = fields.Integer(allow_none=True)
    mme = fields.String(allow_none=True, metadata={
        "description": "Morphine mg equivalents of the intake (a patch: over its whole wear)"})
    mme_daily = fields.String(allow_none=True, metadata={
        "description": "A patch's MME per full wear day (null for a dose taken at once)"})
    mme_reason = fields.String(allow_none=True, metadata={"description": "Why no MME"})
    mme_table = fields.String()
    client_id = fields.String()
    version = fields.Integer()
    is_current = fields.Boolean()
    supersedes_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    channel = fields.String()
    received_at = fields.AwareDateTime()


class IntakePage(PageMeta):
    items = fields.List(fields.Nested(IntakeOut))


class VersionListArgs(PageArgs):
    current_only = fields.Boolean(load_default=False)


class RouteOut(ma.Schema):
    route = fields.String()
    units = fields.List(fields.String())
    max_dose = fields.String()
    mme_factor = fields.String(allow_none=True)
    no_mme = fields.String(allow_none=True)
    default_wear_hours = fields.Integer(allow_none=True)


class DrugOut(ma.Schema):
    code = fields.String()
    names = fields.List(fields.String())
    drug_class = fields.String(data_key="class")
    routes = fields.List(fields.Nested(RouteOut))


class CatalogueOut(ma.Schema):
    table = fields.String()
    title = fields.String()
    citation = fields.String()
    url = fields.String(allow_none=True)
    drugs = fields.List(fields.Nested(DrugOut))


class SymptomOut(ma.Schema):
    code = fields.String(metadata={"description": "The key to answer it under"})
    label = fields.String()


class SeverityOut(ma.Schema):
    code = fields.Integer()
    label = fields.String()


class ChecklistOut(ma.Schema):
    symptoms = fields.List(fields.Nested(SymptomOut),
                           metadata={"description": "In display order; answer every one"})
    severities = fields.List(fields.Nested(SeverityOut))
    language = fields.String(metadata={"description": "The language of the labels"})


class SideEffectsIn(In):
    diary_date = fields.Date(required=True, metadata={"description": "Local diary date"})
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                          required=True,
                          metadata={"description": "Symptom code -> 0-3 or "
                                                   + "/".join(SEVERITIES)})
    free_text = fields.String(load_default=None, allow_none=True)
    client_id = fields.UUID(required=True, metadata=_CLIENT_ID)
    device_time = Instant(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=_REASON,
                           metadata={"description": "Required to correct an existing day"})


class SideEffectsOut(ma.Schema):
    id = fields.String()
    diary_date = fields.Date()
    answers = fields.Dict(keys=fields.String(), values=fields.Integer())
    max_severity = fields.Integer()
    free_text = fields.String(allow_none=True)
    client_id = fields.String()
    device_time = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime()
    version = fields.Integer()
    is_current = fields.Boolean()
    supersedes_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    channel = fields.String()


class SideEffectsPage(PageMeta):
    items = fields.List(fields.Nested(SideEffectsOut))


class AdverseEventIn(In):
    term = fields.String(required=True, validate=fits(AdverseEventRecord.term, 1))
    onset = fields.Date(required=True, metadata={"description": "Local date"})
    resolved = fields.Date(load_default=None, allow_none=True)
    severity = fields.Raw(required=True,
                          metadata={"description": "1-3 or mild/moderate/severe"})
    serious = JsonBoolean(required=True, metadata={"description": "ICH E2A seriousness"})
    relatedness = fields.String(required=True, validate=validate.OneOf(RELATEDNESS))
    client_id = fields.UUID(required=True, metadata=_CLIENT_ID)
    corrects = fields.String(load_default=None, allow_none=True,
                             validate=fits(AdverseEventRecord.id, 1))
    reason = fields.String(load_default=None, allow_none=True, validate=_REASON)


class AdverseEventOut(ma.Schema):
    id = fields.String()
    series_id = fields.String()
    term = fields.String()
    onset = fields.Date()
    resolved = fields.Date(allow_none=True)
    severity = fields.Integer()
    serious = fields.Boolean()
    relatedness = fields.String()
    client_id = fields.String()
    version = fields.Integer()
    is_current = fields.Boolean()
    supersedes_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()


class AdverseEventPage(PageMeta):
    items = fields.List(fields.Nested(AdverseEventOut))
