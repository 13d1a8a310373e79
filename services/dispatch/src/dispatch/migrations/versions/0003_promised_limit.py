"""Dispatch: each task keeps its item's promised limit (承诺时限), the share of the case's R-05 limit its clock
runs on. Empty for tasks created before: their promise is the statutory limit.

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
    with op.batch_alter_table("dispatch_task") as batch:
        batch.add_column(sa.Column("promised_limit_days", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_task") as batch:
        batch.drop_column("promised_limit_days")
