"""audit_pending: the database refuses to change a pending audit record

Revision ID: 0017_audit_pending_guard
Revises: 0016_audit_pending
Create Date: 2026-12-03 17:20:00

Until the sealer chains it, a fast-path audit record is protected by the database like
the chained trail is: no UPDATE (and on PostgreSQL no TRUNCATE). DELETE stays allowed,
since chaining moves each record into ``audit_records``; a record deleted otherwise
leaves its entry without an audit record, which ``audit verify`` names.
"""
from alembic import op

revision = '0017_audit_pending_guard'
down_revision = '0016_audit_pending'
branch_labels = None
depends_on = None

PG_GUARD = """
CREATE FUNCTION audit_pending_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_pending is append-only until chained: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
  FOR EACH ROW EXECUTE FUNCTION audit_pending_unchanged();
CREATE TRIGGER audit_pending_no_truncate BEFORE TRUNCATE ON audit_pending
  FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_unchanged();
"""
SQLITE_GUARD = (
    "CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending "
    "BEGIN SELECT RAISE(ABORT, 'audit_pending is append-only until chained: UPDATE "
    "refused'); END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GUARD)
    else:
        op.execute(SQLITE_GUARD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_pending_no_truncate ON audit_pending")
        op.execute("DROP TRIGGER audit_pending_no_update ON audit_pending")
        op.execute("DROP FUNCTION audit_pending_unchanged()")
    else:
        op.execute("DROP TRIGGER audit_pending_no_update")
