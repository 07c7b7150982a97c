"""Schemas of sign-out, password changes and revocations (diary/api/access.py)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from diary.api.schemas import In

PASSWORD = validate.Length(max=1024)  # the policy itself answers with its rule
REASON = validate.Length(max=500)


class PasswordChangeIn(In):
    current_password = fields.String(required=True, validate=PASSWORD)
    new_password = fields.String(required=True, validate=PASSWORD)


class PasswordResetIn(In):
    new_password = fields.String(required=True, validate=PASSWORD)


class ReasonIn(In):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class OptionalReasonIn(In):
    reason = fields.String(load_default=None, validate=REASON)


class RevokedOut(ma.Schema):
    tokens_revoked = fields.Integer()
