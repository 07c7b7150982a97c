"""Schemas of the coordinators' reminder and alert views."""

import marshmallow as ma
from marshmallow import fields, validate

from diary.api.schemas import PageArgs, PageMeta
from diary.db.messaging import OUTBOX_STATES

KINDS = ("diary", "diary_nudge", "window_open", "window_closing", "coordinator_missed_days",
         "safety_alert")


class ReminderListArgs(PageArgs):
    subject_id = fields.String(load_default=None)
    site = fields.String(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    state = fields.String(load_default=None, validate=validate.OneOf(OUTBOX_STATES))


class AlertListArgs(PageArgs):
    subject_id = fields.String(load_default=None)
    site = fields.String(load_default=None)


class ReminderOut(ma.Schema):
    id = fields.String()
    subject_id = fields.String()
    site = fields.String()
    kind = fields.String()
    channel = fields.String(metadata={"description": "sms, or alert for coordinators"})
    target = fields.String(metadata={"description": "Diary date or window id"})
    state = fields.String(metadata={"description": ", ".join(OUTBOX_STATES)})
    body = fields.String()
    planned_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    failed_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    last_error_code = fields.Integer(allow_none=True)
    task_done_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "First entry or response for the task"})
    done_after_sent = fields.Boolean()
    minutes_to_done = fields.Integer(allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)


class ReminderPage(PageMeta):
    items = fields.List(fields.Nested(ReminderOut))
