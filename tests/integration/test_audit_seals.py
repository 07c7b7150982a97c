"""Tamper evidence that survives the database owner (issue 17): one test per attack.

Each attack is made as someone with full database access would make it, past the
append-only triggers (``SET session_replication_role = replica`` on PostgreSQL, the
triggers dropped on SQLite); ``audit verify`` must name it and exit 1.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from diary import audit
from diary.audit_keys import public_pem
from diary.db.audit_models import AuditRecord
from diary.db.models import DiaryEntry
from diary.safety.checklist import DEFAULT_SYMPTOMS
from notifications.scheduler import seal_when_due

RECORDS = AuditRecord.__table__


@pytest.fixture
def trail(api, crossover_source):
    """A participant with an anchor event and a corrected diary entry, sealed once."""
    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    code = api.enrol(admin, study, subject_id="S1", site="PAR", sequence="KP")
    token = api.activate(code["activation_code"])
    r = api.event(admin, study, "S1", type="infusion", period=1,
                  occurred_at="2027-02-27T09:00:00+00:00")
    assert r.status_code == 201, r.json
    assert api.entry(token, "2027-03-01", 5).status_code == 201
    assert api.entry(token, "2027-03-01", 4, reason="typo").status_code == 201
    assert _cli(api.app, "audit", "seal").exit_code == 0
    return api


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _verify(app, *extra):
    return _cli(app, "audit", "verify", "--seals", app.config["AUDIT_SEALS_FILE"], *extra)


def _tampering(app):
    """A connection past the guards, as the database owner or a superuser has."""
    engine = app.extensions["paindiary"].engine
    conn = engine.connect()
    trans = conn.begin()
    if engine.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_delete"))
    return conn, trans


def _current_entry(app) -> DiaryEntry:
    with app.extensions["paindiary"].session_factory() as s:
        return s.scalars(select(DiaryEntry).where(DiaryEntry.is_current.is_(True))).one()


def _entry_record(conn, entry_id: str):
    return conn.execute(select(RECORDS).where(RECORDS.c.entity == "diary_entry",
                                              RECORDS.c.entity_id == entry_id)).one()


def _rehash_from(conn, chain: str, seq: int) -> None:
    """Recompute every hash of ``chain`` from ``seq`` on and move its head: the chain is
    consistent again, as after a careful rewrite."""
    rows = conn.execute(select(RECORDS).where(RECORDS.c.chain == chain)
                        .order_by(RECORDS.c.seq)).all()
    prev = audit.GENESIS
    for row in rows:
        if row.seq >= seq:
            fields = {k: getattr(row, k) for k in (
                "chain", "seq", "at", "actor", "action", "entity", "entity_id", "before",
                "after", "reason", "request_id")}
            fields["at"] = fields["at"].isoformat()
            new = audit.record_hash({**fields, "prev_hash": prev})
            conn.execute(RECORDS.update().where(RECORDS.c.id == row.id)
                         .values(prev_hash=prev, hash=new))
            prev = new
        else:
            prev = row.hash
    conn.execute(text("UPDATE audit_chain_heads SET hash = :h WHERE chain = :c"),
                 {"h": prev, "c": chain})


def _problems(result) -> str:
    assert result.exit_code == 1, result.output
    return result.output


def test_an_intact_sealed_trail_verifies_against_the_archived_seals(trail, app):
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output
    assert "1 seals" in result.output


def test_the_seal_key_is_a_private_file_and_the_seal_a_signed_line(trail, app):
    key = app.config["AUDIT_SEAL_KEY_FILE"]
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    lines = Path(app.config["AUDIT_SEALS_FILE"]).read_text().splitlines()
    assert len(lines) == 1
    seal = json.loads(lines[0])
    chains = seal["payload"]["heads"]
    assert any(c.startswith("participant:") for c in chains)
    assert seal["payload"]["previous"] == "0" * 64 and seal["signature"]


def test_an_edited_audit_record_is_named(trail, app):
    entry = _current_entry(app)
    conn, trans = _tampering(app)
    victim = _entry_record(conn, entry.id)
    conn.execute(RECORDS.update().where(RECORDS.c.id == victim.id)
                 .values(after={**victim.after, "score": 9}))
    trans.commit()
    conn.close()
    assert f"record {victim.id}: content does not match its hash" in _problems(_verify(app))


def test_a_rehashed_chain_is_caught_by_the_seal(trail, app):
    entry = _current_entry(app)
    conn, trans = _tampering(app)
    victim = _entry_record(conn, entry.id)
    conn.execute(RECORDS.update().where(RECORDS.c.id == victim.id)
                 .values(after={**victim.after, "score": 9}))
    conn.execute(text("UPDATE diary_entries SET score = 9 WHERE id = :id"), {"id": entry.id})
    _rehash_from(conn, victim.chain, victim.seq)
    trans.commit()
    conn.close()
    with app.extensions["paindiary"].session_factory() as s:
        # The rewrite is consistent: without the seal the chain walk finds nothing.
        assert audit.verify(s).ok
    output = _problems(_verify(app))
    assert f"record {victim.id}: chain {victim.chain} seq {victim.seq} differs from seal 1" \
        in output
    assert "re-hashed" in output


def test_a_score_edited_in_the_table_is_named(trail, app):
    entry = _current_entry(app)
    conn, trans = _tampering(app)
    conn.execute(text("UPDATE diary_entries SET score = 9 WHERE id = :id"), {"id": entry.id})
    trans.commit()
    conn.close()
    output = _problems(_verify(app))
    assert f"diary_entry {entry.id} (subject S1, study mini-crossover): score is 9 but the " \
           "audit trail says 4" in output


def test_a_deleted_entry_is_named(trail, app):
    entry = _current_entry(app)
    conn, trans = _tampering(app)
    conn.execute(text("DELETE FROM diary_entries WHERE id = :id"), {"id": entry.id})
    trans.commit()
    conn.close()
    output = _problems(_verify(app))
    assert f"diary_entry {entry.id}: in the audit trail but not in its table" in output


def test_an_inserted_entry_is_named(trail, app):
    entry = _current_entry(app)
    forged = str(uuid.uuid4())
    conn, trans = _tampering(app)
    conn.execute(DiaryEntry.__table__.insert().values(
        id=forged, participant_id=entry.participant_id, diary_date=entry.diary_date
        - timedelta(days=1), score=2, client_id="forged", received_at=entry.received_at,
        version=1, is_current=True, channel="app", entry_source="participant"))
    trans.commit()
    conn.close()
    assert f"diary_entry {forged} (subject S1, study mini-crossover): has no audit record" \
        in _problems(_verify(app))


@pytest.mark.parametrize("statement, named", [
    ("UPDATE anchor_events SET occurred_at = occurred_at - INTERVAL '1 day'", "occurred_at"),
    ("UPDATE participants SET site = 'LYO'", "site is 'LYO'"),
    ("UPDATE participants SET withdrawn_at = received", "withdrawn_at"),
])
def test_other_clinical_tables_are_cross_checked(trail, app, statement, named):
    engine = app.extensions["paindiary"].engine
    if "INTERVAL" in statement and engine.dialect.name == "sqlite":
        statement = "UPDATE anchor_events SET occurred_at = '2027-02-20 09:00:00.000000'"
    statement = statement.replace("received", "'2027-03-01 10:00:00.000000'"
                                  if engine.dialect.name == "sqlite"
                                  else "'2027-03-01 10:00:00+00'")
    conn, trans = _tampering(app)
    conn.execute(text(statement))
    trans.commit()
    conn.close()
    assert named in _problems(_verify(app))


_SIDE_EFFECTS = {"diary_date": "2027-03-01", "device_time": "2027-03-01T18:00:00+01:00",
                 "answers": {s.code: int(s.code == "nausea") for s in DEFAULT_SYMPTOMS}}


@pytest.mark.parametrize("table, path, body, statement, named", [
    ("questionnaire_responses", "/api/v1/me/questionnaire-responses",
     {"instrument": "pgic", "answers": {"pgic": 2},
      "device_time": "2027-03-01T18:00:00+01:00"},
     "UPDATE questionnaire_responses SET answers = '{\"pgic\": 6}'", "answers is"),
    ("medication_intakes", "/api/v1/me/medications",
     {"drug": "paracetamol", "dose": "1", "unit": "g", "route": "oral",
      "taken_at": "2027-03-01T18:00:00+01:00"},
     "UPDATE medication_intakes SET dose = '4000'",
     "dose is '4000' but the audit trail says '1000'"),  # stored in mg
    ("medication_intakes", "/api/v1/me/medications",
     {"drug": "paracetamol", "dose": "1", "unit": "g", "route": "oral",
      "taken_at": "2027-03-01T18:00:00+01:00"},
     "DELETE FROM medication_intakes", "in the audit trail but not in its table"),
    ("side_effect_reports", "/api/v1/me/side-effects", _SIDE_EFFECTS,
     "UPDATE side_effect_reports SET answers = '{\"nausea\": 0}'", "answers is"),
    ("side_effect_reports", "/api/v1/me/side-effects", _SIDE_EFFECTS,
     "DELETE FROM side_effect_reports", "in the audit trail but not in its table"),
    ("adverse_events", "/api/v1/studies/mini-crossover/participants/S1/adverse-events",
     {"term": "Headache", "onset": "2027-03-01", "severity": "mild", "serious": False,
      "relatedness": "possible"},
     "UPDATE adverse_events SET serious = true", "serious is True"),
])
def test_participant_tables_are_cross_checked(trail, app, table, path, body, statement,
                                              named):
    token = (trail.login("admin@site.org", "correct horse battery") if table == "adverse_events"
             else trail.activate(_new_code(trail)))
    r = trail.c.post(path, headers=trail.bearer(token),
                     json={**body, "client_id": str(uuid.uuid4())})
    assert r.status_code == 201, r.json
    assert _verify(app).exit_code == 0
    conn, trans = _tampering(app)
    conn.execute(text(statement))
    trans.commit()
    conn.close()
    assert named in _problems(_verify(app))


def _new_code(api) -> str:
    admin = api.login("admin@site.org", "correct horse battery")
    r = api.c.post("/api/v1/studies/mini-crossover/participants/S1/activation-code",
                   headers=api.bearer(admin))
    assert r.status_code == 201, r.json
    return r.json["activation_code"]


def test_a_forged_seal_is_refused(trail, app):
    path = Path(app.config["AUDIT_SEALS_FILE"])
    seal = json.loads(path.read_text())
    chain = next(iter(seal["payload"]["heads"]))
    seal["payload"]["heads"][chain][1] = "f" * 64
    path.write_text(json.dumps(seal) + "\n")
    assert "seal 1: signature does not match" in _problems(_verify(app))


def test_a_seal_removed_from_the_archive_is_named(trail, app, clock):
    clock.advance(timedelta(hours=1))
    assert _cli(app, "audit", "seal").exit_code == 0
    assert _cli(app, "audit", "seal").exit_code == 0
    path = Path(app.config["AUDIT_SEALS_FILE"])
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    path.write_text(lines[0] + "\n" + lines[2] + "\n")
    assert "seal 3: does not follow seal 1" in _problems(_verify(app))


def test_seals_signed_by_another_key_are_refused(trail, app, tmp_path):
    other = tmp_path / "other.pub"
    other.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    assert "seal 1: signed by another key" in _problems(_verify(app, "--public-key",
                                                                 str(other)))


def test_the_public_key_alone_verifies(trail, app, tmp_path):
    """A verifier at another site has the public key and the archive, not the key."""
    public = app.config["AUDIT_SEAL_KEY_FILE"].removesuffix(".key") + ".pub"
    moved = tmp_path / "moved.key"
    os.replace(app.config["AUDIT_SEAL_KEY_FILE"], moved)
    result = _verify(app, "--public-key", public)
    assert result.exit_code == 0, result.output
    assert "1 seals" in result.output


def test_the_scheduler_tick_seals_when_the_interval_has_passed(trail, app, clock):
    runtime = app.extensions["paindiary"]
    assert seal_when_due(runtime) is None  # the fixture sealed a moment ago
    clock.advance(timedelta(seconds=app.config["AUDIT_SEAL_INTERVAL"]))
    assert seal_when_due(runtime) == 2
    assert seal_when_due(runtime) is None
    assert len(Path(app.config["AUDIT_SEALS_FILE"]).read_text().splitlines()) == 2


def test_the_public_key_command_prints_the_key_the_seals_verify_with(trail, app, tmp_path):
    result = _cli(app, "audit", "public-key")
    assert result.exit_code == 0, result.output
    public = tmp_path / "printed.pub"
    public.write_text(result.stdout)
    result = _verify(app, "--public-key", str(public))
    assert result.exit_code == 0, result.output


def test_sealing_again_appends_only_the_new_seal(trail, app, clock):
    clock.advance(timedelta(minutes=5))
    assert _cli(app, "audit", "seal").exit_code == 0
    lines = Path(app.config["AUDIT_SEALS_FILE"]).read_text().splitlines()
    assert [json.loads(line)["payload"]["number"] for line in lines] == [1, 2]
    assert json.loads(lines[1])["payload"]["heads"] == {}  # nothing moved since seal 1
    assert _verify(app).exit_code == 0


def test_reviving_a_corrected_version_is_named(trail, app):
    """Swapping is_current brings back the old score (5) without changing any value."""
    current = _current_entry(app)
    conn, trans = _tampering(app)
    conn.execute(text("UPDATE diary_entries SET is_current = false WHERE id = :id"),
                 {"id": current.id})
    conn.execute(text("UPDATE diary_entries SET is_current = true WHERE id = :id"),
                 {"id": current.supersedes_id})
    trans.commit()
    conn.close()
    output = _problems(_verify(app))
    assert f"diary_entry {current.supersedes_id} (subject S1, study mini-crossover): " \
           "is_current is True but the audit trail says it was replaced" in output
    assert f"diary_entry {current.id} (subject S1, study mini-crossover): is_current is " \
           "False but the audit trail says it is the current version" in output


def test_a_damaged_checkpoint_line_is_named(trail, app):
    path = Path(app.config["AUDIT_SEALS_FILE"])
    path.write_text(path.read_text() + "{not json\n")
    assert "checkpoint line 2: not a seal (damaged)" in _problems(_verify(app))


def test_a_chain_removed_with_its_head_is_caught_by_the_seal(trail, app):
    chain = "participant:" + _current_entry(app).participant_id
    conn, trans = _tampering(app)
    conn.execute(text("DELETE FROM audit_records WHERE chain = :c"), {"c": chain})
    conn.execute(text("DELETE FROM audit_chain_heads WHERE chain = :c"), {"c": chain})
    trans.commit()
    conn.close()
    with app.extensions["paindiary"].session_factory() as s:
        assert audit.verify(s).ok  # nothing left to walk: only the seal remembers it
    assert f"chain {chain} seq 6 was sealed by seal 1 but is gone" in _problems(_verify(app))
