"""The exports page: pick a layout and format, start a background job, watch its progress
(htmx polls the job's row), download the file; the list keeps a day's jobs so the
coordinator can come back. The jobs are diary.services.export_jobs, as for the API."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, send_file, url_for

from diary.api.context import db, now
from diary.api.export_jobs import job_view
from diary.errors import DomainError
from diary.services import export_jobs
from web import bp
from web.access import study_for
from web.forms import FormState
from web.record_labels import record_labels

LAYOUTS = ("wide", "long", "summary", "trace")
FORMATS = ("csv", "xlsx", "xpt", "png", "svg")
FIGURES = ("mean", "participants")
# While a job runs its row asks again this often (htmx "every").
POLL = "1s"


def _runner():
    return current_app.extensions["paindiary"].export_jobs


def _page(key, form: FormState | None = None, status: int = 200):
    access = study_for(key)
    session = db()
    jobs = job_view(session, export_jobs.list_jobs(session, access.who, key, now=now(),
                                                   runner=_runner()))
    return render_template("exports.html", access=access, jobs=jobs, form=form or FormState(),
                           layouts=LAYOUTS, formats=FORMATS, figures=FIGURES, poll=POLL,
                           **record_labels()), status


@bp.route("/studies/<key>/exports")
def exports(key):
    return _page(key)


@bp.route("/studies/<key>/exports", methods=["POST"])
def start_export(key):
    access = study_for(key)
    values = {k: request.form.get(k, "") for k in ("layout", "format", "figure")}
    try:
        job = export_jobs.submit(db(), access.who, key, layout=values["layout"],
                                 fmt=values["format"], figure=values["figure"] or "mean",
                                 now=now(), runner=_runner())
    except DomainError as exc:
        if request.headers.get("HX-Request"):
            # htmx swaps no 4xx answer: the message goes into the form's message area
            response = current_app.make_response(
                (render_template("_error.html", message=exc.message), 200))
            response.headers["HX-Retarget"] = "#export-message"
            response.headers["HX-Reswap"] = "innerHTML"
            return response
        return _page(key, FormState("export", values, {exc.field or "_form": exc.message}),
                     422)
    if request.headers.get("HX-Request"):  # the new job's row, placed first in the list
        return _row(key, job.id)
    return redirect(url_for("web.exports", key=key))


def _row(key, job_id):
    access = study_for(key)
    session = db()
    job = export_jobs.get_job(session, access.who, key, job_id, now=now(), runner=_runner())
    return render_template("_export_job_row.html", access=access, job=job_view(session, [job])[0],
                           poll=POLL, **record_labels())


@bp.route("/studies/<key>/exports/<job_id>")
def export_job_row(key, job_id):
    """One job's row as it stands (htmx polls it while the job runs)."""
    return _row(key, job_id)


@bp.route("/studies/<key>/exports/<job_id>/file")
def export_file(key, job_id):
    access = study_for(key)
    part = request.args.get("part", "data")
    if part not in ("data", "dictionary"):
        part = "data"
    found = export_jobs.job_file(db(), access.who, key, job_id, part=part, now=now(),
                                 runner=_runner())
    from diary.exports.files import MIMETYPES  # the export modules: on first use

    response = send_file(found.path, as_attachment=True, download_name=found.name, max_age=0)
    response.headers["Content-Type"] = MIMETYPES[found.fmt]
    return response
