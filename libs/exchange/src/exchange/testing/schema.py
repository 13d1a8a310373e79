"""The plumbing tables (outbox, processed_event, chain_head, exchange_marker, dead_letter) in a test database.

Services get them from their first Alembic revision; library tests have no service package and
no migration folder, so they run the very same functions (:func:`~exchange.db.migrations.create_exchange_tables`
and those of later revisions) under an Alembic ``Operations`` context bound to the test database's connection.
"""

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection

from exchange.db.database import Database, create_database_if_missing
from exchange.db.migrations import add_broker_epoch_columns, create_dead_letter_table, create_exchange_tables

__all__ = ["create_plumbing_tables"]


def _create(sync_conn: Connection) -> None:
    context = MigrationContext.configure(sync_conn)
    with Operations.context(context):
        create_exchange_tables()
        add_broker_epoch_columns()
        create_dead_letter_table()


async def create_plumbing_tables(database: Database) -> None:
    """Create the test database if needed, then the exchange's own tables in it."""
    await create_database_if_missing(database.url)
    async with database.engine.begin() as conn:
        await conn.run_sync(_create)
