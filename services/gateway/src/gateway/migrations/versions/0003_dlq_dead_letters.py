"""Gateway: the dead-letter store (死信库), the exchange's ``dead_letter`` table, so an operator can list, read
and re-drive the records this service's consumers could never apply.

Revision ID: 0003
Revises: 0002
"""

from exchange.db.migrations import create_dead_letter_table, drop_dead_letter_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_dead_letter_table()


def downgrade() -> None:
    drop_dead_letter_table()
