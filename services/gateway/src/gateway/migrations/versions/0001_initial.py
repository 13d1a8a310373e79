"""Gateway: the departments' request queues, and the exchange plumbing tables.

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
        "gateway_department",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("next_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "gateway_request",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("envelope", sa.JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt_event_id", sa.String(36), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False),
        sa.Column("delivery_attempts", sa.Integer, nullable=False),
        sa.Column("next_delivery_at", sa.DateTime(timezone=True)),
        sa.Column("last_delivery_error", sa.Text),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("answer", sa.JSON),
        sa.Column("answer_event_id", sa.String(36)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("department", "seq", name="uq_gateway_request_department_seq"),
    )
    op.create_index("ix_gateway_request_delivery", "gateway_request", ["delivery", "next_delivery_at"])
    op.create_table(
        "gateway_notice",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64)),
        sa.Column("notice", sa.JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_gateway_notice_department", "gateway_notice", ["department"])


def downgrade() -> None:
    op.drop_table("gateway_notice")
    op.drop_table("gateway_request")
    op.drop_table("gateway_department")
