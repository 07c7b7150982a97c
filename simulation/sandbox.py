"""The sandbox a simulation runs in: its own app, database, clock and console transport.

The database is a SQLite file in ``DIR/sandbox/`` (or a PostgreSQL database the caller
names), never the one the command was started with. Every action then goes through the
app's real HTTP API (the Flask test client, with real tokens).
"""

from __future__ import annotations

import contextlib
import io
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

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


class Api:
    """The HTTP API as the simulation's people use it: a coordinator (the sandbox's
    administrator, re-signing in before the 12-hour token lapses) and participants."""

    def __init__(self, app: Flask, clock: FrozenClock) -> None:
        self.app, self.clock, self.c = app, clock, app.test_client()
        self._staff: tuple[str, datetime] | None = None
        self._sids = 0

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
            r = self.c.post("/api/v1/auth/login",
                            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
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
        return self._check(self.c.post(url, headers=headers, json=body), url, body).json

    def put(self, url: str, body: dict, headers: dict) -> dict:
        return self._check(self.c.put(url, headers=headers, json=body), url, body).json

    def get(self, url: str, headers: dict):
        return self._check(self.c.get(url, headers=headers), url)

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
        r = self._check(self.c.post("/sms/inbound", data=form, headers=headers),
                        "/sms/inbound", body)
        message = ET.fromstring(r.data).find("Message")
        return None if message is None else message.text
