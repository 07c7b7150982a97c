"""The diary fast path (issue 20) answers exactly as the portable path does.

Two apps share one PostgreSQL database and one clock: one with ``FAST_INGEST`` on, one
with it off. Two participants of one study go through the same submissions, one per app;
status, body (ids aside) and stored rows must agree, and the audit trail must verify.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import func, select

from app import create_app
from diary.audit_verify import verify_all
from diary.db.audit_models import AuditPending, AuditRecord
from diary.db.models import DiaryEntry

pytestmark = pytest.mark.postgres

CID = [str(uuid.uuid4()) for _ in range(3)]
T = "2027-03-01T18:00:00+01:00"


def _body(day, score, cid, device_time=T, **more):
    return {"diary_date": day, "score": score, "client_id": cid, "device_time": device_time,
            **more}


# (label, clock or None, body or raw text, token override)
CASES = [
    ("first entry", None, _body("2027-03-01", 6, CID[0])),
    ("retry", None, _body("2027-03-01", 6, CID[0])),
    ("client id reused", None, _body("2027-03-01", 7, CID[0])),
    ("second entry without reason", None, _body("2027-03-01", 4, CID[1])),
    ("correction", None, _body("2027-03-01", 4, CID[1], reason="misread")),
    ("future day", None, _body("2027-03-02", 3, CID[2])),
    ("before enrolment", None, _body("2027-02-28", 3, CID[2])),
    ("reason null", None, _body("2027-03-01", 3, CID[2], reason=None)),
    ("score 11", None, _body("2027-03-01", 11, CID[2])),
    ("score as text", None, _body("2027-03-01", "7", CID[2])),
    ("score 2.9", None, _body("2027-03-01", 2.9, CID[2])),
    ("score true", None, _body("2027-03-01", True, CID[2])),
    ("naive device time", None, _body("2027-03-01", 3, CID[2], "2027-03-01T18:00:00")),
    ("device time far off", None, _body("2027-03-01", 3, CID[2], "9999-12-31T23:59:59-12:00")),
    ("bad date", None, _body("2027-02-30", 3, CID[2])),
    ("bad uuid", None, _body("2027-03-01", 3, "not-a-uuid")),
    ("unknown field", None, _body("2027-03-01", 3, CID[2], mood=3)),
    ("missing score", None, {"diary_date": "2027-03-01", "client_id": CID[2],
                             "device_time": T}),
    ("not an object", None, [1, 2]),
    ("bad token", None, _body("2027-03-01", 3, CID[2]), "not-a-token"),
    ("next day", datetime(2027, 3, 2, 9, tzinfo=UTC), _body("2027-03-02", 5, CID[2],
                                                          "2027-03-02T09:00:00Z")),
    ("uppercase uuid", None, _body("2027-03-01", 5, str(uuid.uuid4()).upper())),
    ("too late", datetime(2027, 3, 4, 12, tzinfo=UTC), _body("2027-03-02", 5,
                                                             str(uuid.uuid4()))),
    ("retry after the day closed", None, _body("2027-03-02", 5, CID[2],
                                               "2027-03-02T09:00:00Z")),
]


@pytest.fixture
def portable_app(database_url, clock, tmp_path, app):
    other = create_app({**{k: app.config[k] for k in (
        "DATABASE_URL", "CLOCK", "ARGON2_PROFILE", "SECRET_KEY", "TESTING",
        "AUDIT_SEAL_KEY_FILE", "AUDIT_SEALS_FILE", "EXPORT_JOBS_DIR")},
        "FAST_INGEST": False})
    yield other
    other.extensions["paindiary"].engine.dispose()


def _normal(body, ids: dict):
    """The body with entry ids replaced by their order of appearance."""
    if isinstance(body, dict):
        return {k: _normal(v, ids) if k != "id" else ids.setdefault(v, len(ids))
                for k, v in body.items()}
    if isinstance(body, str):
        for real, n in ids.items():
            body = body.replace(str(real), f"<id{n}>")
    return body


def test_the_fast_and_portable_paths_answer_every_case_alike(api, app, portable_app, clock,
                                                              crossover_source):
    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    tokens = [api.activate(api.enrol(admin, study, subject_id=s, site="PAR",
                                     sequence="KP")["activation_code"])
              for s in ("S001", "S002")]
    clients = [app.test_client(), portable_app.test_client()]
    ids: list[dict] = [{}, {}]
    start = clock.now()
    for label, at, body, *token in CASES:
        clock.set(at or clock.now())
        answers = []
        for i, client in enumerate(clients):
            headers = {**api.bearer(token[0] if token else tokens[i]),
                       "X-Request-Id": f"parity-{label.replace(' ', '-')}"}
            r = client.post("/api/v1/me/diary-entries", json=body, headers=headers)
            answers.append((r.status_code, _normal(r.get_json(), ids[i]),
                            sorted(r.headers.items()), r.get_data().endswith(b"\n")))
        assert answers[0] == answers[1], label
    assert clock.now() > start + timedelta(days=1)
    with app.extensions["paindiary"].session_factory() as s:
        rows = s.execute(select(DiaryEntry.participant_id, func.count())
                         .group_by(DiaryEntry.participant_id)).all()
        assert len(rows) == 2 and rows[0][1] == rows[1][1] == 3  # first, correction, next day
        assert s.scalar(select(func.count()).select_from(AuditPending)) > 0  # fast path used
        report = verify_all(s, public=None)
        assert report.ok, report.problems
        assert s.scalar(select(func.count()).select_from(AuditPending)) == 0
        actions = s.execute(select(AuditRecord.chain, AuditRecord.action)
                            .where(AuditRecord.entity == "diary_entry")
                            .order_by(AuditRecord.chain, AuditRecord.seq)).all()
    by_chain: dict[str, list[str]] = {}
    for chain, action in actions:
        by_chain.setdefault(chain, []).append(action)
    assert len(by_chain) == 2 and len(set(map(tuple, by_chain.values()))) == 1


CHANGES = {
    "token revoked": "UPDATE api_tokens SET revoked_at = now() WHERE id = %(token)s",
    "participant withdrawn": "UPDATE participants SET withdrawn_at = now() WHERE id = %(pid)s",
    "timezone moved": "UPDATE participants SET timezone = 'Asia/Tokyo' WHERE id = %(pid)s",
    "protocol upgraded": "UPDATE studies SET current_version = current_version + 1 "
                         "WHERE id = (SELECT study_id FROM participants WHERE id = %(pid)s)",
    None: None,
}


@pytest.mark.parametrize("change", list(CHANGES), ids=lambda c: c or "no change")
def test_a_change_between_the_lookup_and_the_store_makes_the_fast_path_decline(
        api, app, clock, crossover_source, change):
    """The rules run between the two statements; what they were checked against must still
    hold when the second one stores, or nothing is stored."""
    from diary.security import token_hash
    from diary.services.entries import NewEntry
    from diary.services.fast_ingest import Connections, libpq_url, record_first_entry

    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    token = api.activate(api.enrol(admin, study, subject_id="S001", site="PAR",
                                   sequence="KP")["activation_code"])
    runtime = app.extensions["paindiary"]
    connections = Connections(libpq_url(runtime.engine.url.render_as_string(
        hide_password=False)))
    conn = connections.get()

    class ChangeAfterLookup:
        """The fast path's connection, with ``change`` committed by another session right
        after the first statement."""

        def __init__(self):
            self.calls = 0

        def execute(self, sql, params, **kw):
            cur = conn.execute(sql, params, **kw)
            self.calls += 1
            if self.calls == 1 and change:
                row = cur.fetchone()
                with psycopg.connect(connections.url, autocommit=True) as other:
                    other.execute(CHANGES[change], {"token": row[0], "pid": row[1]})
                return _Rows(row)
            return cur

    entry = NewEntry(diary_date=clock.now().date(), score=5, client_id=str(uuid.uuid4()),
                     device_time=clock.now(), reason=None)
    wrapped = ChangeAfterLookup()
    try:
        stored = record_first_entry(wrapped, runtime.session_factory, token_hash(token),
                                    entry, now=clock.now(), request_id=None, device_idle=None)
    finally:
        connections.close_all()
    assert wrapped.calls == 2
    with runtime.session_factory() as s:
        counts = (s.scalar(select(func.count()).select_from(DiaryEntry)),
                  s.scalar(select(func.count()).select_from(AuditPending)))
    assert (stored is not None, counts) == ((True, (1, 1)) if change is None
                                            else (False, (0, 0)))


class _Rows:
    def __init__(self, row):
        self.row = row

    def fetchone(self):
        return self.row
