"""audit_pending: unchained audit records of the PostgreSQL ingest fast path

Revision ID: 0016_audit_pending
Revises: 0015_export_jobs
Create Date: 2026-12-03 07:45:00

Issue 20: the diary fast path writes its audit record here in the same statement as the
entry; the sealer chains it into ``audit_records`` later (diary/audit_pending.py).
Self-contained: one new table.
"""
import sqlalchemy as sa
from alembic import op

import diary.db.types

revision = '0016_audit_pending'
down_revision = '0015_export_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_pending',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=80), nullable=False),
    sa.Column('at', diary.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_pending'))
    )
    op.create_index('ix_audit_pending_chain_id', 'audit_pending', ['chain', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_pending_chain_id', table_name='audit_pending')
    op.drop_table('audit_pending')
