"""Core statements built once per table and shape (语句只构建一次), executed with parameters.

Why (``docs/performance.md``, step 9): building ``select(t).where(t.c.x == value)`` or ``insert(t).values(…)``
anew for every record cost more than running it. The clause constructors coerce every operand, and
SQLAlchemy then walks the new statement to find its cache key before it can reuse the compiled SQL. A statement
built once, with ``bindparam`` placeholders, memoises its cache key. Each execution only binds the values.

Parameter names: an equality on column ``x`` is bound as ``eq_x`` (:func:`equal_params`). An ``UPDATE`` or
``INSERT`` takes its columns from the parameters' own names (SQLAlchemy derives the ``SET`` and ``VALUES``
lists from them), so one statement serves every set of changed columns.

:func:`run` executes them. On the embedded SQLite (``exchange.db.inline_sqlite``) it hands the SQL SQLAlchemy
compiled, once per statement and set of parameter names, straight to the ``sqlite3`` cursor of the transaction's
connection, with the parameters and result values converted by the columns' own SQLAlchemy types (so what is
stored, and read back, is exactly what SQLAlchemy would have stored and read): 10–45 µs a statement against
120–140 µs through ``AsyncConnection.execute`` on these machines (``benchmarks/statement_cost.py``, step 12 of
``docs/performance.md``), and a record's handling runs several. On PostgreSQL (``asyncpg``) it does the same on the
transaction's own asyncpg connection, once SQLAlchemy has begun the transaction there (asyncpg's
``is_in_transaction``: a unit of work's first statement goes through SQLAlchemy, which begins it); errors are
raised as SQLAlchemy's (its DBAPI classes picked as its asyncpg adapter picks them). Any statement whose execution
SQLAlchemy would have to complete itself (a column default computed at insert by a function, an ``onupdate``) is
``AsyncConnection.execute``.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Insert, Select, Table, TextualSelect, Update, bindparam, exc, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import Compiled, SQLCompiler

from exchange.db.inline_sqlite import InlineSQLiteDialect

__all__ = [
    "Executed", "equal_params", "insert_if_absent", "insert_rows", "run", "select_where_equal",
    "update_where_equal",
]

Statement = Select[Any] | Insert | Update | TextualSelect  # the last: a statement SQLAlchemy has no construct for
Params = Mapping[str, Any]


def equal_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of the ``*_where_equal`` statements for ``column name → value``."""
    return {f"eq_{name}": value for name, value in values.items()}


def _equal(table: Table, names: tuple[str, ...]) -> list[Any]:
    return [table.c[name] == bindparam(f"eq_{name}") for name in names]


@functools.cache
def select_where_equal(table: Table, names: tuple[str, ...], *, columns: tuple[str, ...] = (),
                       order_by: tuple[str, ...] = (), limit: int | None = None, lock: bool = False) -> Select[Any]:
    """``SELECT`` (every column, or ``columns``) of the rows whose ``names`` equal their ``eq_`` parameters, the
    first ``limit``; ``lock``: ``FOR UPDATE`` (ask for it on PostgreSQL only: SQLite has no row locks)."""
    chosen = [table.c[name] for name in columns] if columns else [table]
    statement = (select(*chosen).where(*_equal(table, names)).order_by(*(table.c[name] for name in order_by))
                 .limit(limit))
    return statement.with_for_update() if lock else statement


@functools.cache
def update_where_equal(table: Table, names: tuple[str, ...]) -> Update:
    """``UPDATE`` of the rows whose ``names`` equal their ``eq_`` parameters; the other parameters name the columns
    to set."""
    return update(table).where(*_equal(table, names))


@functools.cache
def insert_rows(table: Table) -> Insert:
    """``INSERT`` of one row (a parameter dict) or many (a list of dicts with the same keys)."""
    return insert(table)


@functools.cache
def insert_if_absent(table: Table, dialect: str) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING``: a row whose key is already there is left as it is (``rowcount`` 0)."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing()


@dataclass(frozen=True, slots=True)
class Executed:
    """What a statement did: the rows it selected (column key → value), how many rows it wrote."""

    rows: list[dict[str, Any]]
    rowcount: int


async def run(connection: AsyncConnection, statement: Statement, params: Params | Sequence[Params]) -> Executed:
    """Execute one of this module's statements with ``params`` (a list: once per item, an ``executemany``)."""
    many: list[Params] = [] if isinstance(params, Mapping) else list(params)
    if not many and not isinstance(params, Mapping):
        return Executed([], 0)  # nothing to write (SQLAlchemy would run it once with no parameters)
    first: Params = many[0] if many else params  # type: ignore[assignment]
    names = tuple(first)
    dialect = connection.dialect
    if isinstance(dialect, InlineSQLiteDialect) and names:
        prepared = _prepared(statement, dialect, names)
        if prepared is not None:
            return prepared.execute(connection, many or [params])  # type: ignore[list-item]
    elif dialect.driver == "asyncpg" and names:
        prepared = _prepared(statement, dialect, names)
        if prepared is not None:
            driver = (await connection.get_raw_connection()).driver_connection
            # Only inside the transaction SQLAlchemy began (its first statement begins it): outside, a
            # statement would commit on its own.
            if driver is not None and driver.is_in_transaction():
                return await prepared.execute_asyncpg(driver, many or [params], dialect)  # type: ignore[list-item]
    result = await connection.execute(statement, many or params)
    rows = [dict(row) for row in result.mappings()] if result.returns_rows else []
    return Executed(rows, result.rowcount)


Convert = Callable[[Any], Any] | None
Bind = tuple[str, Any, Convert]  # (parameter name, a fixed value or _GIVEN, the bound type's converter)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One statement compiled for SQLite with one set of parameter names: the SQL, how each positional value is made
    from the parameters (the bound column's type converts it), and how each selected column is read back."""

    sql: str
    binds: tuple[Bind, ...]
    columns: tuple[tuple[str, Convert], ...]  # (column key, the type's result converter); empty: selects no rows

    def values(self, params: Params) -> tuple[Any, ...]:
        out = []
        for name, fixed, convert in self.binds:
            value = params[name] if fixed is _GIVEN else fixed
            out.append(value if convert is None else convert(value))
        return tuple(out)

    def execute(self, connection: AsyncConnection, params: list[Params]) -> Executed:
        """On the transaction's own ``sqlite3`` connection (SQLAlchemy's pool hands out the one it began on)."""
        raw: sqlite3.Connection = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr,assignment]
        cursor = raw.cursor()
        try:
            if len(params) == 1:
                cursor.execute(self.sql, self.values(params[0]))
            else:
                cursor.executemany(self.sql, [self.values(p) for p in params])
            fetched = cursor.fetchall() if self.columns else []
            written = cursor.rowcount
        except sqlite3.Error as error:  # as SQLAlchemy raises it: IntegrityError, OperationalError, …
            raise exc.DBAPIError.instance(self.sql, None, error, sqlite3.Error, hide_parameters=True) from error
        finally:
            cursor.close()
        rows = [{key: value if convert is None else convert(value)
                 for (key, convert), value in zip(self.columns, row, strict=True)} for row in fetched]
        return Executed(rows, written)

    async def execute_asyncpg(self, driver: asyncpg.Connection, params: list[Params], dialect: Dialect) -> Executed:
        """On the transaction's own ``asyncpg`` connection (asyncpg keeps the prepared statement per connection);
        an error is raised as SQLAlchemy raises it, its DBAPI class chosen as SQLAlchemy's asyncpg adapter does.
        Several parameter sets: ``executemany``, whose row count is unknown (-1), as through SQLAlchemy."""
        try:
            fetched: list[Any] = []
            if len(params) > 1:
                await driver.executemany(self.sql, [self.values(p) for p in params])
                written = -1
            elif self.columns:
                fetched = await driver.fetch(self.sql, *self.values(params[0]))
                written = len(fetched)
            else:
                written = _rowcount(await driver.execute(self.sql, *self.values(params[0])))
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise exc.DBAPIError.instance(self.sql, None, _as_dbapi_error(error, dialect), dialect.loaded_dbapi.Error,
                                          hide_parameters=True) from error
        rows = [{key: value if convert is None else convert(value)
                 for (key, convert), value in zip(self.columns, row, strict=True)} for row in fetched]
        return Executed(rows, written)


def _rowcount(status: str) -> int:
    """The row count of a command tag: ``UPDATE 3``, ``DELETE 0``, ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


def _as_dbapi_error(error: Exception, dialect: Dialect) -> Exception:
    """``error`` as the DBAPI exception SQLAlchemy's asyncpg adapter would raise for it (so SQLAlchemy makes the
    same ``IntegrityError``, ``ProgrammingError`` … of it, and failure classes stay as they are)."""
    name = next((name for kind, name in _ASYNCPG_ERRORS if isinstance(error, kind)), "Error")
    made: Exception = getattr(dialect.loaded_dbapi, name)(error.args[0] if error.args else str(error), error)
    return made


_ASYNCPG_ERRORS: tuple[tuple[type[Exception], str], ...] = (  # most specific first, as the adapter's table
    (asyncpg.exceptions.IntegrityConstraintViolationError, "IntegrityError"),
    (asyncpg.exceptions.SyntaxOrAccessError, "ProgrammingError"),
    (asyncpg.exceptions.InternalServerError, "InternalError"),
    (asyncpg.exceptions.InterfaceError, "InterfaceError"),
    (asyncpg.exceptions.PostgresError, "Error"),
)


_GIVEN = object()
_PREPARED: dict[tuple[int, tuple[str, ...], str], tuple[Statement, _Prepared | None]] = {}
_PREPARED_AT_MOST = 4096  # statements × parameter-name sets; an UPDATE's sets are the columns a save changed


def _prepared(statement: Statement, dialect: Dialect, names: tuple[str, ...]) -> _Prepared | None:
    """The statement compiled for these parameter names (kept: the statements here are built once); None when its
    execution needs more than the SQL and the values (a column default or an ``onupdate`` SQLAlchemy computes)."""
    key = (id(statement), names, dialect.name)  # one process may speak to both (the tests do)
    found = _PREPARED.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    writes = [name for name in names if not name.startswith("eq_")]
    compiled = statement.compile(dialect=dialect, column_keys=writes or None)
    binds = _binds(compiled, dialect, names)
    prepared = None
    if binds is not None:
        selected = statement.selected_columns if isinstance(statement, Select | TextualSelect) else ()
        try:
            prepared = _Prepared(compiled.string, binds, tuple(
                (column.key, column.type.dialect_impl(dialect).result_processor(dialect, None))
                for column in selected if column.key is not None))
        except (exc.SQLAlchemyError, TypeError):  # a type whose reading depends on the column's type on the wire
            prepared = None  # (a float on PostgreSQL): only SQLAlchemy, which has the cursor's description, reads it
    if len(_PREPARED) >= _PREPARED_AT_MOST:
        _PREPARED.clear()  # compiled again as they come: bounded memory, whatever a service's saves change
    _PREPARED[key] = (statement, prepared)
    return prepared


def _binds(compiled: Compiled, dialect: Dialect, names: tuple[str, ...]) -> tuple[Bind, ...] | None:
    """Where each ``?`` of the compiled statement gets its value; None if SQLAlchemy would compute one itself (a
    column default that is a function, an ``onupdate``). A constant column default an INSERT leaves out is bound
    as that constant, as SQLAlchemy binds it."""
    if (getattr(compiled, "update_prefetch", None) or not isinstance(compiled, SQLCompiler)
            or compiled.positiontup is None):
        return None
    defaults: dict[str, Any] = {}
    for column in getattr(compiled, "insert_prefetch", None) or ():
        if column.default is None or not column.default.is_scalar:
            return None
        defaults[column.key] = column.default.arg
    binds: list[Bind] = []
    for name in compiled.positiontup:
        bound = compiled.binds[name]
        if name in names:
            fixed: Any = _GIVEN
        elif name in defaults:
            fixed = defaults[name]
        elif bound.value is not None and bound.callable is None:
            fixed = bound.value  # a literal of the statement itself (its LIMIT)
        else:
            return None
        binds.append((name, fixed, bound.type.dialect_impl(dialect).bind_processor(dialect)))
    return tuple(binds)
