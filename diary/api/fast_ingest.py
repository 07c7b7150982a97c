"""The PostgreSQL fast path of ``POST /api/v1/me/diary-entries`` and
``POST /api/v1/me/medications`` (issue 20).

A lean check of a diary entry takes only what ``EntryIn`` surely accepts (a day's first
entry: no reason, a small flat body, so the request guards of diary/api/guards.py would
find nothing to refuse). An intake, far rarer, is checked by the guards' own function and
``IntakeIn`` itself. The statements of diary/services/fast_ingest.py store them. Anything
else, and anything the fast path declines, goes to Flask and the flask-smorest view, which
give the answers and error bodies they always gave. SQLite, and ``FAST_INGEST = False``,
keep the portable path only.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import date, datetime, timedelta

import marshmallow as ma
import psycopg
from flask import Flask
from sqlalchemy import event

from diary.api.context import REQUEST_ID_RE
from diary.api.guards import json_body_refusal
from diary.api.headers import FIXED_HEADERS, HSTS_VALUE
from diary.api.medications import new_intake
from diary.api.safety_schemas import IntakeIn, IntakeOut
from diary.security import token_hash
from diary.services.entries import NewEntry
from diary.services.fast_ingest import (
    Connections,
    libpq_url,
    record_first_entry,
    record_new_intake,
)
from diary.services.open_days import OpenDays
from diary.services.studies import protocol_by_sha_opening
from diary.timezones import utc_instant

PATH = "/api/v1/me/diary-entries"
INTAKES_PATH = "/api/v1/me/medications"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_KEYS = {"diary_date", "score", "client_id", "device_time"}
# A first entry is ~150 bytes; a longer body (too deep to parse safely, too large, or
# streamed) is left to the guards, which run after this hook.
MAX_BODY = 1024
# Stateless between loads and dumps: one instance each serves every request.
_INTAKE_IN, _INTAKE_OUT = IntakeIn(), IntakeOut()


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


def _bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def init_fast_ingest(app: Flask) -> None:
    """Wrap the (PostgreSQL) app in :class:`FastIngest` unless ``FAST_INGEST`` is off."""
    runtime = app.extensions["paindiary"]
    if not app.config.get("FAST_INGEST", True):
        return
    url = libpq_url(runtime.engine.url.render_as_string(hide_password=False))
    fast = FastIngest(app, app.wsgi_app, Connections(url))
    # Tests dispose of the engine per app: close the fast path's connections with it.
    event.listen(runtime.engine, "engine_disposed",
                 lambda _engine: fast.connections.close_all())
    app.wsgi_app = fast


class FastIngest:
    """WSGI middleware in front of Flask: a day's first entry (or a new intake) never
    builds a Flask request (its routing, context, hooks and response objects cost more
    CPU than the insert). It answers with the body and headers the Flask view and
    ``init_headers`` give; any request it declines goes to Flask whole, body included,
    guards first."""

    def __init__(self, app: Flask, wsgi_app, connections: Connections) -> None:
        self.app, self.wsgi_app, self.connections = app, wsgi_app, connections
        self.runtime = app.extensions["paindiary"]
        self.hsts = bool(app.config.get("HSTS"))
        days = app.config.get("DEVICE_TOKEN_IDLE_DAYS") or 0
        self.idle = timedelta(days=days) if days > 0 else None
        self.routes = {PATH: self._entry, INTAKES_PATH: self._intake}
        self.open_days = OpenDays(lambda sha256: protocol_by_sha_opening(
            self.runtime.session_factory, sha256))

    def __call__(self, environ, start_response):
        store = self.routes.get(environ.get("PATH_INFO"))
        if store is None or environ.get("REQUEST_METHOD") != "POST" \
                or environ.get("QUERY_STRING") or environ.get("SCRIPT_NAME"):
            return self.wsgi_app(environ, start_response)
        answer = self._try(environ, store)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def _try(self, environ, store):
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if mimetype != "application/json" or not 0 < length <= MAX_BODY \
                or environ.get("HTTP_TRANSFER_ENCODING"):
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)  # Flask reads it again if we decline
        token = _bearer(environ.get("HTTP_AUTHORIZATION", ""))
        if token is None:
            return None
        try:
            text = raw.decode()  # UTF-8 only: Flask's JSON would accept UTF-16 and -32 too
            body = json.loads(text)
        except ValueError:
            return None
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex
        try:
            stored = store(body, text, token_hash(token), request_id)
        except psycopg.Error:
            self.app.logger.warning("diary fast path failed; portable path used",
                                    exc_info=True)
            self.connections.drop()
            return None
        if stored is None:
            return None
        # Flask's JSON provider: sorted keys, compact separators, a final newline.
        body = (json.dumps(stored, sort_keys=True, separators=(",", ":")) + "\n").encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   ("X-Request-Id", request_id), *FIXED_HEADERS.items(),
                   ("Cache-Control", "no-store")]
        if self.hsts:
            headers.append(("Strict-Transport-Security", HSTS_VALUE))
        return "201 CREATED", headers, body

    def _entry(self, body, text: str, token: str, request_id: str) -> dict | None:
        entry = lean_entry(body)
        if entry is None:
            return None
        stored = record_first_entry(self.connections.get(), self.open_days, token, entry,
                                    now=self.runtime.clock.now(), request_id=request_id,
                                    device_idle=self.idle)
        return None if stored is None else stored.body()

    def _intake(self, body, text: str, token: str, request_id: str) -> dict | None:
        """A new intake, checked by the API's own schema (intakes are far rarer than
        diary entries: its CPU is not worth a second set of rules)."""
        if json_body_refusal(text) is not None:
            return None  # the request guards answer (NUL, surrogates, NaN, big numbers)
        try:
            n = new_intake(_INTAKE_IN.load(body), "app")
        except ma.ValidationError:
            return None
        stored = record_new_intake(self.connections.get(), self.runtime.session_factory,
                                   token, n, now=self.runtime.clock.now(),
                                   request_id=request_id, device_idle=self.idle)
        return None if stored is None else _INTAKE_OUT.dump(stored)
