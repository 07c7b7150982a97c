"""who gave each diary entry and questionnaire response: the participant or staff

Revision ID: 0006_entry_source
Revises: 0005
Create Date: 2026-12-02 14:00:00.000000

Coordinators enter data on a participant's behalf (a clinician-administered item, a
paper diary, a call; issue 13). ``entry_source`` says which; every row stored before
this revision was the participant's own, hence the server default.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_entry_source"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("diary_entries", "questionnaire_responses")
CHECK = "entry_source IN ('participant', 'clinician', 'paper', 'phone')"
STAFF_ENTERED = "entry_source <> 'participant'"


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("entry_source", sa.String(length=16),
                                          server_default="participant", nullable=False))
            batch_op.create_check_constraint(op.f(f"ck_{table}_entry_source"), CHECK)
    # Only the (few) staff-entered diary entries: the export reads them per study.
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.create_index("ix_diary_entries_staff_entered", ["participant_id"],
                              unique=False, sqlite_where=sa.text(STAFF_ENTERED),
                              postgresql_where=sa.text(STAFF_ENTERED))


def downgrade() -> None:
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_diary_entries_staff_entered",
                            sqlite_where=sa.text(STAFF_ENTERED),
                            postgresql_where=sa.text(STAFF_ENTERED))
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_entry_source"), type_="check")
            batch_op.drop_column("entry_source")
