"""Supervision: statutory clocks of released tasks, and the exchange plumbing tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from exchange.db.migrations import create_exchange_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_exchange_tables()
    op.create_table(
        "supervision_clock",
        sa.Column("clock_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("task_id", sa.String(96), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("limit_working_days", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False, index=True),
        sa.UniqueConstraint("task_id", "attempt", name="uq_supervision_clock_task_attempt"),
    )


def downgrade() -> None:
    op.drop_table("supervision_clock")
