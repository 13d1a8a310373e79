"""Dispatch: preliminary review (预审) rounds, materials and fast track.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dispatch_case") as batch:
        batch.add_column(sa.Column("phase", sa.String(32), nullable=False, server_default="handling"))
        batch.add_column(sa.Column("review_round", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("fast_track", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("dispatch_task") as batch:
        batch.add_column(sa.Column("materials", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("review_status", sa.String(16), nullable=False, server_default="passed"))
        batch.add_column(sa.Column("review_request_id", sa.String(36)))
        batch.add_column(sa.Column("deficiencies", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_task") as batch:
        for column in ("deficiencies", "review_request_id", "review_status", "materials"):
            batch.drop_column(column)
    with op.batch_alter_table("dispatch_case") as batch:
        for column in ("fast_track", "review_round", "phase"):
            batch.drop_column(column)
