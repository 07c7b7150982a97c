"""The audit trail is chained, verifiable, and (on PostgreSQL) append-only in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from diary.db.audit_models import AuditRecord


@pytest.fixture
def trail(api, crossover_source):
    """A study, two participants and a few entries: records in several chains."""
    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    for subject in ("S1", "S2"):
        code = api.enrol(admin, study, subject_id=subject, site="PAR",
                         sequence="KP")["activation_code"]
        token = api.activate(code)
        assert api.entry(token, "2027-03-01", 5).status_code == 201
        assert api.entry(token, "2027-03-01", 4, reason="typo").status_code == 201
    return api


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _tamper(app, statement: str, **params) -> None:
    """Change the trail as someone with raw database access would, past the guards."""
    engine = app.extensions["paindiary"].engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_delete"))
        conn.execute(text(statement), params)


def _record(app, action: str) -> AuditRecord:
    with app.extensions["paindiary"].session_factory() as s:
        return s.scalars(select(AuditRecord).where(AuditRecord.action == action)
                         .order_by(AuditRecord.id)).first()


def test_every_write_is_recorded_with_actor_values_and_reason(trail, app):
    correction = _record(app, "diary_entry.correct")
    assert correction.actor.startswith("participant:")
    assert (correction.before["score"], correction.after["score"]) == (5, 4)
    assert correction.reason == "typo"
    assert correction.request_id
    actions = {"account.create", "study.create", "protocol.load", "participant.enrol",
               "activation_code.issue", "participant.activate", "diary_entry.create"}
    with app.extensions["paindiary"].session_factory() as s:
        assert actions <= set(s.scalars(select(AuditRecord.action)))


def test_an_intact_trail_verifies(trail, app):
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_verification_names_an_edited_record(trail, app):
    victim = _record(app, "diary_entry.create")
    _tamper(app, "UPDATE audit_records SET reason = 'nothing to see' WHERE id = :id",
            id=victim.id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"record {victim.id}: content does not match its hash" in result.output


def test_verification_notices_a_removed_record(trail, app):
    victim = _record(app, "participant.activate")
    _tamper(app, "DELETE FROM audit_records WHERE id = :id", id=victim.id)
    result = _verify(app)
    assert result.exit_code == 1
    assert "a record was removed" in result.output


def test_verification_notices_records_cut_from_the_end_of_a_chain(trail, app):
    last = _record(app, "diary_entry.correct")
    _tamper(app, "DELETE FROM audit_records WHERE chain = :chain AND seq >= :seq",
            chain=last.chain, seq=last.seq)
    result = _verify(app)
    assert result.exit_code == 1
    assert "removed from its end" in result.output


@pytest.mark.parametrize("statement", [
    "UPDATE audit_records SET reason = 'edited'",
    "DELETE FROM audit_records",
])
def test_the_database_refuses_to_change_audit_records(trail, app, statement):
    engine = app.extensions["paindiary"].engine
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text(statement))


def test_the_database_refuses_to_change_a_pending_audit_record(trail, app):
    """Before the sealer chains it, a fast-path record is as protected as the trail."""
    engine = app.extensions["paindiary"].engine
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_pending (chain, at, actor, action, entity, "
                          "entity_id) VALUES ('participant:x', '2027-03-01 10:00:00', "
                          "'participant:x', 'diary_entry.create', 'diary_entry', 'e1')"))
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_pending SET entity_id = 'e2'"))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE audit_pending"))
    with engine.begin() as conn:  # chaining deletes what it moves
        conn.execute(text("DELETE FROM audit_pending"))


@pytest.mark.postgres
def test_postgresql_refuses_to_truncate_the_audit_trail(trail, app):
    engine = app.extensions["paindiary"].engine
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_records"))
