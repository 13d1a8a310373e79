"""Rating: the dead-letter store (死信库), the exchange's ``dead_letter`` table, so an operator can list, read
and re-drive the records this service's consumers could never apply.

Revision ID: 0004
Revises: 0003
"""

from exchange.db.migrations import create_dead_letter_table, drop_dead_letter_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_dead_letter_table()


def downgrade() -> None:
    drop_dead_letter_table()
