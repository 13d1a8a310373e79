"""Core statements built once per table and shape (语句只构建一次), executed with parameters.

Why (``docs/performance.md``, step 9): building ``select(t).where(t.c.x == value)`` or ``insert(t).values(…)``
anew for every record cost more than running it. The clause constructors coerce every operand, and
SQLAlchemy then walks the new statement to find its cache key before it can reuse the compiled SQL. A statement
built once, with ``bindparam`` placeholders, memoises its cache key. Each execution only binds the values.

Parameter names: an equality on column ``x`` is bound as ``eq_x`` (:func:`equal_params`). An ``UPDATE`` or
``INSERT`` takes its columns from the parameters' own names (SQLAlchemy derives the ``SET`` and ``VALUES``
lists from them), so one statement serves every set of changed columns.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Insert, Select, Table, Update, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

__all__ = [
    "equal_params", "insert_if_absent", "insert_rows", "select_where_equal", "update_where_equal",
]


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
