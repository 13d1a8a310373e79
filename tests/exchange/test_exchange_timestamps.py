"""Instants in the database: stored in UTC and read back timezone-aware, on PostgreSQL and on the embedded SQLite
default (which keeps no zone of its own), and every table's datetime column is such an instant."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

from exchange.db.database import Database, create_database_if_missing
from exchange.db.timestamps import UtcDateTime

BEIJING = timezone(timedelta(hours=8))
MOMENTS = MetaData()
moment = Table("moment", MOMENTS, Column("name", String(16), primary_key=True), Column("at", UtcDateTime()))


async def with_moment_table(url: str) -> Database:
    database = Database(url, source="tests")
    await create_database_if_missing(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(MOMENTS.create_all)
    return database


@pytest.fixture
async def moments_db(each_database_url: str) -> AsyncIterator[Database]:
    database = await with_moment_table(each_database_url)
    yield database
    await database.dispose()


@pytest.mark.integration
async def test_an_instant_comes_back_aware_in_utc_and_is_compared_as_an_instant(moments_db: Database) -> None:
    nine_in_beijing = datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING)  # 01:00 UTC
    two_utc = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    async with moments_db.engine.begin() as conn:
        await conn.execute(insert(moment), [{"name": "beijing", "at": nine_in_beijing},
                                            {"name": "utc", "at": two_utc}, {"name": "none", "at": None}])
    async with moments_db.engine.connect() as conn:
        rows = dict((await conn.execute(select(moment.c.name, moment.c.at))).all())
        later = (await conn.execute(select(moment.c.name).where(moment.c.at > datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
                                    .order_by(moment.c.at))).scalars().all()
        in_order = (await conn.execute(select(moment.c.name).where(moment.c.at.is_not(None))
                                       .order_by(moment.c.at))).scalars().all()
    assert rows["beijing"] == nine_in_beijing and rows["beijing"].tzinfo is UTC
    assert rows["utc"] == two_utc and rows["utc"].tzinfo is UTC
    assert rows["none"] is None
    # Kept as its wall-clock time, 09:00 would have sorted after 02:00 and passed for later than 01:30 UTC.
    assert later == ["utc"]
    assert in_order == ["beijing", "utc"]


@pytest.mark.integration
async def test_a_naive_datetime_is_refused_not_guessed_at(moments_db: Database) -> None:
    with pytest.raises(StatementError, match="timezone-aware"):
        async with moments_db.engine.begin() as conn:
            await conn.execute(insert(moment).values(name="naive", at=datetime(2026, 3, 2, 9, 0)))
    async with moments_db.engine.connect() as conn:
        assert (await conn.execute(select(moment.c.name))).all() == []


async def test_an_embedded_database_written_before_reads_its_instants_as_utc(tmp_path: Path) -> None:
    """Earlier releases wrote ``datetime.now(UTC)`` to SQLite as zoneless text; those rows read back as UTC."""
    database = await with_moment_table(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("INSERT INTO moment (name, at) VALUES ('old', '2026-03-02 02:00:00.000000')"))
        async with database.engine.connect() as conn:
            at = (await conn.execute(select(moment.c.at))).scalar_one()
        assert at == datetime(2026, 3, 2, 2, 0, tzinfo=UTC) and at.tzinfo is UTC
    finally:
        await database.dispose()


def test_every_datetime_column_of_every_service_is_an_instant() -> None:
    for package in ("intake", "dispatch", "licence", "supervision", "rating"):
        importlib.import_module(f"{package}.adapters.tables")
    importlib.import_module("exchange.db.tables")
    columns = [column for table in SQLModel.metadata.tables.values() for column in table.columns]
    instants = [c for c in columns if isinstance(c.type, UtcDateTime)]
    plain = [f"{c.table.name}.{c.name}" for c in columns if isinstance(c.type, DateTime)]
    assert plain == []  # a plain DateTime reads back naive on SQLite
    assert {"outbox.created_at", "licence_record.issued_at", "supervision_clock.started_at"} <= {
        f"{c.table.name}.{c.name}" for c in instants}
