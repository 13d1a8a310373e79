"""Dispatch: a task keeps whether its review request asked for a decision, and the decision its department gave
with the preliminary review (即审即办, an on-the-spot item), until the round concludes with nothing missing and the
release concludes the task with it. Not asked, and empty, for every task before.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dispatch_task") as batch:
        batch.add_column(sa.Column("review_decide", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("decision_at_review", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_task") as batch:
        batch.drop_column("decision_at_review")
        batch.drop_column("review_decide")
