"""Intake: cases, their timeline, and the exchange plumbing tables.

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
        "intake_case",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("idempotency_key", sa.String(128), unique=True),
        sa.Column("bundle_code", sa.String(32), nullable=False),
        sa.Column("catalogue_version", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("applicant", sa.JSON, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("delivery_method", sa.String(16), nullable=False),
        sa.Column("delivery_address", sa.String(500)),
        sa.Column("form", sa.JSON, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("correction_round", sa.Integer, nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("notice_zh", sa.Text),
        sa.Column("notice_en", sa.Text),
    )
    op.create_table(
        "intake_timeline",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("item_code", sa.String(32)),
        sa.Column("department", sa.String(64)),
        sa.Column("text_zh", sa.Text, nullable=False),
        sa.Column("text_en", sa.Text, nullable=False),
        sa.Column("event_id", sa.String(36)),
    )


def downgrade() -> None:
    op.drop_table("intake_timeline")
    op.drop_table("intake_case")
