"""Supervision: an item clock runs on the item's promised limit (承诺时限, its share of the case's R-05 limit)
and records the statutory limit (法定时限) beside it. Empty for the clocks already there (they ran on the
statutory limit) and for case and rectification clocks.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supervision_clock") as batch:
        batch.add_column(sa.Column("statutory_working_days", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("supervision_clock") as batch:
        batch.drop_column("statutory_working_days")
