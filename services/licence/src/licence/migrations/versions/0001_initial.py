"""Licence: issued licence records, and the exchange plumbing tables.

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
        "licence_record",
        sa.Column("licence_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("licence_type", sa.String(64), nullable=False),
        sa.Column("number", sa.String(128), nullable=False, index=True),
        sa.Column("holder_id", sa.String(64), nullable=False, index=True),
        sa.Column("holder_name", sa.String(255), nullable=False),
        sa.Column("issuer_department", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("record_digest", sa.String(64), nullable=False),
        sa.Column("record_signature", sa.String(128), nullable=False),
        sa.Column("signer", sa.String(255), nullable=False),
        sa.UniqueConstraint("case_id", "item_code", name="uq_licence_record_case_item"),
    )


def downgrade() -> None:
    op.drop_table("licence_record")
