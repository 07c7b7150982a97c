"""Schemas of anchor events: recording, planning and changing them, and their history."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from diary.api.schemas import SIGNATURE, In, Instant, SignatureIn, fits
from diary.db.models import AnchorEvent

REASON = {"description": "Why: required to reschedule, cancel or correct"}


class EventIn(In):
    type = fields.String(required=True, validate=fits(AnchorEvent.type))
    occurred_at = Instant(
        load_default=None, metadata={"description": "When it happened (confirmed)"})
    planned_date = fields.Date(
        load_default=None, metadata={"description": "Planned local date in the "
                                                    "participant's zone (time not known)"})
    planned_at = Instant(
        load_default=None, metadata={"description": "Planned date-time, with a UTC offset"})
    period = fields.Integer(strict=True, load_default=None, allow_none=True)


class ConfirmIn(In):
    occurred_at = Instant(required=True)
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(1, 1000))


class RescheduleIn(In):
    planned_date = fields.Date(load_default=None)
    planned_at = Instant(load_default=None)
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(1, 1000), metadata=REASON)


class CancelIn(In):
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(1, 1000), metadata=REASON)
    signature = fields.Nested(SignatureIn, load_default=None, metadata=SIGNATURE)


class CorrectIn(In):
    occurred_at = Instant(required=True)
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(1, 1000), metadata=REASON)
    signature = fields.Nested(SignatureIn, load_default=None, metadata=SIGNATURE)


class EventTiming(ma.Schema):
    """Where an event is in time, for any status (see diary.api.events.timing)."""

    status = fields.String(metadata={"description": "planned, confirmed or cancelled"})
    occurred_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Confirmed: when it happened"})
    planned_date = fields.Date(
        allow_none=True, metadata={"description": "Planned or cancelled: the local date"})
    planned_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Planned with a time: the instant"})
    day0 = fields.Date(metadata={"description": "The local date of day 0"})
    period = fields.Integer(allow_none=True)


class EventVersionOut(EventTiming):
    version = fields.Integer()
    action = fields.String(metadata={"description": "record, plan, confirm, reschedule, "
                                                    "cancel or correct"})
    reason = fields.String(allow_none=True)
    recorded_at = fields.AwareDateTime()
    recorded_by = fields.Integer(allow_none=True)


class EventOut(EventTiming):
    id = fields.String()
    type = fields.String()
    version = fields.Integer(metadata={"description": "The current version"})
    recorded_at = fields.AwareDateTime(metadata={"description": "When first recorded"})
    history = fields.List(fields.Nested(EventVersionOut),
                          metadata={"description": "Every version, oldest first"})
