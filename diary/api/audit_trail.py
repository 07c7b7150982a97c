"""The audit trail for an inspector (21 CFR Part 11): a study's or one participant's
records as CSV or JSON (diary/audit_export.py); each export is itself audited."""

from flask import Response
from flask.views import MethodView
from marshmallow import fields, validate

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, principal
from diary.api.schemas import In, fits
from diary.db.models import Participant

blp = Blueprint("audit_trail", __name__, description="Audit trail export (inspectors)")


class AuditTrailArgs(In):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "json"]))
    subject = fields.String(load_default=None, validate=fits(Participant.subject_id, 1),
                            metadata={"description": "Only this participant's records"})


@blp.route("/studies/<key>/audit-trail")
class AuditTrail(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(AuditTrailArgs, location="query")
    @blp.response(200, content_type="text/csv",
                  description="One row per record: when, who, action, object, subject, "
                              "before, after, reason, signature, then chain, seq, hash and "
                              "previous hash (CSV, or JSON with the same columns)")
    @blp.alt_response(404, description="No such study or participant (for this caller)")
    def get(self, args, key):
        """Export the audit trail of a study or one participant (staff who may export)"""
        from diary.audit_export import MIMETYPES, export_trail, render

        export = export_trail(db(), principal(), key, fmt=args["format"], now=now(),
                              subject_id=args["subject"])
        response = Response(render(export), content_type=MIMETYPES[export.fmt])
        response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response.headers["X-Paindiary-Provenance"] = "; ".join(
            f"{k}={v}" for k, v in export.provenance.items())
        return response
