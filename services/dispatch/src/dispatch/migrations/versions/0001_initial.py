"""Dispatch: cases, department tasks, and the exchange plumbing tables.

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
        "dispatch_case",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("bundle_code", sa.String(32), nullable=False),
        sa.Column("applicant", sa.JSON, nullable=False),
        sa.Column("form", sa.JSON, nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dispatch_task",
        sa.Column("task_id", sa.String(96), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("item_name_zh", sa.String(255), nullable=False),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("requires", sa.JSON, nullable=False),
        sa.Column("time_limit_days", sa.Integer, nullable=False),
        sa.Column("yields_licence", sa.Boolean, nullable=False),
        sa.Column("licence_type", sa.String(64)),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String(36)),
        sa.Column("document_no", sa.String(128)),
        sa.Column("reason_zh", sa.String(500)),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        sa.Column("concluded_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("dispatch_task")
    op.drop_table("dispatch_case")
