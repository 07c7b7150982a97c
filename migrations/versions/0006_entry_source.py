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


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("entry_source", sa.String(length=16),
                                          server_default="participant", nullable=False))
            batch_op.create_check_constraint(op.f(f"ck_{table}_entry_source"), CHECK)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_entry_source"), type_="check")
            batch_op.drop_column("entry_source")
