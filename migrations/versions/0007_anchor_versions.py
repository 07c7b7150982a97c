"""anchor events can be planned, confirmed, rescheduled, cancelled and corrected

Revision ID: 0007_anchor_versions
Revises: 0006_entry_source
Create Date: 2026-12-02 13:40:00.000000

``anchor_events`` gains the current version's status, whether only a date is planned,
and the version number; ``anchor_event_versions`` keeps every version. Events recorded
before this revision become confirmed, each with a version 1 whose id is the event's own
(unique, and traceable to the row it copies).
"""

import sqlalchemy as sa
from alembic import op

import diary.db.types

revision = "0007_anchor_versions"
down_revision = "0006_entry_source"
branch_labels = None
depends_on = None

STATUSES = "status IN ('planned', 'confirmed', 'cancelled')"
ACTIONS = "action IN ('record', 'plan', 'confirm', 'reschedule', 'cancel', 'correct')"


def upgrade() -> None:
    # Existing rows are confirmed version 1; the defaults fill them, then go (the models
    # set these values themselves).
    with op.batch_alter_table("anchor_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False,
                                      server_default="confirmed"))
        batch_op.add_column(sa.Column("date_only", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="1"))
    with op.batch_alter_table("anchor_events", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("date_only", server_default=None)
        batch_op.alter_column("version", server_default=None)
        batch_op.create_check_constraint("status", STATUSES)
        batch_op.create_check_constraint("version_positive", "version >= 1")

    versions = op.create_table(
        "anchor_event_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("period", sa.Integer(), nullable=True),
        sa.Column("occurred_at", diary.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("date_only", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", diary.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(ACTIONS, name=op.f("ck_anchor_event_versions_action")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_anchor_event_versions_status")),
        sa.CheckConstraint("version >= 1",
                           name=op.f("ck_anchor_event_versions_version_positive")),
        sa.ForeignKeyConstraint(["event_id"], ["anchor_events.id"],
                                name=op.f("fk_anchor_event_versions_event_id_anchor_events")),
        sa.ForeignKeyConstraint(["recorded_by"], ["accounts.id"],
                                name=op.f("fk_anchor_event_versions_recorded_by_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anchor_event_versions")),
        sa.UniqueConstraint("event_id", "version",
                            name=op.f("uq_anchor_event_versions_event_id_version")),
    )
    events = sa.table("anchor_events", sa.column("id"), sa.column("period"),
                      sa.column("occurred_at"), sa.column("recorded_at"),
                      sa.column("recorded_by"))
    op.execute(versions.insert().from_select(
        ["id", "event_id", "version", "action", "status", "period", "occurred_at",
         "date_only", "reason", "recorded_at", "recorded_by"],
        sa.select(events.c.id, events.c.id, sa.literal(1), sa.literal("record"),
                  sa.literal("confirmed"), events.c.period, events.c.occurred_at,
                  sa.false(), sa.null(), events.c.recorded_at, events.c.recorded_by)))


def downgrade() -> None:
    op.drop_table("anchor_event_versions")
    with op.batch_alter_table("anchor_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_anchor_events_version_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_anchor_events_status"), type_="check")
        batch_op.drop_column("version")
        batch_op.drop_column("date_only")
        batch_op.drop_column("status")
