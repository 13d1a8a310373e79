"""SQLite run on the event loop's own thread (嵌入式数据库，同线程执行), for the embedded default.

SQLAlchemy's ``aiosqlite`` driver hands every statement to a worker thread and waits for the answer: on
these machines that hop (a queue, a semaphore, the GIL changing hands twice) cost more CPU than the
statement itself (``docs/performance.md``). A statement on a local SQLite file in WAL mode takes
microseconds, so this dialect runs ``sqlite3`` directly in the async engine's greenlet.

What makes that safe: nothing here ever *waits* inside SQLite. Writers of one process are serialised by
:meth:`exchange.db.database.Database.write_guard` before they begin; readers never block in WAL mode; and
the busy timeout is 0, so a write that still finds the file locked (a write outside the guard, or another
process) fails at once with "database is locked", a transient failure (:mod:`exchange.failures`) that the
caller waits out with the event loop free, instead of SQLite sleeping on the loop's thread while the
holder of the lock, a coroutine of the same loop, can never finish.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.engine.interfaces import (
    ConnectArgsType,
    DBAPICursor,
    ExecutionContext,
    _DBAPIMultiExecuteParams,
    _DBAPISingleExecuteParams,
)
from sqlalchemy.util.concurrency import await_, in_greenlet

__all__ = ["DRIVER", "InlineSQLiteDialect", "register"]

DRIVER = "sqlite+inline"


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """Called by the async result layer after a buffered result; sqlite3 has nothing in flight."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: type[sqlite3.Cursor] = _Cursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, declared async: the async engine calls it inside its greenlet, where it simply runs."""

    driver = "inline"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool if cls._is_url_file_db(url) else pool.StaticPool

    def create_connect_args(self, url: URL) -> ConnectArgsType:
        args, kwargs = super().create_connect_args(url)
        kwargs["check_same_thread"] = False  # the pool may close a connection from the garbage collector
        kwargs["factory"] = _Connection
        kwargs["timeout"] = 0  # never wait for a lock on the loop's thread (see the module docstring)
        return args, kwargs

    def do_execute(self, cursor: DBAPICursor, statement: str, parameters: _DBAPISingleExecuteParams | None,
                   context: ExecutionContext | None = None) -> None:
        super().do_execute(  # type: ignore[no-untyped-call]
            cursor, statement, parameters, context)
        _as_async()

    def do_executemany(self, cursor: DBAPICursor, statement: str, parameters: _DBAPIMultiExecuteParams,
                       context: ExecutionContext | None = None) -> None:
        super().do_executemany(  # type: ignore[no-untyped-call]
            cursor, statement, parameters, context)
        _as_async()

    def do_execute_no_params(self, cursor: DBAPICursor, statement: str,
                             context: ExecutionContext | None = None) -> None:
        super().do_execute_no_params(  # type: ignore[no-untyped-call]
            cursor, statement, context)
        _as_async()


async def _nothing() -> None:
    return None


def _as_async() -> None:
    """Pass through the async engine's await machinery once (a coroutine that is done at once: the loop does not
    run in between). The async engine refuses a Core statement during which its driver never awaited."""
    if in_greenlet():
        await_(_nothing())


def register() -> None:
    """Make ``sqlite+inline://`` known to SQLAlchemy (idempotent)."""
    registry.register("sqlite.inline", __name__, "InlineSQLiteDialect")
