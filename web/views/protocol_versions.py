"""The protocol page: every stored version, the diff between two of them, and the upload
of a new version (study admins), whose refusal lists each problem ``studies check``
finds, at its path. Through diary.services.protocol_versions and studies, as the API."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from diary.api.context import db, now
from diary.errors import DomainError
from diary.services import protocol_versions as versions_service
from diary.services import studies
from web import bp
from web.access import study_for
from web.record_labels import record_labels

NOTICE = "protocol_notice"
MAX_UPLOAD = 1024 * 1024  # a protocol is a few kB; the app's body limit is 2 MiB


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def _page(key, *, upload_errors=None, upload_message=None, warnings=None, status=200):
    access = study_for(key)
    s = db()
    versions = versions_service.list_versions(s, access.who, key)
    current = access.study.current_version
    old = _number(request.args.get("old")) or max(current - 1, 1)
    new = _number(request.args.get("new")) or current
    diff = None
    if len(versions) > 1 or request.args.get("old"):
        try:
            diff = versions_service.diff_versions(s, access.who, key, old, new)
        except DomainError as exc:
            upload_message = upload_message or exc.message
    return render_template("protocol_versions.html", access=access, versions=versions,
                           old=old, new=new, diff=diff, upload_errors=upload_errors,
                           upload_message=upload_message, warnings=warnings,
                           notice=session.pop(NOTICE, None), **record_labels()), status


@bp.route("/studies/<key>/protocol")
def protocol_versions(key):
    return _page(key)


@bp.route("/studies/<key>/protocol", methods=["POST"])
def upload_protocol(key):
    study_for(key, need="admin")
    upload = request.files.get("protocol")
    if upload is None or not upload.filename:
        return _page(key, upload_message=_("Choose a protocol file (YAML)."), status=422)
    raw = upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        return _page(key, upload_message=_("The file is larger than 1 MiB."), status=422)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _page(key, upload_message=_("The protocol file must be UTF-8 text."), status=422)
    name = (upload.filename or "protocol").rsplit("/", 1)[-1][:100]
    try:
        loaded = studies.upgrade_protocol(db(), study_for(key, need="admin").who, key=key,
                                          source=source, now=now(),
                                          name=name if name.isprintable() else "protocol")
    except studies.InvalidProtocol as exc:
        return _page(key, upload_errors=exc.issues, upload_message=exc.message, status=422)
    except DomainError as exc:
        return _page(key, upload_message=exc.message, status=exc.status)
    session[NOTICE] = _("Version %(n)d is now current.", n=loaded.version.version)
    if loaded.warnings:
        session[NOTICE] += " " + _("Warnings: %(w)s", w="; ".join(
            f"{path}: {rule}" for path, rule in loaded.warnings))
    return redirect(url_for("web.protocol_versions", key=key,
                            old=loaded.version.version - 1, new=loaded.version.version))
