"""Supervision: every clock says its kind (item, case, rectification), so a rectification clock of a bad
review (差评整改时限) is never taken for a case or an item clock.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server default keeps the rows already there (and any writer still on 0002) valid as item clocks.
    with op.batch_alter_table("supervision_clock") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="item"))
    op.execute("UPDATE supervision_clock SET kind = 'case' WHERE item_code = ''")  # until now told by item_code


def downgrade() -> None:
    # 0002 cannot tell a rectification clock from an item or case clock: it would count them as such.
    op.execute("DELETE FROM supervision_clock WHERE kind = 'rectification'")
    with op.batch_alter_table("supervision_clock") as batch:
        batch.drop_column("kind")
