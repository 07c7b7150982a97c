"""a patch intake stores its daily MME next to the figure for the whole wear

Revision ID: 0009_patch_daily_mme
Revises: 0008
Create Date: 2026-12-02 14:45:00.000000

``medication_intakes.mme_daily``: a transdermal patch's MME per full wear day (rate x
factor), so no one reads 180 (a 72-hour 25 mcg/h fentanyl patch over its wear) where
the daily figure is 60 (issue 13). NULL for a dose taken at once. Patches stored before
this revision are filled from their own figures: the total is rate x factor x
worn_hours / 24 (diary.medication.mme), so the daily figure is total x 24 / worn_hours.
"""

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0009_patch_daily_mme"
down_revision = "0008"
branch_labels = None
depends_on = None


def _plain(x: Decimal) -> str:
    """As diary.medication.vocabulary.plain: no trailing zeros, never an exponent."""
    n = x.normalize()
    return f"{n.quantize(Decimal(1)) if n == n.to_integral_value() else n:f}"


def upgrade() -> None:
    with op.batch_alter_table("medication_intakes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mme_daily", sa.String(length=32), nullable=True))
    intakes = sa.table("medication_intakes", sa.column("id", sa.String),
                       sa.column("mme", sa.String), sa.column("worn_hours", sa.Integer),
                       sa.column("mme_daily", sa.String))
    bind = op.get_bind()
    # Only patches have worn_hours; an opioid without a factor keeps NULL.
    rows = bind.execute(sa.select(intakes.c.id, intakes.c.mme, intakes.c.worn_hours)
                        .where(intakes.c.worn_hours.is_not(None),
                               intakes.c.mme.is_not(None))).all()
    for r in rows:
        daily = _plain(Decimal(r.mme) * 24 / r.worn_hours)
        bind.execute(intakes.update().where(intakes.c.id == r.id).values(mme_daily=daily))


def downgrade() -> None:
    with op.batch_alter_table("medication_intakes", schema=None) as batch_op:
        batch_op.drop_column("mme_daily")
