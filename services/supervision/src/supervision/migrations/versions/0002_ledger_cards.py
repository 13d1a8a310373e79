"""Supervision: clock ledger, case projection, yellow and red cards, supervision orders, the audit trail.

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
    with op.batch_alter_table("supervision_clock") as batch:
        batch.add_column(sa.Column("finished_on", sa.Date, index=True))
        batch.add_column(sa.Column("staff_id", sa.String(64)))
        batch.add_column(sa.Column("suspensions", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("extensions", sa.JSON, nullable=False, server_default="[]"))
    op.create_table(
        "supervision_case",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("bundle_code", sa.String(32), nullable=False),
        sa.Column("lead_department", sa.String(64), nullable=False),
        sa.Column("applicant_id", sa.String(18), nullable=False, index=True),
        sa.Column("window_id", sa.String(64)),
        sa.Column("staff_id", sa.String(64)),
        sa.Column("accepted_on", sa.Date, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("delivered_on", sa.Date),
    )
    op.create_table(
        "supervision_card",
        sa.Column("card_id", sa.String(36), primary_key=True),
        sa.Column("clock_id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("staff_id", sa.String(64)),
        sa.Column("colour", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("text_zh", sa.Text, nullable=False),
        sa.UniqueConstraint("clock_id", "colour", name="uq_supervision_card_clock_colour"),
    )
    op.create_table(
        "supervision_order",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default="overdue"),
        sa.Column("card_id", sa.String(36), nullable=False, unique=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("respond_by", sa.Date, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("text_zh", sa.Text, nullable=False),
    )


    op.create_table(
        "supervision_audit",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("item_code", sa.String(32)),
        sa.Column("evidence_sha256", sa.String(64), nullable=False),
    )


    op.create_table(
        "supervision_flag",
        sa.Column("flag_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item_codes", sa.JSON, nullable=False),
        sa.Column("other_case_id", sa.String(64)),
        sa.Column("department", sa.String(64)),
        sa.Column("material_code", sa.String(64)),
        sa.Column("flagged_on", sa.Date, nullable=False),
        sa.Column("text_zh", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("supervision_flag")
    op.drop_table("supervision_audit")
    op.drop_table("supervision_order")
    op.drop_table("supervision_card")
    op.drop_table("supervision_case")
    with op.batch_alter_table("supervision_clock") as batch:
        for column in ("extensions", "suspensions", "staff_id", "finished_on"):
            batch.drop_column(column)
