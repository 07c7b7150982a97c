"""questionnaire responses keep the FHIR intake's partial flag and warnings

Revision ID: 0010_fhir_intake
Revises: 0009_patch_daily_mme
Create Date: 2026-12-02 17:30:00.000000

``questionnaire_responses.partial``: an in-progress FHIR QuestionnaireResponse kept because
the protocol says so (``fhir.in_progress: partial``); false for every earlier response.
``questionnaire_responses.warnings``: problems that did not refuse a response, such as a
form tool's calculated total that differs from our score (issue 18); NULL when none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_fhir_intake"
down_revision = "0009_patch_daily_mme"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partial", sa.Boolean(), nullable=False,
                                      server_default=sa.text("false")))
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_responses", schema=None) as batch_op:
        batch_op.drop_column("warnings")
        batch_op.drop_column("partial")
