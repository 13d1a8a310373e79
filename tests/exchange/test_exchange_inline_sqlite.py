"""The embedded default's SQLite runs on the event loop's thread and never waits there for a lock
(exchange.db.inline_sqlite): a write that finds the file locked fails at once, as a transient failure."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text

from exchange.db.database import Database
from exchange.failures import FailureKind, classify


async def test_statements_run_on_the_loops_own_thread(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}", source="test")
    seen: list[int] = []
    try:
        async with database.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            raw.driver_connection.create_function("thread_id", 0, lambda: seen.append(threading.get_ident()) or 1)
            assert (await conn.execute(text("SELECT thread_id()"))).scalar() == 1
        assert seen == [threading.get_ident()]
        assert database.engine.dialect.driver == "inline"
    finally:
        await database.dispose()


async def test_a_write_that_finds_the_file_locked_fails_at_once_as_transient(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    holder, other = (Database(f"sqlite+aiosqlite:///{path}", source=s) for s in ("holder", "other"))
    try:
        async with holder.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        ticks = 0

        async def tick() -> None:  # the loop keeps running while the holder keeps its lock
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(tick())
        async with holder.engine.begin() as locked:
            await locked.execute(text("INSERT INTO t VALUES (1)"))
            started = time.monotonic()
            with pytest.raises(Exception) as refused:
                async with other.engine.begin() as conn:
                    await conn.execute(text("INSERT INTO t VALUES (2)"))
            waited = time.monotonic() - started
            await asyncio.sleep(0.05)
        ticking.cancel()
        assert classify(refused.value) is FailureKind.TRANSIENT
        assert waited < 1.0, "SQLite waited for the lock on the loop's thread"
        assert ticks >= 2
        async with other.engine.begin() as conn:  # once the holder committed, the write goes through
            await conn.execute(text("INSERT INTO t VALUES (2)"))
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 2
    finally:
        await holder.dispose()
        await other.dispose()


async def test_every_connection_writes_ahead_and_checkpoints_every_ten_thousand_pages(tmp_path: Path) -> None:
    """The settings each pooled connection gets (docs/performance.md, step 32), on two connections at once."""
    database = Database(f"sqlite:///{tmp_path / 'settings.db'}", source="tests")
    try:
        async with database.engine.connect() as one, database.engine.connect() as two:
            for connection in (one, two):
                assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
                assert (await connection.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL
                assert (await connection.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 10_000
    finally:
        await database.dispose()


async def test_the_writers_take_turns_on_one_connection_kept_until_it_breaks(tmp_path: Path) -> None:
    """docs/performance.md, step 34: no checkout from the pool per transaction; a failure that was rolled back keeps
    the connection, one that broke it gets a fresh one; what a failed transaction wrote is gone either way."""
    database = Database(f"sqlite:///{tmp_path / 'writer.db'}", source="tests")
    checkouts: list[object] = []
    event.listen(database.sync_engine, "checkout", lambda *_: checkouts.append(1))

    async def unit_of_work(value: str, fail: bool = False, broken: bool = False) -> None:
        async with database.unit_of_work() as uow:
            connection = await uow.connection()
            await connection.execute(text("INSERT INTO thing VALUES (:v)"), {"v": value})
            if broken:
                await connection.invalidate()
            if fail:
                raise RuntimeError("the handler failed")

    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE thing (v TEXT)"))
        checkouts.clear()
        await unit_of_work("a")
        async with database.writing() as connection:  # the relay's marks take the same turn and connection
            await connection.execute(text("INSERT INTO thing VALUES ('b')"))
        await unit_of_work("c")
        assert len(checkouts) == 1
        with pytest.raises(RuntimeError, match="the handler failed"):
            await unit_of_work("lost", fail=True)
        await unit_of_work("d")
        assert len(checkouts) == 1  # rolled back: the same connection, as good as new
        with pytest.raises(RuntimeError, match="the handler failed"):
            await unit_of_work("lost too", fail=True, broken=True)
        await unit_of_work("e")
        assert len(checkouts) == 2  # a fresh one after the connection broke
        async with database.engine.connect() as connection:
            values = [r[0] for r in await connection.execute(text("SELECT v FROM thing ORDER BY v"))]
        assert values == ["a", "b", "c", "d", "e"]
    finally:
        await database.dispose()
