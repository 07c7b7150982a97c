"""participants keep whether their reminder time is their own choice

Revision ID: 0012_participant_reminder_time
Revises: 0011_auth_throttle
Create Date: 2026-12-02 17:40:00.000000

``participants.reminder_time_chosen``: true when the participant (or a coordinator for
them) chose the reminder time; false when it is the study's ``reminders.daily_time``,
which a protocol upgrade then applies (issue 16). Participants enrolled before this
revision: a time that differs from their study's current default was chosen; one equal
to it cannot be told apart from the default and follows it from now on.
"""

import sqlalchemy as sa
import yaml
from alembic import op

revision = "0012_participant_reminder_time"
down_revision = "0011_auth_throttle"
branch_labels = None
depends_on = None

DEFAULT_DAILY_TIME = "20:00"  # diary.protocol.model.Reminders.daily_time


def _hhmm(value) -> str | None:
    """A protocol's daily_time as "HH:MM" (YAML 1.1 reads an unquoted 20:00 as 1200)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value // 60:02d}:{value % 60:02d}"
    if isinstance(value, str) and len(value.strip()) in (4, 5) and ":" in value:
        hours, minutes = value.strip().split(":")
        return f"{int(hours):02d}:{int(minutes):02d}"
    return None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_time_chosen", sa.Boolean(), nullable=False,
                                      server_default=sa.text("false")))
    bind = op.get_bind()
    studies = sa.table("studies", sa.column("id", sa.Integer),
                       sa.column("current_version", sa.Integer))
    versions = sa.table("protocol_versions", sa.column("study_id", sa.Integer),
                        sa.column("version", sa.Integer), sa.column("source", sa.Text))
    participants = sa.table("participants", sa.column("study_id", sa.Integer),
                            sa.column("reminder_time", sa.String),
                            sa.column("reminder_time_chosen", sa.Boolean))
    rows = bind.execute(sa.select(studies.c.id, versions.c.source).join(
        versions, sa.and_(versions.c.study_id == studies.c.id,
                          versions.c.version == studies.c.current_version))).all()
    for study_id, source in rows:
        try:
            reminders = (yaml.safe_load(source) or {}).get("reminders") or {}
            default = _hhmm(reminders.get("daily_time", DEFAULT_DAILY_TIME))
        except (yaml.YAMLError, AttributeError, ValueError):
            default = None
        if default is None:
            continue
        bind.execute(participants.update().where(
            participants.c.study_id == study_id, participants.c.reminder_time != default)
            .values(reminder_time_chosen=True))


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("reminder_time_chosen")
