"""Background export jobs: start one, follow its progress, download its files (a day)."""

from flask import current_app, send_file
from flask.views import MethodView
from sqlalchemy import select

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, principal
from diary.api.endpoints import provenance_header
from diary.api.export_job_schemas import ExportJobIn, ExportJobOut, FileArgs
from diary.db.models import Account
from diary.services import export_jobs

blp = Blueprint("export_jobs", __name__,
                description="Endpoint exports run in the background (files kept a day)")
BASE = "/studies/<key>/export-jobs"


def _runner():
    return current_app.extensions["paindiary"].export_jobs


def job_view(session, jobs):
    """Jobs as the API and the pages show them: the requester by e-mail."""
    ids = {j.requested_by for j in jobs if j.requested_by is not None}
    emails = dict(session.execute(select(Account.id, Account.email)
                                  .where(Account.id.in_(ids))).all()) if ids else {}
    return [{**{c: getattr(j, c) for c in ExportJobOut().fields if c != "requested_by"},
             "requested_by": emails.get(j.requested_by)} for j in jobs]


@blp.route(BASE)
class ExportJobs(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, ExportJobOut(many=True))
    def get(self, key):
        """Export jobs of this study you may download, newest first (expired ones go)"""
        session = db()
        return job_view(session, export_jobs.list_jobs(session, principal(), key, now=now(),
                                                       runner=_runner()))

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ExportJobIn)
    @blp.response(202, ExportJobOut)
    @blp.alt_response(422, description="Unknown layout or format, or no endpoints declared")
    def post(self, body, key):
        """Start an export in the background; poll the job, then download its file. Same
        tables, masking, provenance and audit as ``GET .../endpoints``"""
        session = db()
        job = export_jobs.submit(session, principal(), key, layout=body["layout"],
                                 fmt=body["format"], figure=body["figure"], now=now(),
                                 runner=_runner())
        return job_view(session, [job])[0]


@blp.route(BASE + "/<job_id>")
class ExportJobItem(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, ExportJobOut)
    def get(self, key, job_id):
        """A job's state, phase and progress (a fraction), and its files once done"""
        session = db()
        return job_view(session, [export_jobs.get_job(session, principal(), key, job_id,
                                                      now=now(), runner=_runner())])[0]


@blp.route(BASE + "/<job_id>/file")
class ExportJobFile(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(FileArgs, location="query")
    @blp.response(200, content_type="application/octet-stream",
                  description="The file: CSV, XLSX, XPT, PNG or SVG")
    @blp.alt_response(410, description="Expired: files are kept for a day")
    @blp.alt_response(422, description="Not done yet")
    def get(self, args, key, job_id):
        """Download a finished job's file (audited)"""
        from diary.exports.files import MIMETYPES  # the export modules: on first use

        found = export_jobs.job_file(db(), principal(), key, job_id, part=args["part"],
                                     now=now(), runner=_runner())
        response = send_file(found.path, mimetype=None, as_attachment=True,
                             download_name=found.name, max_age=0)
        response.headers["Content-Type"] = MIMETYPES[found.fmt]
        response.headers["X-Paindiary-Provenance"] = provenance_header(found.provenance or {})
        return response
