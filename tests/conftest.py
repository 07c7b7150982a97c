"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when
``PAINDIARY_TEST_DATABASE_URL`` is set), the app on a frozen clock, and API helpers."""

from __future__ import annotations

import io
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from diary.clock import FrozenClock
from diary.db.engine import make_engine
from diary.db.migrate import upgrade
from diary.db.models import Base
from diary.timezones import pin_tz_database

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = ROOT / "protocols"
PG_URL = os.environ.get("PAINDIARY_TEST_DATABASE_URL")


def pytest_configure(config):
    """Every test runs under the pinned tz database, as the app does: pinned here, before
    test modules are imported, so module-level zones (``PARIS = ZoneInfo(...)``) are built
    from the ``tzdata`` package, not from the system's files."""
    pin_tz_database()


@pytest.fixture(scope="session", autouse=True)
def pinned_tz_database():
    """Re-pin for the session, in case a plugin built zones between configure and now."""
    return pin_tz_database()


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip in the SQLite run; .ci/run runs them again on PostgreSQL
    with PAINDIARY_TEST_DATABASE_URL set, where an unreachable server is an error."""
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: set PAINDIARY_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """SQLite: one migrated file, copied per test. PostgreSQL: a database of this run's own
    (so parallel runs on one server cannot collide), migrated once, dropped at the end."""
    if PG_URL:
        server = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"{server.url.database}_run_{os.getpid()}"
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.url.set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def empty_tables_sql(migrated_template) -> str | None:
    """PostgreSQL: the statements that empty every table and restart the sequences they
    own. DELETE, not TRUNCATE: on tables this small it takes 6 ms where TRUNCATE, which
    gives each table and index a new file, takes 100 ms (per test, 1,200 tests)."""
    if not PG_URL:
        return None
    tables = [t.name for t in Base.metadata.sorted_tables]
    engine = make_engine(migrated_template)
    with engine.connect() as conn:
        sequences = conn.scalars(text(
            "SELECT DISTINCT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
            "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' "
            "AND t.relname = ANY(:tables)"), {"tables": tables}).all()
    engine.dispose()
    return "; ".join([f"DELETE FROM {t}" for t in tables]
                     + [f"ALTER SEQUENCE {s} RESTART" for s in sequences])


@pytest.fixture
def database_url(migrated_template, empty_tables_sql, tmp_path):
    if PG_URL:
        engine = make_engine(migrated_template)
        with engine.begin() as conn:
            # Superuser-only escape hatch past the append-only audit triggers and the
            # foreign keys, for test isolation; the application's own role never has it.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.exec_driver_sql(empty_tables_sql)
        engine.dispose()
        return migrated_template
    path = tmp_path / "test.sqlite3"
    shutil.copy(migrated_template.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock():
    return FrozenClock(datetime(2027, 3, 1, 17, 0, tzinfo=UTC))


@pytest.fixture
def app(database_url, clock, tmp_path):
    app = create_app({
        "DATABASE_URL": database_url, "CLOCK": clock, "ARGON2_PROFILE": "cheap",
        "SECRET_KEY": "test-secret-key-" + "x" * 32, "TESTING": True,
        # Webhooks are signed with this token for this public URL (tests/e2e/sms_support)
        "TWILIO_AUTH_TOKEN": "test-twilio-auth-token", "PUBLIC_BASE_URL": "https://diary.example.org",
        "TWILIO_ACCOUNT_SID": None, "SMS_RATE": 0,
        # Seal key and checkpoint file of this test only (never the repository's instance/)
        "AUDIT_SEAL_KEY_FILE": str(tmp_path / "audit-seal.key"),
        "AUDIT_SEALS_FILE": str(tmp_path / "audit-seals.jsonl"),
        "EXPORT_JOBS_DIR": str(tmp_path / "export-jobs"),
    })
    yield app
    app.extensions["paindiary"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """Small helpers over the Flask test client, so tests read as the user's steps."""

    def __init__(self, app, client):
        self.app, self.c = app, client

    @staticmethod
    def bearer(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def create_admin(self, email="admin@site.org", password="correct horse battery") -> str:
        result = self.app.test_cli_runner().invoke(
            args=["admin", "create", "--email", email, "--password", password])
        assert result.exit_code == 0, result.output
        return self.login(email, password)

    def login(self, email: str, password: str) -> str:
        r = self.c.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.json
        return r.json["token"]

    def staff(self, admin: str, email: str, role: str, study: str, sites=None) -> str:
        password = "a long enough password"
        r = self.c.post("/api/v1/accounts", headers=self.bearer(admin),
                        json={"email": email, "password": password})
        assert r.status_code == 201, r.json
        r = self.c.put(f"/api/v1/studies/{study}/roles", headers=self.bearer(admin),
                       json={"email": email, "role": role, "sites": sites})
        assert r.status_code == 200, r.json
        return self.login(email, password)

    def unblind(self, admin: str, study: str, email: str = "admin@site.org",
                role: str = "admin") -> None:
        """Give an account (by default the first superuser) the study's unblinded grant:
        without it staff see masked codes for arms, sequences and treatments."""
        r = self.c.put(f"/api/v1/studies/{study}/roles", headers=self.bearer(admin),
                       json={"email": email, "role": role, "unblinded": True})
        assert r.status_code == 200, r.json

    def upload(self, token: str, source: str, url: str = "/api/v1/studies"):
        return self.c.post(url, headers=self.bearer(token), content_type="multipart/form-data",
                           data={"protocol": (io.BytesIO(source.encode()), "protocol.yaml")})

    def create_study(self, token: str, name_or_source: str) -> str:
        source = name_or_source
        if "\n" not in name_or_source:
            source = (PROTOCOLS / name_or_source).read_text()
        r = self.upload(token, source)
        assert r.status_code == 201, r.json
        return r.json["key"]

    def enrol(self, token: str, study: str, **fields) -> dict:
        r = self.c.post(f"/api/v1/studies/{study}/participants", headers=self.bearer(token),
                        json=fields)
        assert r.status_code == 201, r.json
        return r.json

    def activate(self, code: str) -> str:
        r = self.c.post("/api/v1/participant/activate", json={"code": code})
        assert r.status_code == 200, r.json
        return r.json["token"]

    def event(self, token, study, subject, **fields):
        return self.c.post(f"/api/v1/studies/{study}/participants/{subject}/events",
                           headers=self.bearer(token), json=fields)

    def entry(self, token: str, diary_date: str, score, *, client_id=None, reason=None,
              device_time="2027-03-01T18:00:00+01:00"):
        body = {"diary_date": diary_date, "score": score,
                "client_id": client_id or str(uuid.uuid4()), "device_time": device_time}
        if reason is not None:
            body["reason"] = reason
        return self.c.post("/api/v1/me/diary-entries", headers=self.bearer(token), json=body)


@pytest.fixture
def api(app, client):
    return Api(app, client)


MINIMAL_CROSSOVER = """
key: mini-crossover
title: Minimal crossover
timezone: Europe/Paris
design: crossover
sites: [PAR, LYO]
treatments: [{key: K}, {key: P}]
sequences: [{key: KP, treatments: [K, P]}, {key: PK, treatments: [P, K]}]
anchors: [{key: infusion, per_period: true}]
daily_diary:
  anchor: infusion
  from_day: -7
  to_day: 35
  late_entry: {days_after: 1, until: "12:00"}
assessments:
  - {key: pain_d7, instrument: nrs_pain, anchor: infusion, offset: P7D,
     window: {open: -P1D, close: P1D}}
"""


@pytest.fixture
def crossover_source() -> str:
    return MINIMAL_CROSSOVER
