"""Intake: 委托授权, the applicant's own authorisation of an online proxy (``intake_delegation``).

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
        "intake_delegation",
        sa.Column("delegation_id", sa.String(64), primary_key=True),
        sa.Column("principal_id", sa.String(18), nullable=False, index=True),
        sa.Column("proxy_id", sa.String(18), nullable=False, index=True),
        sa.Column("bundle_code", sa.String(32)),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("intake_delegation")
