"""Bodies of staff entry on a participant's behalf: a diary day, a questionnaire (issue 13).

Staff always give a ``source`` (where the data comes from) and a ``reason`` (why staff,
not the participant, enter it); both go into the audit trail.
"""

from __future__ import annotations

from marshmallow import fields, validate

from diary.api.schemas import In, Instant, fits
from diary.db.models import STAFF_SOURCES, DiaryEntry, QuestionnaireResponse

_SOURCE = {"description": "clinician (administered or examined by staff), paper (a paper "
                          "diary or form transcribed) or phone (given in a call)"}
_REASON = {"description": "Why staff enter this for the participant; audited"}


class StaffEntryIn(In):
    diary_date = fields.Date(required=True, metadata={"description": "Local diary date; any "
                                                                     "past day, no late-entry "
                                                                     "limit"})
    score = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10),
                           metadata={"description": "NRS 0-10, an integer"})
    client_id = fields.UUID(required=True,
                            metadata={"description": "Client-generated; retries reuse it"})
    source = fields.String(required=True, validate=validate.OneOf(STAFF_SOURCES),
                           metadata=_SOURCE)
    reason = fields.String(required=True, validate=validate.Length(1, 1000), metadata=_REASON)
    corrects = fields.String(load_default=None, allow_none=True,
                             validate=fits(DiaryEntry.id),
                             metadata={"description": "The entry id this one corrects"})


class StaffResponseIn(In):
    instrument = fields.String(required=True, validate=fits(QuestionnaireResponse.instrument))
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                          required=True,
                          metadata={"description": "item id -> integer (null: not answered)"})
    client_id = fields.UUID(required=True)
    administered_at = Instant(
        required=True, metadata={"description": "When the items were administered or the "
                                                "form filled in; picks the window"})
    source = fields.String(required=True, validate=validate.OneOf(STAFF_SOURCES),
                           metadata=_SOURCE)
    reason = fields.String(required=True, validate=validate.Length(1, 1000), metadata=_REASON)
    window_id = fields.String(load_default=None, allow_none=True,
                              validate=fits(QuestionnaireResponse.window_id))
    corrects = fields.String(load_default=None, allow_none=True,
                             validate=fits(QuestionnaireResponse.id),
                             metadata={"description": "The response id this one corrects"})
