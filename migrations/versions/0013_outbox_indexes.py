"""outbox: only the indexes a query uses (issue 16)

Revision ID: 0013_outbox_indexes
Revises: 0012_participant_reminder_time
Create Date: 2026-12-02 18:00:00.000000

Every index of ``outbox_messages`` is written on each insert of a scheduler tick (tens of
thousands of rows at the evening reminder), so each kept index names the query it serves:

* primary key ``id``: every state change by message id (dispatch, status callbacks,
  acknowledgements);
* ``uq_outbox_messages_key``: the tick's ``INSERT ... ON CONFLICT (key) DO NOTHING``;
* ``ix_outbox_messages_study_id``: the coordinators' reminder and alert lists
  (``diary.services.reminder_log.list_reminders``: ``WHERE study_id = ...``);
* ``ix_outbox_messages_participant_id``: one participant's messages: the tick's
  cancellation of reminders it no longer plans (``notifications.tick._cancel_unplanned``),
  withdrawal and opt-out (``diary.services.replanning.stop_reminders``) and the reminder
  list filtered by subject;
* ``ix_outbox_messages_pending_due`` (partial, pending): the dispatcher's claim
  (``notifications.dispatch.claim``: ``state = 'pending' AND next_attempt_at <= now``).

Changed:

* dropped ``ix_outbox_messages_pending_participant``: the same queries use
  ``ix_outbox_messages_participant_id`` (a participant has few pending rows among theirs);
* new ``ix_outbox_messages_sending_claimed`` (partial, sending): the lease check
  (``notifications.dispatch.release_stale_claims``: ``state = 'sending' AND claimed_at <
  ...``), run before each claim; rows are inserted pending, so a tick never writes it;
* the unique constraint on ``provider_sid`` becomes a unique index on the rows that have
  one (``recorded_sids``: ``provider_sid IN ...``, and no provider id on two messages): a
  tick's rows have none, so it no longer writes an entry per row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_outbox_indexes"
down_revision = "0012_participant_reminder_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_pending_participant")
        batch_op.drop_constraint("uq_outbox_messages_provider_sid", type_="unique")
        batch_op.create_index(
            "uq_outbox_messages_provider_sid", ["provider_sid"], unique=True,
            sqlite_where=sa.text("provider_sid IS NOT NULL"),
            postgresql_where=sa.text("provider_sid IS NOT NULL"))
        batch_op.create_index(
            "ix_outbox_messages_sending_claimed", ["claimed_at"], unique=False,
            sqlite_where=sa.text("state = 'sending'"),
            postgresql_where=sa.text("state = 'sending'"))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_sending_claimed")
        batch_op.drop_index("uq_outbox_messages_provider_sid")
        batch_op.create_unique_constraint("uq_outbox_messages_provider_sid", ["provider_sid"])
        batch_op.create_index(
            "ix_outbox_messages_pending_participant", ["participant_id"], unique=False,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"))
