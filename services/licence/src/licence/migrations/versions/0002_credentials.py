"""Licence: W3C credentials sealed by the issuing department, status lists, status changes, archive reads.

The 0001 record (signed by the licence service's own key) cannot be turned into a department-sealed
credential without the seal keys, so this revision replaces the table. It refuses to run over issued
licences rather than drop them; no deployment has any (0001 never left development).

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
    refuse_over_rows("licence_record", "库中有旧格式证照，请先重新签发",
                     "licences in the 0001 format; re-issue them before upgrading")
    op.drop_table("licence_record")
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
        sa.Column("credential", sa.Text, nullable=False),
        sa.Column("record_digest", sa.String(64), nullable=False),
        sa.Column("signer", sa.String(255), nullable=False),
        sa.Column("status_index", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("state_reason", sa.Text),
        sa.Column("state_changed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("case_id", "item_code", name="uq_licence_record_case_item"),
        sa.UniqueConstraint("issuer_department", "status_index", name="uq_licence_record_status_index"),
    )
    op.create_table(
        "licence_status_counter",
        sa.Column("issuer_department", sa.String(64), primary_key=True),
        sa.Column("next_index", sa.Integer, nullable=False),
    )
    op.create_table(
        "licence_status_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("licence_id", sa.String(36), nullable=False, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason_zh", sa.Text, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "licence_archive_read",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("holder_id", sa.String(64), nullable=False, index=True),
        sa.Column("licence_id", sa.String(36)),
        sa.Column("principal", sa.String(255), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("0002 is one-way: a sealed credential cannot be turned back into a 0001 record")
