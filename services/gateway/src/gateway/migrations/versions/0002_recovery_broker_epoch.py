"""Gateway: broker epochs (消息代理纪元): the outbox keeps each row's signed bytes and the epoch it was sent in, so
after the broker lost its data the rows are sent again byte for byte; ``exchange_marker`` remembers the epoch.

Revision ID: 0002
Revises: 0001
"""

from exchange.db.migrations import add_broker_epoch_columns, drop_broker_epoch_columns

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_broker_epoch_columns()


def downgrade() -> None:
    drop_broker_epoch_columns()
