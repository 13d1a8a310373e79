"""Rating: touchpoints, invitations, rectification orders, appeals and figures (好差评闭环).

0001 kept one rating per delivered case and no applicant; its rows cannot say who may rate or which
touchpoint they rate, so this revision refuses to run over 0001 ratings rather than guess or drop them.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from exchange.db.migrations import refuse_over_rows

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    refuse_over_rows("rating_rating", "旧版评价没有评价环节，请先导出",
                     "ratings of revision 0001 would have no touchpoint; export them first")
    op.drop_table("rating_rating")
    op.drop_table("rating_delivered_case")
    op.create_table(
        "rating_case",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("bundle_code", sa.String(32), nullable=False),
        sa.Column("lead_department", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("window_id", sa.String(64)),
        sa.Column("staff_id", sa.String(64)),
        sa.Column("rater_digests", sa.JSON, nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "rating_invitation",
        sa.Column("invitation_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("moment", sa.String(16), nullable=False),
        sa.Column("touchpoints", sa.JSON, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rating_rating",
        sa.Column("rating_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("touchpoint", sa.String(16), nullable=False),
        sa.Column("item_code", sa.String(32)),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("level", sa.String(32), nullable=False, index=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("rated_via", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed", sa.Boolean, nullable=False),
    )
    op.create_table(
        "rating_rectification",
        sa.Column("rectification_id", sa.String(36), primary_key=True),
        sa.Column("rating_id", sa.String(36), nullable=False, unique=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("touchpoint", sa.String(16), nullable=False),
        sa.Column("item_code", sa.String(32)),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("limit_working_days", sa.Integer, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("reopened", sa.Integer, nullable=False),
        sa.Column("unreachable_since_report", sa.Integer, nullable=False),
        sa.Column("appeal", sa.String(16)),
        sa.Column("measures_zh", sa.Text),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("reported_on", sa.Date),
        sa.Column("callbacks", sa.JSON, nullable=False),
        sa.Column("closed_on", sa.Date),
        sa.Column("closed_how", sa.String(16)),
        sa.Column("clock_id", sa.String(36), index=True),
        sa.Column("due_on", sa.Date),
        sa.Column("red_card_id", sa.String(36), index=True),
        sa.Column("escalated_on", sa.Date),
        sa.Column("order_id", sa.String(36)),
        sa.Column("respond_by", sa.Date),
    )
    op.create_table(
        "rating_appeal",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("rectification_id", sa.String(36), nullable=False, unique=True),
        sa.Column("rating_id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("grounds", sa.String(16), nullable=False),
        sa.Column("reason_zh", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("upheld", sa.Boolean),
        sa.Column("decision_zh", sa.Text),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_on", sa.Date),
    )
    op.create_table(
        "rating_figure",
        sa.Column("period", sa.String(8), primary_key=True),
        sa.Column("period_start", sa.Date, primary_key=True),
        sa.Column("by", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("good_rate", sa.Float),
    )


def downgrade() -> None:
    raise NotImplementedError("rating 0002 cannot be undone: 0001 has no place for touchpoints")
