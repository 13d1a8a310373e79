"""Intake: a case keeps the digest of the request body its Idempotency-Key came with, so the same key with
another body is refused (422) instead of answered with the first case.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cases accepted before keep NULL: their body was never recorded, so a retry with their key still gets
    # the case back, as it did (nothing to compare it with).
    with op.batch_alter_table("intake_case") as batch:
        batch.add_column(sa.Column("request_digest", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("intake_case") as batch:
        batch.drop_column("request_digest")
