"""The service's own database: PostgreSQL through asyncpg, or an embedded SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from exchange.db.inline_sqlite import DRIVER as INLINE_SQLITE
from exchange.db.inline_sqlite import register as register_inline_sqlite
from exchange.db.unit_of_work import UnitOfWork
from exchange.failures import is_transient

__all__ = ["Database", "create_database_if_missing"]

logger = logging.getLogger(__name__)


async def create_database_if_missing(url: str) -> None:
    """PostgreSQL: create the service's database on the server if it does not exist yet.

    The database is asked first: a service running as a least-privilege role (deploy/postgres/init.sql) owns
    a database made for it and may not connect to the server's maintenance database, nor create one.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return
    own = create_async_engine(parsed, pool_size=1)
    try:
        async with own.connect():
            return
    except DBAPIError as exc:
        if getattr(getattr(exc, "orig", None), "sqlstate", None) != "3D000":  # invalid_catalog_name: not there yet
            raise
    finally:
        await own.dispose()
    admin = create_async_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_size=1
    )
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            )
            if not exists:
                try:
                    await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
                    logger.info("created database %s", parsed.database)
                except DBAPIError as exc:  # created concurrently by another instance
                    if "already exists" not in str(exc):
                        raise
    finally:
        await admin.dispose()


WAL_CHECKPOINT_PAGES = 10_000


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A checkpoint copies each page changed since the last one once, however often it changed; the pages every
    # transaction changes (the outbox's and the inbox's last pages, the indexes' upper ones) are most of the WAL,
    # so checkpointing a tenth as often (10,000 pages: a WAL file of about 40 MB on disk) copies far fewer pages
    # (docs/performance.md, step 32).
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.close()


def _closed_by_the_server(dbapi_conn: object, _record: object, _proxy: object) -> None:
    """At checkout, a connection whose server closed it (a restart, ``pg_terminate_backend``) is replaced: asyncpg
    reads the server's goodbye on the idle socket as soon as its event loop runs, so asking the socket is enough, where
    ``pool_pre_ping`` asked the server, three round trips (``BEGIN``, ``;``, ``ROLLBACK``) before every transaction
    (docs/performance.md, step 26). A connection the socket cannot vouch for (the server gone without closing it,
    as in a network partition, or closed in the moment before the checkout) fails its transaction with a transient
    error, which SQLAlchemy answers by invalidating it: a consumer or the relay waits it out, an HTTP request gets
    503 with ``Retry-After``."""
    if dbapi_conn.driver_connection.is_closed():  # type: ignore[attr-defined]
        raise DisconnectionError("the server closed this connection")


def _json_text(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns (an aggregate's form, items, materials) written and read by orjson, not the standard library's json:
# the case a record is about is loaded, with its JSON columns, for most records, and json.loads/dumps were a tenth
# of intake's CPU (docs/performance.md, step 13). Any JSON either wrote reads back the same.
_JSON_COLUMNS = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


class Database:
    """Engine, sessions (for reads that want the ORM) and the unit of work of one service's database."""

    def __init__(self, url: str, *, source: str) -> None:
        self.url = url
        self.source = source
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
            register_inline_sqlite()
            # On the loop's own thread (exchange.db.inline_sqlite); hide_parameters: a failed statement's values
            # (names, ID numbers) never reach error text or logs.
            self.engine: AsyncEngine = create_async_engine(make_url(url).set(drivername=INLINE_SQLITE),
                                                           hide_parameters=True, **_JSON_COLUMNS)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            # One writer at a time in-process: SQLite would otherwise answer "database is locked".
            self._write_lock: asyncio.Lock | None = asyncio.Lock()
        else:
            asyncpg = make_url(url).get_driver_name() == "asyncpg"
            # Another driver's connection has no is_closed(): the pool asks the server, as SQLAlchemy does.
            self.engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=not asyncpg,
                                              hide_parameters=True, **_JSON_COLUMNS)
            if asyncpg:
                event.listen(self.engine.sync_engine, "checkout", _closed_by_the_server)
            self._write_lock = None
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._writer: AsyncConnection | None = None  # SQLite: the connection the writers take turns on, kept
        # Set whenever a transaction wrote outbox rows, so the relay publishes at once.
        self.outbox_written = asyncio.Event()

    @property
    def sync_engine(self) -> Engine:
        return self.engine.sync_engine

    async def ping(self) -> tuple[bool, str]:
        """Readiness: can a connection run ``SELECT 1`` now? (``/readyz`` bounds how long it may take.)"""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            if not is_transient(exc):
                raise
            return False, f"unavailable: {type(exc).__name__}: {exc}"[:500]
        return True, "answers"

    @contextlib.asynccontextmanager
    async def write_guard(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    @contextlib.asynccontextmanager
    async def unit_of_work(self, cause: Envelope | None = None) -> AsyncIterator[UnitOfWork]:
        """One transaction: state changes, inbox record and outbox rows commit together or not at all."""
        # On a Core connection: an ORM session (its own begin, connection and commit, each a greenlet hop) only for
        # the few callers that ask for ``uow.session`` (docs/performance.md, step 30).
        async with self.write_guard(), self._writing_connection() as connection:
            uow = UnitOfWork(connection, source=self.source, cause=cause)
            try:
                async with connection.begin():
                    yield uow
                    await uow.flush_before_commit()
            finally:
                await uow.close()
            if uow.emitted or uow.republished:
                self.outbox_written.set()

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction of its own, for the plumbing that writes without a unit of work (the outbox relay
        marking what it sent or noting a failure, the broker-recovery markers): the writers' turn, their connection,
        committed at the end."""
        async with self.write_guard(), self._writing_connection() as connection, connection.begin():
            yield connection

    @contextlib.asynccontextmanager
    async def _writing_connection(self) -> AsyncIterator[AsyncConnection]:
        """The connection of a writer, who holds the write guard. On SQLite one connection kept open for them all,
        since they take turns anyway: no checkout and return per transaction (two thirds of an empty
        transaction's CPU), and a page cache that no other connection's write empties (docs/performance.md, step 34).
        A failure whose transaction was rolled back (a refusal, a constraint) leaves it as good as new; one that left
        it invalidated or still in a transaction closes it, and the next writer opens another. On PostgreSQL one
        from the pool."""
        if self._write_lock is None:
            async with self.engine.connect() as connection:
                yield connection
            return
        if self._writer is None:
            self._writer = await self.engine.connect()
        writer = self._writer
        try:
            yield writer
        except BaseException:
            if writer.invalidated or writer.in_transaction():
                await self._close_writer()
            raise

    async def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):  # the connection may be what failed
                await writer.close()

    async def dispose(self) -> None:
        await self._close_writer()
        await self.engine.dispose()
