"""The sandbox a simulation runs in: its own app, database, clock and console transport.

The database is a SQLite file in ``DIR/sandbox/`` (or a PostgreSQL database the caller
names), never the one the command was started with. Every action then goes through the
app's real HTTP API (the Flask test client, with real tokens).
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlencode

from flask import Flask

from diary.clock import FrozenClock
from diary.sms.signature import sign

ADMIN_EMAIL = "simulation@sandbox.invalid"
ADMIN_PASSWORD = "rehearsal of a whole trial 2027"  # the sandbox's only, throwaway
AUTH_TOKEN = "sandbox-twilio-auth-token"
PUBLIC_BASE_URL = "https://sandbox.invalid"
TWILIO_NUMBER = "+15005550006"


class ApiError(RuntimeError):
    """The app refused an action the simulation expected to succeed: a simulator bug, or a
    protocol whose schedule and API disagree (what the per-protocol test looks for)."""


def _user_agent() -> str:
    """The test client's User-Agent (werkzeug's name and version)."""
    from importlib.metadata import version

    return f"Werkzeug/{version('werkzeug')}"


def sandbox_app(factory: Callable[[dict], Flask], out: Path, clock: FrozenClock,
                database_url: str | None = None) -> Flask:
    """A fresh app on ``clock`` over a migrated empty database of its own."""
    from diary.db.engine import make_engine
    from diary.db.migrate import upgrade

    box = out / "sandbox"
    box.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        db = box / "sandbox.sqlite3"
        for stale in box.glob("sandbox.sqlite3*"):
            stale.unlink()
        database_url = f"sqlite:///{db}"
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    app = factory({
        "DATABASE_URL": database_url, "CLOCK": clock, "ARGON2_PROFILE": "cheap",
        "SECRET_KEY": "sandbox-secret-key-" + "s" * 32, "TESTING": True,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": None, "SMS_RATE": 0,
        "AUDIT_SEAL_KEY_FILE": str(box / "audit-seal.key"),
        "AUDIT_SEALS_FILE": str(box / "audit-seals.jsonl"),
        "EXPORT_JOBS_DIR": str(box / "export-jobs"),
        # The scheduler seals the audit chain every 30 simulated days, not at every tick
        # (the clock jumps: an hourly seal would be due at each of them).
        "AUDIT_SEAL_INTERVAL": 30 * 86400,
    })
    if database_url.startswith("sqlite"):
        _unsynchronised(app.extensions["paindiary"].engine)
    return app


def _unsynchronised(engine) -> None:
    """A throwaway SQLite file needs no fsync per commit (3 ms each here): a crash loses
    only the simulation, which the same seed gives again."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    engine.dispose()


@contextlib.contextmanager
def seeded_ids(rng: random.Random) -> Iterator[None]:
    """Row ids (uuid4) and blinding codes drawn from the simulation's generator while it
    runs, so exports that show them (SRCIDS, masked codes) are the same for the same seed.
    Restored afterwards: the rest of the process keeps real randomness."""
    from diary.services import blinding

    real_uuid4, real_draw = uuid.uuid4, blinding._draw
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    blinding._draw = random.Random(rng.getrandbits(64))
    try:
        yield
    finally:
        uuid.uuid4, blinding._draw = real_uuid4, real_draw


class Reply:
    """An answer as the simulation reads it: status, body and, for JSON, the value."""

    __slots__ = ("status_code", "data", "mimetype")

    def __init__(self, status_code: int, data: bytes, mimetype: str) -> None:
        self.status_code, self.data, self.mimetype = status_code, data, mimetype

    @property
    def json(self):
        json_body = self.mimetype == "application/json" or self.mimetype.endswith("+json")
        return json.loads(self.data) if json_body else None

    def get_data(self, as_text: bool = False):
        return self.data.decode() if as_text else self.data


# The request a test client (werkzeug's EnvironBuilder) gives the app, less its parts
# that vary; see Api._call.
_ENVIRON = {
    "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1",
    "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.multithread": False,
    "wsgi.multiprocess": False, "wsgi.run_once": False,
}


class Api:
    """The HTTP API as the simulation's people use it: a coordinator (the sandbox's
    administrator, re-signing in before the 12-hour token lapses) and participants.

    Requests go to the app through WSGI, as a server hands them over: the environ the
    test client would build (same headers, body bytes and address), without building its
    request and response objects around each call (~5 % of a trial's time). The protocol
    upload (multipart, once) goes through the test client itself."""

    def __init__(self, app: Flask, clock: FrozenClock) -> None:
        self.app, self.clock, self.c = app, clock, app.test_client()
        self._staff: tuple[str, datetime] | None = None
        self._sids = 0
        self._environ = {**_ENVIRON, "HTTP_USER_AGENT": _user_agent()}

    def _call(self, method: str, url: str, headers: dict, body: bytes | None = None,
              content_type: str | None = None) -> Reply:
        path, _, query = url.partition("?")
        environ = {
            **self._environ, "REQUEST_METHOD": method,
            "PATH_INFO": unquote(path).encode().decode("latin-1"),
            "QUERY_STRING": query, "REQUEST_URI": url, "RAW_URI": url,
            "wsgi.input": io.BytesIO(body or b""), "wsgi.errors": sys.stderr,
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
        }
        if body is not None:
            environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"] = content_type, str(len(body))
        started: list = []
        chunks = self.app(environ, lambda status, response_headers, exc_info=None:
                          started.append((status, response_headers)))
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, response_headers = started[0]
        mimetype = next((v for k, v in response_headers if k.lower() == "content-type"), "")
        return Reply(int(status.split(" ", 1)[0]), data, mimetype.split(";")[0].strip().lower())

    def _json(self, method: str, url: str, body: dict, headers: dict) -> Reply:
        return self._call(method, url, headers, self.app.json.dumps(body).encode(),
                          "application/json")

    def create_admin(self) -> None:
        from diary.services import accounts
        from diary.services.principals import cli_principal

        rt = self.app.extensions["paindiary"]
        with rt.session_factory() as session:
            accounts.create_account(session, cli_principal(), email=ADMIN_EMAIL,
                                    password=ADMIN_PASSWORD, is_superuser=True,
                                    now=self.clock.now(), ph=rt.hasher)

    def staff(self) -> dict:
        now = self.clock.now()
        if self._staff is None or now - self._staff[1] > timedelta(hours=11):
            r = self._json("POST", "/api/v1/auth/login",
                           {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, {})
            self._check(r, "/api/v1/auth/login")
            self._staff = (r.json["token"], now)
        return {"Authorization": f"Bearer {self._staff[0]}"}

    @staticmethod
    def bearer(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    @staticmethod
    def _check(r, url: str, body=None):
        if not 200 <= r.status_code < 300:
            raise ApiError(f"{url}: {r.status_code} {r.get_data(as_text=True)[:500]} "
                           f"(sent {body!r})"[:1500])
        return r

    def post(self, url: str, body: dict, headers: dict) -> dict:
        return self._check(self._json("POST", url, body, headers), url, body).json

    def put(self, url: str, body: dict, headers: dict) -> dict:
        return self._check(self._json("PUT", url, body, headers), url, body).json

    def get(self, url: str, headers: dict):
        return self._check(self._call("GET", url, headers), url)

    def upload_protocol(self, source: str) -> str:
        r = self.c.post("/api/v1/studies", headers=self.staff(),
                        content_type="multipart/form-data",
                        data={"protocol": (io.BytesIO(source.encode()), "protocol.yaml")})
        return self._check(r, "/api/v1/studies").json["key"]

    def text_in(self, phone: str, body: str) -> str | None:
        """An inbound SMS, signed as Twilio signs it; returns the TwiML reply's text."""
        import xml.etree.ElementTree as ET

        self._sids += 1
        form = {"MessageSid": f"SM{self._sids:032x}", "AccountSid": "AC" + "0" * 32,
                "From": phone, "To": TWILIO_NUMBER, "NumMedia": "0", "Body": body}
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC_BASE_URL + "/sms/inbound",
                                              form)}
        r = self._check(self._call("POST", "/sms/inbound", headers,
                                   urlencode(form, safe="!$'()*,/:;?@").encode(),
                                   "application/x-www-form-urlencoded"),
                        "/sms/inbound", body)
        message = ET.fromstring(r.data).find("Message")
        return None if message is None else message.text
