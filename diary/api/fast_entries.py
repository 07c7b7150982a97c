"""The PostgreSQL fast path of ``POST /api/v1/me/diary-entries`` (issue 20).

A lean check of the body takes only what ``EntryIn`` surely accepts (a day's first entry:
no reason); the statement of diary/services/fast_ingest.py stores it. Anything else, and
anything the fast path declines, falls through to the flask-smorest view, which gives the
answers and error bodies it always gave. SQLite, and ``FAST_INGEST = False``, keep the
portable path only.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

import psycopg
from flask import Flask, current_app, request
from sqlalchemy import event

from diary.api.context import device_idle, now, request_id
from diary.security import token_hash
from diary.services.entries import NewEntry
from diary.services.fast_ingest import Connections, libpq_url, record_first_entry
from diary.timezones import utc_instant

ENDPOINT = "me.DiaryEntries"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_KEYS = {"diary_date", "score", "client_id", "device_time"}
# A first entry is ~150 bytes; a longer body (too deep to parse safely, too large, or
# streamed) is left to the guards, which run after this hook.
MAX_BODY = 1024


def lean_entry(body) -> NewEntry | None:
    """The entry when ``body`` is plainly valid for ``EntryIn`` without a reason; None
    when it is not, or when in doubt (the schema then decides, with its own messages)."""
    if not isinstance(body, dict):
        return None
    keys = set(body)
    if keys != _KEYS and not (keys == _KEYS | {"reason"} and body["reason"] is None):
        return None
    day, score, cid, dt = (body["diary_date"], body["score"], body["client_id"],
                           body["device_time"])
    if type(score) is not int or not 0 <= score <= 10:
        return None
    if not (isinstance(day, str) and _DATE.fullmatch(day) and isinstance(dt, str)
            and _INSTANT.fullmatch(dt) and isinstance(cid, str)):
        return None
    try:
        return NewEntry(diary_date=date.fromisoformat(day), score=score,
                        client_id=str(uuid.UUID(cid)),
                        device_time=utc_instant(datetime.fromisoformat(dt)), reason=None)
    except ValueError:
        return None


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def init_fast_ingest(app: Flask) -> None:
    runtime = app.extensions["paindiary"]
    if runtime.engine.dialect.name != "postgresql" or not app.config.get("FAST_INGEST", True):
        return
    url = libpq_url(runtime.engine.url.render_as_string(hide_password=False))
    connections = Connections(url)
    # Tests dispose of the engine per app: close the fast path's connections with it.
    event.listen(runtime.engine, "engine_disposed", lambda _engine: connections.close_all())

    def fast_diary_entry():
        if request.endpoint != ENDPOINT or request.method != "POST" or request.args \
                or request.mimetype != "application/json" \
                or not 0 < (request.content_length or 0) <= MAX_BODY:
            return None
        token, entry = _bearer(), lean_entry(request.get_json(silent=True))
        if token is None or entry is None:
            return None
        try:
            stored = record_first_entry(connections.get(), runtime.session_factory,
                                        token_hash(token), entry, now=now(),
                                        request_id=request_id(), device_idle=device_idle())
        except psycopg.Error:
            current_app.logger.warning("diary fast path failed; portable path used",
                                       exc_info=True)
            connections.drop()
            return None
        if stored is None:
            return None
        response = current_app.json.response(stored.body())
        response.status_code = 201
        return response

    # First: a body lean_entry accepts is flat, short and plain ASCII, so the request
    # guards (diary/api/guards.py) have nothing to refuse in it; any other request, and
    # any the fast path declines, goes on to the guards and the portable view.
    app.before_request_funcs.setdefault(None, []).insert(0, fast_diary_entry)
