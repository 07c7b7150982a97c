"""auth throttle, disabled accounts, device token last use

Revision ID: 0011_auth_throttle
Revises: 0010_fhir_intake
Create Date: 2026-12-02 17:30:00.000000

Issue 17: failed sign-ins and activation attempts are counted in ``auth_throttle`` per
client, per account and per code, with a growing wait (diary.services.throttle); the
per-account ``failed_logins``/``locked_until`` (a fixed 15-minute lock anyone could
renew) and the per-code ``failed_attempts`` (a permanent lock after 5 tries) are dropped.
``accounts.disabled_at`` and ``password_changed_at``; ``api_tokens.last_used_at`` for
the idle expiry of device tokens (existing tokens count from their creation).
"""

import sqlalchemy as sa
from alembic import op

import diary.db.types

revision = "0011_auth_throttle"
down_revision = "0010_fhir_intake"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_throttle",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", diary.db.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column("blocked_until", diary.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttle")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", diary.db.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("password_changed_at",
                                      diary.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_at", diary.db.types.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table("activation_codes", schema=None) as batch_op:
        batch_op.drop_column("failed_attempts")


def downgrade() -> None:
    with op.batch_alter_table("activation_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_attempts", sa.Integer(), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", diary.db.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("disabled_at")
    op.drop_table("auth_throttle")
