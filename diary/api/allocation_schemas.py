"""Schemas of the allocation lists and emergency unblinding (issue 13)."""

import marshmallow as ma
from marshmallow import fields, validate

from diary.api.schemas import In


class UnblindingIn(In):
    reason = fields.String(required=True, validate=validate.Length(1, 1000),
                           metadata={"description": "Why this participant must be unblinded"})


class UnblindingOut(ma.Schema):
    subject_id = fields.String()
    arm = fields.String(allow_none=True)
    sequence = fields.String(allow_none=True)
    treatments = fields.List(fields.String(), metadata={
        "description": "Crossover: the treatment of each period, in order"})
    reason = fields.String()
    unblinded_at = fields.AwareDateTime()
    unblinded_by = fields.String()


class SlotOut(ma.Schema):
    stratum = fields.String(metadata={"description": '"" unstratified, else e.g. "site=PAR"'})
    number = fields.Integer()
    arm = fields.String(allow_none=True)
    sequence = fields.String(allow_none=True)
    list_id = fields.Integer()
    subject_id = fields.String(allow_none=True, metadata={"description": "Who took it"})
    allocated_at = fields.AwareDateTime(allow_none=True)


class SlotsOut(ma.Schema):
    items = fields.List(fields.Nested(SlotOut))


class ListUploadOut(ma.Schema):
    id = fields.Integer()
    rows = fields.Integer()
    format = fields.String()
    sha256 = fields.String()
    uploaded_at = fields.AwareDateTime()
    strata = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Slots added per stratum"})
