"""Failures are classified by cause (``exchange.failures``): each SQLSTATE class produced for real on PostgreSQL
through SQLAlchemy and asyncpg, as the services meet them; broker errors and unknown exceptions in unit tests."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    NotLeaderForPartitionError,
    RequestTimedOutError,
    UnknownError,
    UnknownTopicOrPartitionError,
    UnsupportedVersionError,
)
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from exchange.db.database import create_database_if_missing
from exchange.errors import Malformed, Rejected, SignatureInvalid, Transient
from exchange.failures import FailureKind, classify, dependency_of, is_transient

TRANSIENT, POISON, UNEXPECTED = FailureKind.TRANSIENT, FailureKind.POISON, FailureKind.UNEXPECTED


async def _failure(coro: object) -> BaseException:
    """The exception an awaitable raises (the test fails if it raises none)."""
    try:
        await coro  # type: ignore[misc]
    except Exception as exc:
        return exc
    raise AssertionError("expected a failure")


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


@pytest.fixture
async def pg(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    await create_database_if_missing(fresh_database_url)
    engine = create_async_engine(fresh_database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE item (id int PRIMARY KEY, name text, v int)"))
        await conn.execute(text("INSERT INTO item VALUES (1, 'a', 0), (2, 'b', 0)"))
    yield engine
    await engine.dispose()


# -- PostgreSQL, for real ---------------------------------------------------------------------------------------



@pytest.mark.integration
async def test_admin_shutdown_57P01_is_transient(pg: AsyncEngine, admin: AsyncEngine) -> None:
    """The backend is terminated (57P01 admin shutdown) while it runs a statement of ours."""
    async with pg.connect() as conn:
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        running = asyncio.create_task(conn.execute(text("SELECT pg_sleep(10)")))
        async with admin.connect() as a:
            while not await a.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p AND query LIKE '%pg_sleep%'"), {"p": pid}
            ):
                await asyncio.sleep(0.02)
            await a.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        failure = await _failure(running)
    await admin.dispose()
    # The server's 57P01 arrives as the connection closes; asyncpg reports it as 08003 with the server's text.
    assert _sqlstate(failure) in ("57P01", "08003"), repr(failure)
    assert "terminating connection due to administrator command" in str(failure)
    assert classify(failure) is TRANSIENT
    assert dependency_of(failure) == "database"


@pytest.mark.integration
async def test_a_terminated_connection_used_again_is_transient(pg: AsyncEngine, admin: AsyncEngine) -> None:
    async with pg.connect() as conn:
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with admin.connect() as a:
            await a.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            while await a.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}):
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # the server's goodbye reaches the client
        failure = await _failure(conn.execute(text("SELECT 1")))
    await admin.dispose()
    assert "connection is closed" in str(failure), repr(failure)
    assert classify(failure) is TRANSIENT


def test_a_broken_protocol_state_after_termination_is_transient() -> None:
    """Without that pause, asyncpg may meet the server's goodbye while it starts the next statement."""
    import asyncpg
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi

    driver = asyncpg.exceptions.InternalClientError("cannot switch to state 11; another operation (2) is in progress")
    adapted = AsyncAdapt_asyncpg_dbapi.InternalError(driver)
    assert classify(sa_exc.InternalError("SELECT 1", None, adapted)) is TRANSIENT


@pytest.mark.integration
async def test_deadlock_40P01_is_transient(pg: AsyncEngine) -> None:
    async with pg.connect() as one, pg.connect() as two:
        await one.execute(text("UPDATE item SET v = v + 1 WHERE id = 1"))
        await two.execute(text("UPDATE item SET v = v + 1 WHERE id = 2"))
        results = await asyncio.gather(
            one.execute(text("UPDATE item SET v = v + 1 WHERE id = 2")),
            two.execute(text("UPDATE item SET v = v + 1 WHERE id = 1")),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        assert len(failures) == 1
        assert _sqlstate(failures[0]) == "40P01"
        assert classify(failures[0]) is TRANSIENT


@pytest.mark.integration
async def test_serialization_failure_40001_is_transient(pg: AsyncEngine) -> None:
    serializable = pg.execution_options(isolation_level="SERIALIZABLE")
    async with serializable.connect() as one, serializable.connect() as two:
        # Write skew: each reads the sum, then writes a row the other's read would have seen.
        await one.execute(text("SELECT sum(v) FROM item"))
        await two.execute(text("SELECT sum(v) FROM item"))
        await one.execute(text("UPDATE item SET v = 1 WHERE id = 1"))
        await two.execute(text("UPDATE item SET v = 1 WHERE id = 2"))
        await one.commit()
        failure = await _failure(two.commit())
    assert _sqlstate(failure) == "40001"
    assert classify(failure) is TRANSIENT


@pytest.mark.integration
async def test_too_many_connections_53300_is_transient(pg: AsyncEngine, admin: AsyncEngine, unique_name: str) -> None:
    # Superusers ignore connection limits; a role of the test's own with a limit of one does not.
    role = f"onething_test_{unique_name}"
    async with admin.connect() as a:
        await a.execute(text(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 1'))
    limited = create_async_engine(make_url(pg.url).set(username=role, password=None), pool_size=2)
    try:
        async with limited.connect() as held:
            await held.execute(text("SELECT 1"))
            failure = await _failure(limited.connect().__aenter__())
        assert _sqlstate(failure) == "53300" or getattr(failure, "sqlstate", None) == "53300", repr(failure)
        assert classify(failure) is TRANSIENT
    finally:
        await limited.dispose()
        async with admin.connect() as a:
            await a.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        await admin.dispose()


@pytest.mark.integration
async def test_statement_timeout_57014_is_transient(pg: AsyncEngine) -> None:
    async with pg.connect() as conn:
        await conn.execute(text("SET statement_timeout = 50"))
        failure = await _failure(conn.execute(text("SELECT pg_sleep(2)")))
    assert _sqlstate(failure) == "57014"
    assert classify(failure) is TRANSIENT


@pytest.mark.integration
async def test_a_closed_port_is_transient(postgres_url: str) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = create_async_engine(make_url(postgres_url).set(port=port))
    try:
        failure = await _failure(engine.connect().__aenter__())
    finally:
        await engine.dispose()
    assert classify(failure) is TRANSIENT, repr(failure)


@pytest.mark.integration
async def test_a_database_not_accepting_connections_55000_is_transient(
    pg: AsyncEngine, admin: AsyncEngine
) -> None:
    name = pg.url.database
    await pg.dispose()
    async with admin.connect() as a:
        await a.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
    try:
        failure = await _failure(pg.connect().__aenter__())
    finally:
        async with admin.connect() as a:
            await a.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        await admin.dispose()
    assert "55000" in (_sqlstate(failure), getattr(failure, "sqlstate", None)), repr(failure)
    assert classify(failure) is TRANSIENT


@pytest.mark.integration
async def test_pool_timeout_is_transient(fresh_database_url: str, pg: AsyncEngine) -> None:
    small = create_async_engine(fresh_database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        async with small.connect():
            failure = await _failure(small.connect().__aenter__())
    finally:
        await small.dispose()
    assert isinstance(failure, sa_exc.TimeoutError)
    assert classify(failure) is TRANSIENT


@pytest.mark.integration
async def test_nul_in_text_22021_is_poison(pg: AsyncEngine) -> None:
    async with pg.connect() as conn:
        failure = await _failure(conn.execute(text("INSERT INTO item VALUES (3, :n, 0)"), {"n": "a\x00b"}))
    assert _sqlstate(failure) == "22021", repr(failure)
    assert classify(failure) is POISON


@pytest.mark.integration
async def test_unique_violation_23505_is_poison(pg: AsyncEngine) -> None:
    async with pg.connect() as conn:
        failure = await _failure(conn.execute(text("INSERT INTO item VALUES (1, 'again', 0)")))
    assert isinstance(failure, sa_exc.IntegrityError)
    assert _sqlstate(failure) == "23505"
    assert classify(failure) is POISON


# -- unit tests ----------------------------------------------------------------------------------------------


class _PgError(Exception):
    def __init__(self, sqlstate: str, message: str = "") -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize("code", ["08006", "08001", "40001", "40P01", "53300", "53100", "57P01", "57P02", "57P03", "57014", "55P03"])
def test_transient_sqlstates(code: str) -> None:
    wrapped = sa_exc.DBAPIError("SELECT 1", None, _PgError(code))
    assert classify(wrapped) is TRANSIENT


@pytest.mark.parametrize("code", ["22021", "22001", "23505", "23503"])
def test_poison_sqlstates(code: str) -> None:
    assert classify(sa_exc.DBAPIError("INSERT", None, _PgError(code))) is POISON


def test_other_sqlstates_are_unexpected() -> None:
    assert classify(sa_exc.DBAPIError("SELECT", None, _PgError("42P01", 'relation "x" does not exist'))) is UNEXPECTED
    assert classify(_PgError("55000", "object not in prerequisite state")) is UNEXPECTED


@pytest.mark.parametrize(
    "exc",
    [
        KafkaConnectionError("no broker"),
        NodeNotReadyError("node 1"),
        RequestTimedOutError(),
        KafkaTimeoutError(),
        NotLeaderForPartitionError(),  # retriable
        UnknownTopicOrPartitionError(),  # retriable: the broker may be recreating it
        UnknownError(),  # -1, the broker's own failure: the embedded one answers produces so while it recovers
    ],
)
def test_broker_unavailability_is_transient(exc: BaseException) -> None:
    assert classify(exc) is TRANSIENT
    assert dependency_of(exc) == "broker"


def test_non_retriable_broker_errors_are_unexpected() -> None:
    assert classify(UnsupportedVersionError()) is UNEXPECTED


def test_refusals_and_bad_data_are_poison() -> None:
    class Strict(BaseModel):
        n: int

    try:
        Strict(n="x")  # type: ignore[arg-type]
    except ValidationError as exc:
        invalid = exc
    for exc in (Rejected("no"), Malformed("not an envelope"), SignatureInvalid("bad"), invalid):
        assert classify(exc) is POISON


def test_unknown_exceptions_are_unexpected() -> None:
    for exc in (ValueError("bug"), KeyError("k"), RuntimeError("?"), FileNotFoundError("/x"), AssertionError()):
        assert classify(exc) is UNEXPECTED
        assert not is_transient(exc)


def test_the_chain_is_walked() -> None:
    try:
        try:
            raise ConnectionResetError("peer reset")
        except ConnectionError as inner:
            raise RuntimeError("while talking to the database") from inner
    except RuntimeError as outer:
        assert classify(outer) is TRANSIENT  # the cause decides when the outer one does not
    try:
        try:
            raise ValueError("a bug")
        except ValueError:
            raise Transient("then the database went away")  # noqa: B904 - the context is the point
    except Transient as exc:
        assert classify(exc) is TRANSIENT  # the outermost decisive one wins
    group = ExceptionGroup("batch", [ValueError("x"), KafkaConnectionError("gone")])
    assert classify(group) is TRANSIENT


def test_sqlite_locked_is_transient_and_other_operational_errors_are_not() -> None:
    locked = sa_exc.OperationalError("INSERT", None, sqlite3.OperationalError("database is locked"))
    assert classify(locked) is TRANSIENT
    missing = sa_exc.OperationalError("SELECT", None, sqlite3.OperationalError("no such table: x"))
    assert classify(missing) is UNEXPECTED


def test_timeouts_and_socket_errors_are_transient() -> None:
    assert classify(TimeoutError()) is TRANSIENT
    assert classify(ConnectionRefusedError(111, "refused")) is TRANSIENT
    assert classify(OSError("Multiple exceptions: [Errno 111] Connect call failed")) is TRANSIENT
