"""Endpoint tables for the statistician: wide, long (ADaM BDS), summary, trace."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from diary.api.context import BEARER, authenticated, db, now, principal
from diary.api.schemas import ExportArgs

blp = Blueprint("endpoints", __name__, description="Endpoint tables (coordinators, viewers)")


@blp.route("/studies/<key>/endpoints")
class Endpoints(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, content_type="text/csv",
                  description="The table as CSV, XLSX (with dictionary and provenance "
                              "sheets) or SAS XPORT v5")
    @blp.alt_response(422, description="Unknown layout or format, or no endpoints declared")
    def get(self, args, key):
        """Export a study's endpoint table; CSV is streamed, every export is audited"""
        # Imported on first export: they pull numpy, openpyxl and scoring (issue 12).
        from diary.exports.files import MIMETYPES, filename, render
        from diary.exports.service import export_endpoints

        export = export_endpoints(db(), principal(), key, layout=args["layout"],
                                  fmt=args["format"], now=now())
        fmt, part = args["format"], args["part"]
        # content_type, not mimetype: Werkzeug appends a second charset to a mimetype
        response = Response(render(export, fmt, part), content_type=MIMETYPES[fmt])
        response.headers["Content-Disposition"] = \
            f'attachment; filename="{filename(export, fmt, part)}"'
        response.headers["X-Paindiary-Provenance"] = "; ".join(
            f"{k}={v}" for k, v in export.provenance.items() if k != "title")
        return response
