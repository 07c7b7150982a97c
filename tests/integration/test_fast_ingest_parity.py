"""The diary fast path (issue 20) answers exactly as the portable path does.

Two apps share one PostgreSQL database and one clock: one with ``FAST_INGEST`` on, one
with it off. Two participants of one study go through the same submissions, one per app;
status, body (ids aside) and stored rows must agree, and the audit trail must verify.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import func, select

from app import create_app
from diary.audit_verify import verify_all
from diary.db.audit_models import AuditPending, AuditRecord
from diary.db.models import DiaryEntry
from diary.db.safety_models import MedicationIntake

pytestmark = pytest.mark.postgres

ENTRIES, INTAKES = "/api/v1/me/diary-entries", "/api/v1/me/medications"
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


def _intake(**fields):
    return {"drug": "oxycodone", "dose": 10, "unit": "mg", "route": "oral", "rescue": True,
            "taken_at": "2027-03-01T19:30:00+01:00", "client_id": ICID[0], **fields}


ICID = [str(uuid.uuid4()) for _ in range(3)]
INTAKE_CASES = [
    ("first intake", datetime(2027, 3, 1, 19, tzinfo=UTC), _intake()),
    ("intake retry", None, _intake()),
    ("intake client id reused", None, _intake(dose=5)),
    ("patch", None, _intake(drug="fentanyl", dose=25, unit="mcg/h", route="transdermal",
                            rescue=False, client_id=str(uuid.uuid4()))),
    ("patch worn 60 h", None, _intake(drug="fentanyl", dose=25, unit="mcg/h",
                                      route="transdermal", worn_hours=60,
                                      client_id=str(uuid.uuid4()))),
    ("dose as text", None, _intake(dose="7.5", client_id=str(uuid.uuid4()))),
    ("rescue left out", None, {k: v for k, v in _intake(client_id=ICID[1]).items()
                               if k != "rescue"}),
    ("non-opioid", None, _intake(drug="paracetamol", dose=1000, rescue=False,
                                 client_id=str(uuid.uuid4()))),
    ("unknown drug", None, _intake(drug="oxycodon", client_id=ICID[2])),
    ("unit that does not fit", None, _intake(unit="mcg/h", client_id=ICID[2])),
    ("dose zero", None, _intake(dose=0, client_id=ICID[2])),
    ("dose true", None, _intake(dose=True, client_id=ICID[2])),
    ("rescue yes", None, _intake(rescue="yes", client_id=ICID[2])),
    ("taken in the future", None, _intake(taken_at="2027-03-01T23:30:00+01:00",
                                          client_id=ICID[2])),
    ("taken before enrolment", None, _intake(taken_at="2027-02-27T09:00:00+01:00",
                                             client_id=ICID[2])),
    ("naive taken_at", None, _intake(taken_at="2027-03-01T19:30:00", client_id=ICID[2])),
    ("unknown field", None, _intake(mood=3, client_id=ICID[2])),
    ("NaN dose", None, '{"drug": "oxycodone", "dose": NaN, "unit": "mg", "route": "oral", '
                       f'"taken_at": "2027-03-01T19:30:00+01:00", "client_id": "{ICID[2]}"}}'),
    ("UTF-16 body", None, json.dumps(_intake(client_id=ICID[2])).encode("utf-16")),
    ("correction", None, _intake(dose=5, corrects="<first>", reason="took 5 mg, not 10",
                                 client_id=str(uuid.uuid4()))),
    ("bad token", None, _intake(client_id=ICID[2]), "not-a-token"),
    ("too late", datetime(2027, 3, 5, 12, tzinfo=UTC), _intake(client_id=ICID[2])),
    ("next day", datetime(2027, 3, 2, 9, tzinfo=UTC),
     _intake(taken_at="2027-03-02T08:00:00Z", client_id=ICID[2])),
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


def _same_answers(api, clients, tokens, path, cases, clock, ids) -> None:
    """Each case sent through both apps, each with its own participant, answers alike.
    A body may name ``<first>``: that app's first stored id (a correction of it)."""
    for label, at, body, *token in cases:
        clock.set(at or clock.now())
        answers = []
        for i, client in enumerate(clients):
            headers = {**api.bearer(token[0] if token else tokens[i]),
                       "X-Request-Id": f"parity-{label.replace(' ', '-')}"}
            if isinstance(body, str | bytes):
                r = client.post(path, data=body, headers=headers,
                                content_type="application/json")
            else:
                first = next(iter(ids[i]), None)
                sent = {k: first if v == "<first>" else v for k, v in body.items()} \
                    if isinstance(body, dict) else body
                r = client.post(path, json=sent, headers=headers)
            answers.append((r.status_code, _normal(r.get_json(), ids[i]),
                            sorted(r.headers.items()), r.get_data().endswith(b"\n")))
        assert answers[0] == answers[1], label


def _count_fast_stores(monkeypatch, name: str) -> list:
    """What the fast path's ``name`` returned (None: declined), call by call."""
    import diary.api.fast_ingest as fast_ingest

    returned, original = [], getattr(fast_ingest, name)
    monkeypatch.setattr(fast_ingest, name,
                        lambda *a, **kw: returned.append(original(*a, **kw)) or returned[-1])
    return returned


def _participants(api, admin, study, *subjects) -> list[str]:
    return [api.activate(api.enrol(admin, study, subject_id=s, site="PAR",
                                   sequence="KP")["activation_code"]) for s in subjects]


def test_the_fast_and_portable_paths_answer_every_case_alike(api, app, portable_app, clock,
                                                              crossover_source, monkeypatch):
    fast = _count_fast_stores(monkeypatch, "record_first_entry")
    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    first, *tokens = _participants(api, admin, study, "S000", "S001", "S002")
    clients = [app.test_client(), portable_app.test_client()]
    # The first entry of a (zone, protocol) pair the process has not met is stored by the
    # portable path, and teaches the fast path the pair.
    r = clients[0].post(ENTRIES, json=_body("2027-03-01", 2, str(uuid.uuid4())),
                        headers=api.bearer(first))
    assert (r.status_code, fast) == (201, [None])
    fast.clear()
    ids: list[dict] = [{}, {}]
    start = clock.now()
    _same_answers(api, clients, tokens, ENTRIES, CASES, clock, ids)
    assert clock.now() > start + timedelta(days=1)
    assert sum(r is not None for r in fast) == 2  # the first entry, the next day's
    with app.extensions["paindiary"].session_factory() as s:
        rows = s.execute(select(DiaryEntry.participant_id, func.count())
                         .where(DiaryEntry.client_id != r.json["client_id"])
                         .group_by(DiaryEntry.participant_id)).all()
        assert len(rows) == 2 and rows[0][1] == rows[1][1] == 3  # first, correction, next day
        report = verify_all(s, public=None)
        assert report.ok, report.problems
        assert s.scalar(select(func.count()).select_from(AuditPending)) == 0
        actions = s.execute(select(AuditRecord.chain, AuditRecord.action)
                            .where(AuditRecord.entity == "diary_entry",
                                   AuditRecord.chain != f"participant:{r.json['id']}")
                            .order_by(AuditRecord.chain, AuditRecord.seq)).all()
    by_chain: dict[str, list[str]] = {}
    for chain, action in actions:
        by_chain.setdefault(chain, []).append(action)
    assert len(by_chain) == 3 and len(set(map(tuple, by_chain.values()))) == 2


def test_enrolment_and_withdrawal_in_the_participants_zone_decide_alike(
        api, app, portable_app, clock, crossover_source, monkeypatch):
    """What the statement checks by instants, against the rules: a participant enrolled
    half an hour into 2 March (Paris) cannot enter 1 March, though that day is still open
    to others; one withdrawn on 2 March can still enter it."""
    fast = _count_fast_stores(monkeypatch, "record_first_entry")
    clock.set(datetime(2027, 3, 1, 9, tzinfo=UTC))
    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    clients = [app.test_client(), portable_app.test_client()]
    teacher, *early = _participants(api, admin, study, "S000", "S001", "S002")
    withdrawn = _participants(api, admin, study, "S003", "S004")
    assert clients[0].post(ENTRIES, json=_body("2027-03-01", 2, str(uuid.uuid4())),
                           headers=api.bearer(teacher)).status_code == 201
    clock.set(datetime(2027, 3, 1, 23, 30, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")  # idle staff tokens lapse
    late = _participants(api, admin, study, "S005", "S006")
    clock.set(datetime(2027, 3, 2, 7, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")
    for subject in ("S003", "S004"):
        assert api.c.post(f"/api/v1/studies/{study}/participants/{subject}/withdrawal",
                          headers=api.bearer(admin), json={"reason": "moved away"}
                          ).status_code == 200
    clock.set(datetime(2027, 3, 2, 8, tzinfo=UTC))
    fast.clear()
    day1, day2 = (_body(d, 4, str(uuid.uuid4()), "2027-03-02T08:00:00Z")
                  for d in ("2027-03-01", "2027-03-02"))
    for tokens, cases in [(early, [("1 March", None, day1)]),
                          (late, [("1 March when enrolled on 2 March", None, day1),
                                  ("2 March when enrolled on 2 March", None, day2)]),
                          (withdrawn, [("2 March when withdrawn on 2 March", None, day2)])]:
        _same_answers(api, clients, tokens, ENTRIES, cases, clock, [{}, {}])
    assert [r is not None for r in fast] == [True, False, True, False]
    with app.extensions["paindiary"].session_factory() as s:
        assert verify_all(s, public=None).ok


def test_the_fast_and_portable_paths_answer_every_intake_alike(api, app, portable_app, clock,
                                                                crossover_source, monkeypatch):
    stored_fast = _count_fast_stores(monkeypatch, "record_new_intake")
    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    tokens = _participants(api, admin, study, "S001", "S002")
    ids: list[dict] = [{}, {}]
    _same_answers(api, [app.test_client(), portable_app.test_client()], tokens, INTAKES,
                  INTAKE_CASES, clock, ids)
    with app.extensions["paindiary"].session_factory() as s:
        rows = s.execute(select(MedicationIntake.participant_id, func.count())
                         .group_by(MedicationIntake.participant_id)).all()
        assert len(rows) == 2 and rows[0][1] == rows[1][1] == 8  # 7 new, 1 correction
        report = verify_all(s, public=None)
        assert report.ok, report.problems
        stored = [s.execute(select(*_COMPARED).where(MedicationIntake.participant_id == pid)
                            .order_by(MedicationIntake.received_at,
                                      MedicationIntake.version)).all()
                  for pid, _ in rows]
        trails = [s.execute(select(AuditRecord.action, AuditRecord.after)
                            .where(AuditRecord.chain == f"participant:{pid}",
                                   AuditRecord.entity == "medication_intake")
                            .order_by(AuditRecord.seq)).all() for pid, _ in rows]
    assert stored[0] == stored[1]
    assert sum(r is not None for r in stored_fast) == 7  # the correction: portable path
    ignore = {"id", "series_id", "supersedes_id"}
    assert [(a, {k: v for k, v in after.items() if k not in ignore}) for a, after in trails[0]] \
        == [(a, {k: v for k, v in after.items() if k not in ignore}) for a, after in trails[1]]


_COMPARED = [c for c in MedicationIntake.__table__.columns
             if c.key not in ("id", "participant_id", "series_id", "supersedes_id")]


CHANGES = {
    "token revoked": "UPDATE api_tokens SET revoked_at = now() WHERE id = %(token)s",
    "participant withdrawn": "UPDATE participants SET withdrawn_at = now() WHERE id = %(pid)s",
    "timezone moved": "UPDATE participants SET timezone = 'Asia/Tokyo' WHERE id = %(pid)s",
    "protocol upgraded": "UPDATE studies SET current_version = current_version + 1 "
                         "WHERE id = (SELECT study_id FROM participants WHERE id = %(pid)s)",
    None: None,
}


@pytest.mark.parametrize("change", list(CHANGES), ids=lambda c: c or "no change")
def test_a_change_between_an_intakes_two_statements_makes_the_fast_path_decline(
        api, app, clock, crossover_source, change):
    """An intake's checks run between its two statements; what they were checked against
    must still hold when the second one stores, or nothing is stored."""
    from diary.api.fast_ingest import _INTAKE_IN
    from diary.api.medications import new_intake
    from diary.security import token_hash
    from diary.services.fast_ingest import Connections, libpq_url, record_new_intake

    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    [token] = _participants(api, admin, study, "S001")
    clock.set(clock.now() + timedelta(hours=1))
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

    intake = new_intake(_INTAKE_IN.load(_intake(taken_at=clock.now().isoformat())), "app")
    wrapped = ChangeAfterLookup()
    try:
        stored = record_new_intake(wrapped, runtime.session_factory, token_hash(token),
                                   intake, now=clock.now(), request_id=None,
                                   device_idle=None)
    finally:
        connections.close_all()
    assert wrapped.calls == 2
    with runtime.session_factory() as s:
        counts = (s.scalar(select(func.count()).select_from(MedicationIntake)),
                  s.scalar(select(func.count()).select_from(AuditPending)))
    assert (stored is not None, counts) == ((True, (1, 1)) if change is None
                                            else (False, (0, 0)))


class _Rows:
    def __init__(self, row):
        self.row = row

    def fetchone(self):
        return self.row
