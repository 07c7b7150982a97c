"""Concealed allocation lists and emergency unblinding (unblinded study admins only)."""

from flask import request
from flask.views import MethodView

from diary.api.allocation_schemas import (
    ListUploadOut,
    SlotsOut,
    UnblindingIn,
    UnblindingOut,
)
from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, principal
from diary.errors import RuleViolation
from diary.services import allocation, blinding

blp = Blueprint("allocation", __name__,
                description="Randomisation lists and unblinding (unblinded study admins)")

UPLOAD_DOC = {"requestBody": {"content": {
    "application/json": {"schema": {"type": "object", "properties": {
        "stratum": {"type": "object", "example": {"site": "PAR"}},
        "rows": {"type": "array", "items": {"type": "object", "example": {
            "number": 1, "arm": "active"}}}}}},
    "text/csv": {"schema": {"type": "string",
                            "example": "number,site,sequence\n1,PAR,KP\n2,PAR,PK\n"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "list": {"type": "string", "format": "binary",
                 "description": "A .csv or .json file"},
        "site": {"type": "string", "description": "The stratum, for rows naming none"}}}},
}}}


def _upload() -> tuple[bytes, str, dict]:
    """The list's bytes, its format and a stratum given as form fields."""
    if request.mimetype == "application/json":
        return request.get_data(), "json", {}
    if request.mimetype == "text/csv":
        return request.get_data(), "csv", {}
    if request.mimetype == "multipart/form-data" and "list" in request.files:
        upload = request.files["list"]
        fmt = "json" if (upload.filename or "").lower().endswith(".json") \
            or upload.mimetype == "application/json" else "csv"
        return upload.read(), fmt, dict(request.form.items())
    raise RuleViolation("send the list as JSON, as text/csv, or as a multipart file 'list'",
                        field="list")


@blp.route("/studies/<key>/allocation-lists")
class AllocationLists(MethodView):
    @authenticated
    @blp.doc(security=BEARER, **UPLOAD_DOC)
    @blp.response(201, ListUploadOut)
    @blp.alt_response(403, description="Not a study admin with the unblinded grant")
    @blp.alt_response(409, description="A number already in the study's lists")
    @blp.alt_response(422, description="Bad rows (every problem named), or the protocol "
                                       "does not randomise from a list")
    def post(self, key):
        """Upload a concealed allocation list: rows of number and arm (parallel) or
        sequence (crossover), and the stratum (``site``) when the protocol stratifies"""
        raw, fmt, stratum = _upload()
        upload, strata = allocation.upload_list(db(), principal(), key, raw=raw, fmt=fmt,
                                                stratum=stratum, now=now())
        return {"id": upload.id, "rows": upload.rows, "format": upload.format,
                "sha256": upload.sha256, "uploaded_at": upload.uploaded_at, "strata": strata}

    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, SlotsOut)
    @blp.alt_response(403, description="Not a study admin with the unblinded grant")
    def get(self, key):
        """Every slot of the study's lists, with who took it"""
        return {"items": allocation.list_slots(db(), principal(), key)}


@blp.route("/studies/<key>/participants/<subject_id>/unblinding")
class Unblinding(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(UnblindingIn)
    @blp.response(200, UnblindingOut)
    @blp.alt_response(403, description="Not a study admin with the unblinded grant")
    def post(self, body, key, subject_id):
        """Emergency unblinding of one participant, with a reason; audited"""
        return blinding.emergency_unblind(db(), principal(), key, subject_id,
                                          reason=body["reason"], now=now())
