"""Endpoint tables for the statistician: wide, long (ADaM BDS), summary, trace; and
figures of daily pain by study day and treatment (PNG, SVG)."""

from flask import Response
from flask.views import MethodView

from diary.api.blueprint import Blueprint
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
                              "sheets) or SAS XPORT v5, or a figure as PNG or SVG")
    @blp.alt_response(422, description="Unknown layout or format, or no endpoints declared")
    def get(self, args, key):
        """Export a study's endpoint table or figure; CSV is streamed, every export is audited"""
        # Imported on first export: they pull numpy, openpyxl and scoring (issue 12).
        from diary.exports.files import MIMETYPES, filename, render
        from diary.exports.service import export_endpoints, export_figure

        if args["format"] in ("png", "svg"):  # a figure, drawn from the same records
            figure = export_figure(db(), principal(), key, figure=args["figure"],
                                   fmt=args["format"], now=now())
            return _attachment(iter([figure.content]), MIMETYPES[figure.fmt],
                               f"{figure.study}_{figure.figure}.{figure.fmt}",
                               figure.provenance)
        export = export_endpoints(db(), principal(), key, layout=args["layout"],
                                  fmt=args["format"], now=now())
        fmt, part = args["format"], args["part"]
        return _attachment(render(export, fmt, part), MIMETYPES[fmt],
                           filename(export, fmt, part), export.provenance)


def _attachment(body, content_type: str, name: str, provenance: dict[str, str]) -> Response:
    """A download: the file's bytes, its name, and the export's provenance in a header."""
    # content_type, not mimetype: Werkzeug appends a second charset to a mimetype
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Paindiary-Provenance"] = provenance_header(provenance)
    return response


def provenance_header(provenance: dict[str, str]) -> str:
    """The provenance as ``key=value; ...`` (the title, free text, stays in the file)."""
    return "; ".join(f"{k}={v}" for k, v in provenance.items() if k != "title")
