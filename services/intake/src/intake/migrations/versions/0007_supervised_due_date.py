"""Intake: the case's due date as supervision keeps it (``intake_case.supervised_due_on``, with the id of the
supervision clock that moves it, ``case_clock_id``): 电子监察 owns the case
clock (R-05: its calendar, suspensions for 补正, approved extensions); intake shows the date it publishes, and its own
estimate only until supervision's clock has started.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake_case") as batch:
        batch.add_column(sa.Column("supervised_due_on", sa.Date))
        batch.add_column(sa.Column("case_clock_id", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("intake_case") as batch:
        batch.drop_column("case_clock_id")
        batch.drop_column("supervised_due_on")
