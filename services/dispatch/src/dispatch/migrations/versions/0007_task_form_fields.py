"""Dispatch: each task keeps the form fields its item takes, so a department's request carries those fields of
the one form and no others (数据最小化). Empty for tasks created before: their requests carry the whole form.

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
    with op.batch_alter_table("dispatch_task") as batch:
        batch.add_column(sa.Column("form_fields", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_task") as batch:
        batch.drop_column("form_fields")
