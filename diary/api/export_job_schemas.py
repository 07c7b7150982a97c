"""Schemas of the background export jobs (issue 15)."""

import marshmallow as ma
from marshmallow import fields, validate

from diary.api.schemas import In
from diary.db.export_job_models import JOB_STATES


class ExportJobIn(In):
    layout = fields.String(load_default="wide",
                           validate=validate.OneOf(["wide", "long", "summary", "trace"]),
                           metadata={"description": "The table's layout (tables only)"})
    format = fields.String(load_default="csv",
                           validate=validate.OneOf(["csv", "xlsx", "xpt", "png", "svg"]),
                           metadata={"description": "png and svg draw the figure named by "
                                                    "`figure` instead of a table"})
    figure = fields.String(load_default="mean", validate=validate.OneOf(["mean", "participants"]),
                           metadata={"description": "With format png or svg: mean daily "
                                                    "pain (± SE) or one curve per "
                                                    "participant-period"})


class FileArgs(In):
    part = fields.String(load_default="data", validate=validate.OneOf(["data", "dictionary"]),
                         metadata={"description": "CSV and XPT carry the data dictionary "
                                                  "as a separate file; XLSX as a sheet"})


class JobFileOut(ma.Schema):
    part = fields.String(metadata={"description": "data or dictionary"})
    name = fields.String()
    size = fields.Integer(metadata={"description": "Bytes"})
    sha256 = fields.String()


class ExportJobOut(ma.Schema):
    id = fields.String()
    layout = fields.String(allow_none=True)
    format = fields.String()
    figure = fields.String(allow_none=True)
    state = fields.String(metadata={"description": " | ".join(JOB_STATES)})
    phase = fields.String(metadata={"description": "queued, reading, scoring, drawing, "
                                                   "writing, done or failed"})
    progress = fields.Float(metadata={"description": "Fraction done, 0 to 1"})
    error = fields.String(allow_none=True, metadata={"description": "Why it failed"})
    masked = fields.Boolean(metadata={"description": "Allocation shown as masked codes"})
    sites = fields.List(fields.String(), allow_none=True,
                        metadata={"description": "The sites exported; null: all"})
    requested_by = fields.String(allow_none=True, metadata={"description": "Account e-mail"})
    requested_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(allow_none=True,
                                      metadata={"description": "Files deleted at this time"})
    rows = fields.Integer(allow_none=True)
    files = fields.List(fields.Nested(JobFileOut), allow_none=True)
    provenance = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
