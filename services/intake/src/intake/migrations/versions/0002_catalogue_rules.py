"""Intake: catalogue versions, the one set of materials, commitments, proxy, fast track, blacklist, drafts.

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
    with op.batch_alter_table("intake_case") as batch:
        batch.add_column(sa.Column("window_id", sa.String(64)))
        batch.add_column(sa.Column("staff_id", sa.String(64)))
        batch.add_column(sa.Column("proxy", sa.JSON))
        batch.add_column(sa.Column("fast_track", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("fast_track_note_zh", sa.Text))
        batch.add_column(sa.Column("fast_track_note_en", sa.Text))
        batch.add_column(sa.Column("materials", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("commitments", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("limit_days", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("due_on", sa.Date))
        batch.add_column(sa.Column("correction", sa.JSON))
        batch.add_column(sa.Column("paused_days", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("draft_id", sa.String(64)))
    op.create_table(
        "intake_catalogue",
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "intake_blacklist",
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("reason_zh", sa.Text, nullable=False),
        sa.Column("reason_en", sa.Text, nullable=False),
        sa.Column("case_id", sa.String(64)),
        sa.Column("listed_by", sa.String(64), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "intake_draft",
        sa.Column("draft_id", sa.String(64), primary_key=True),
        sa.Column("bundle_code", sa.String(32), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(18), nullable=False, index=True),
        sa.Column("authorisation", sa.JSON, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("intake_draft")
    op.drop_table("intake_blacklist")
    op.drop_table("intake_catalogue")
    with op.batch_alter_table("intake_case") as batch:
        for column in ("draft_id", "paused_days", "correction", "due_on", "limit_days", "commitments", "materials",
                       "fast_track_note_en", "fast_track_note_zh", "fast_track", "proxy", "staff_id", "window_id"):
            batch.drop_column(column)
