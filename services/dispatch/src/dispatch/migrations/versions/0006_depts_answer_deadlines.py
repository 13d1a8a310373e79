"""Dispatch: department requests and their answer deadlines (应答时限): sends, receipt, answer, parking.

Requests sent before this revision have no row: they keep the old behaviour (no re-send).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatch_request",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(96), nullable=False),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sends", sa.Integer, nullable=False),
        sa.Column("total_sends", sa.Integer, nullable=False),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("parked_at", sa.DateTime(timezone=True)),
        sa.Column("parkings", sa.Integer, nullable=False),
    )
    op.create_index("ix_dispatch_request_case_id", "dispatch_request", ["case_id"])
    op.create_index("ix_dispatch_request_open", "dispatch_request", ["state", "last_sent_at"])


def downgrade() -> None:
    op.drop_table("dispatch_request")
