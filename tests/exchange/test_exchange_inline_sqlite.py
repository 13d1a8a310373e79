"""The embedded default's SQLite runs on the event loop's thread and never waits there for a lock
(exchange.db.inline_sqlite): a write that finds the file locked fails at once, as a transient failure."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

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
