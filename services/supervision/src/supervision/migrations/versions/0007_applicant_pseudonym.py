"""Supervision: a case's applicant is intake's pseudonym (64 hex digits), no longer an ID number (数据最小化).

Rows written before hold ID numbers: they are emptied, so no ID number stays behind (the repeat check, SUP-05,
then starts afresh for the cases already open).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supervision_case") as batch:
        batch.alter_column("applicant_id", type_=sa.String(64), existing_type=sa.String(18), existing_nullable=False)
    op.execute("update supervision_case set applicant_id = ''")


def downgrade() -> None:
    op.execute("update supervision_case set applicant_id = ''")
    with op.batch_alter_table("supervision_case") as batch:
        batch.alter_column("applicant_id", type_=sa.String(18), existing_type=sa.String(64), existing_nullable=False)
