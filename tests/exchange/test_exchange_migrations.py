"""Each service's migrations, run to head, build exactly the tables its code declares (no schema drift), on
PostgreSQL and on the embedded SQLite default: column types included, so a column type that changes what
Python sees (``UtcDateTime``) without changing the DDL needs no revision, and one that does is caught."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from exchange.db.database import Database
from exchange.db.tables import ChainHeadRow, DeadLetterRow, ExchangeMarker, OutboxMessage, ProcessedEvent

pytestmark = pytest.mark.integration
SERVICES = ("intake", "dispatch", "licence", "supervision", "rating", "gateway")


def declared_tables(service: str) -> MetaData:
    """The service's own table classes plus the exchange's plumbing, which its revisions create."""
    module = importlib.import_module(f"{service}.adapters.tables")
    models = [m for m in vars(module).values()
              if isinstance(m, type) and issubclass(m, SQLModel) and hasattr(m, "__table__")]
    declared = MetaData()
    for model in (*models, OutboxMessage, ProcessedEvent, ChainHeadRow, ExchangeMarker, DeadLetterRow):
        model.__table__.to_metadata(declared)  # type: ignore[attr-defined]
    return declared


def drift(conn: Connection, declared: MetaData) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), declared))


@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrations_build_the_declared_tables(
    service: str, migrated_each_database: Callable[[str], Awaitable[Database]]
) -> None:
    database = await migrated_each_database(service)
    declared = declared_tables(service)
    assert len(declared.tables) > 3
    async with database.engine.connect() as conn:
        assert await conn.run_sync(drift, declared) == []
