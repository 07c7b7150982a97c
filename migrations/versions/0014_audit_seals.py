"""signed seals of the audit chain heads

Revision ID: 0014_audit_seals
Revises: 0013_outbox_indexes
Create Date: 2026-12-02 17:30:00.000000

``audit_seals``: a convenience copy of each signed checkpoint (the archived
``audit-seals.jsonl`` and the public key are what verification trusts);
``audit_seal_marks``: the seq of each chain the last seal covered;
``audit_records.signature``: an electronic signature recorded with a record (issue 17).
"""

import sqlalchemy as sa
from alembic import op

import diary.db.types

revision = "0014_audit_seals"
down_revision = "0013_outbox_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An electronic signature recorded with an audit record (signer, time, meaning).
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.JSON(), nullable=True))
    op.create_table(
        "audit_seals",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sealed_at", diary.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_audit_seals")),
    )
    op.create_table(
        "audit_seal_marks",
        sa.Column("chain", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_seal_marks")),
    )


def downgrade() -> None:
    op.drop_table("audit_seal_marks")
    op.drop_table("audit_seals")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops the column in place; batch mode would copy the table and lose the
        # append-only triggers that 0001's downgrade drops.
        op.execute("ALTER TABLE audit_records DROP COLUMN signature")
    else:
        op.drop_column("audit_records", "signature")
