"""Rating: delivered cases, ratings, and the exchange plumbing tables.

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
        "rating_delivered_case",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rating_rating",
        sa.Column("rating_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("level", sa.String(32), nullable=False, index=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", name="uq_rating_rating_case"),
    )


def downgrade() -> None:
    op.drop_table("rating_rating")
    op.drop_table("rating_delivered_case")
