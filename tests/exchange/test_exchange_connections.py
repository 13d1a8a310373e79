"""A service's PostgreSQL connections across a server that goes away (``exchange.db.database``): a pooled connection
whose backend the server ended is replaced when it is checked out, without a failed transaction and without asking
the server first (no ``pool_pre_ping``: docs/performance.md, step 26); one that breaks inside a transaction fails
that transaction transiently, and the next gets a connection that works."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from exchange.db.database import Database
from exchange.failures import is_transient

pytestmark = pytest.mark.integration


async def _backend(database: Database) -> int:
    async with database.unit_of_work() as uow:
        connection = await uow.connection()
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


async def _terminate(admin: AsyncEngine, pid: int) -> None:
    async with admin.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        while await connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}):
            await asyncio.sleep(0.02)


async def test_the_engine_asks_the_socket_on_asyncpg_and_the_server_on_other_drivers(
    plumbing_db: Database
) -> None:
    assert plumbing_db.engine.pool._pre_ping is False  # asyncpg: the socket is asked instead (below)
    other = Database(plumbing_db.url.replace("+asyncpg", "+psycopg"), source="rating")
    try:
        assert other.engine.pool._pre_ping is True  # its connections have no is_closed()
    finally:
        await other.dispose()


async def test_a_pooled_connection_the_server_ended_is_replaced_at_checkout(
    plumbing_db: Database, admin: AsyncEngine
) -> None:
    """As after a restart of the plumbing_db: every pooled connection's backend is gone while it sits idle."""
    first = await _backend(plumbing_db)
    await _terminate(admin, first)
    await asyncio.sleep(0.1)  # the server's goodbye reaches the idle socket
    second = await _backend(plumbing_db)  # no error: the closed connection was not handed out
    assert second != first
    assert await _backend(plumbing_db) == second  # and its replacement is kept


async def test_a_connection_that_breaks_inside_a_transaction_fails_it_transiently_and_is_not_used_again(
    plumbing_db: Database, admin: AsyncEngine
) -> None:
    """The transaction's later statements go straight to asyncpg (``exchange.db.statements``): one that meets the
    closed connection fails the transaction with a transient error (waited out by its caller), and the next
    transaction runs on a new connection. (A guard of the straight-to-asyncpg path, whichever of the rollback's
    invalidation or the checkout's look at the socket retires the broken one.)"""
    failure: Exception | None = None
    try:
        async with plumbing_db.unit_of_work() as uow:
            connection = await uow.connection()
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
            await _terminate(admin, pid)
            await uow.claim_all("dispatch", [uuid4(), uuid4()])
    except Exception as error:
        failure = error
    assert failure is not None and is_transient(failure), repr(failure)
    after = await _backend(plumbing_db)
    assert after != pid
    async with plumbing_db.unit_of_work() as uow:
        assert len(await uow.claim_all("dispatch", [uuid4()])) == 1
