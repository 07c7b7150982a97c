"""covering index of current diary entries for the endpoint export

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00.000000

The export reads (participant, date, score) of every current entry of a study. With this
partial index both databases answer from the index alone, in participant order: the
10,000-participant benchmark's entry query went from 6.6 s to 1.0 s on SQLite and from
1.6 s to 0.7 s on PostgreSQL (bench/endpoints.py, issue 3).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_diary_entries_current_scores",
            ["participant_id", "diary_date", "score"],
            unique=False,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )


def downgrade() -> None:
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_diary_entries_current_scores",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
