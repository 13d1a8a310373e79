"""A repository's rows through SQLAlchemy Core (行存取): read a table's rows as plain mappings, write back only what
changed, on the unit of work's own connection.

Why not the ORM session on the hot path (``docs/performance.md``, step 8): a ``Session.get`` built an ORM object,
kept it in the identity map and, before every later query of the transaction, flushed what the records handled
before had changed (autoflush); at the commit the unit of work walked every object for changes. A repository already
keeps its own identity map (``exchange.db.identity``) and knows exactly which aggregate it handed out: what it
needs from the database is a row's values and one statement per changed row.

:class:`TableRows` remembers the values each row had when read (or last written) in this transaction, so
:meth:`TableRows.save` issues an ``UPDATE`` of the changed columns only, nothing when none changed, and an
``INSERT`` (with the table model's defaults filled in) for a row it never read. Statements run at once, in order,
so a later read in the same transaction (the next record of a shared poll) sees them.

Every row written here carries its primary key: an append-only table whose key the database generates (intake's
timeline, licence's status-change ledger) is written by its repository with one Core ``INSERT`` instead.

Rows read here must not be mutated in place by the caller (the remembered values are the same objects): build
the aggregate from them and hand :meth:`TableRows.save` fresh values, as the repositories' ``_values`` functions do.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Column, ColumnElement, Table, select
from sqlmodel import SQLModel

from exchange.db.statements import (
    equal_params,
    insert_if_absent,
    insert_rows,
    run,
    select_where_equal,
    update_where_equal,
)
from exchange.db.tables import table_of
from exchange.db.unit_of_work import UnitOfWork

__all__ = ["TableRows"]

M = TypeVar("M", bound=SQLModel)
Key = tuple[Any, ...]

_DEFAULTS: dict[type[SQLModel], dict[str, Any]] = {}


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The model's plain field defaults (``Field(default=…)``, which SQLModel keeps on the Python side only: a Core
    ``INSERT`` would otherwise leave those columns NULL)."""
    found = _DEFAULTS.get(model)
    if found is None:
        found = _DEFAULTS[model] = {
            name: field.default for name, field in model.model_fields.items()
            if field.default is not PydanticUndefined and field.default_factory is None
        }
    return found


@functools.cache
def _key_names(table: Table) -> tuple[str, ...]:  # every record's repositories make a TableRows per table
    return tuple(c.name for c in table.primary_key.columns)


class TableRows(Generic[M]):
    """One table's rows for one unit of work's repository.

    Reads by column equality (``where(case_id=…)``, ``get(key)``) run statements built once per table and shape
    (``exchange.db.statements``, step 9 of ``docs/performance.md``); other criteria are built per call."""

    def __init__(self, uow: UnitOfWork, model: type[M]) -> None:
        self._uow = uow
        self._model = model
        self.table: Table = table_of(model)
        self._key_names = _key_names(self.table)
        self._known: dict[Key, dict[str, Any]] = {}  # each row's values as read or last written here

    def column(self, name: str) -> Column[Any]:
        return self.table.c[name]

    def _key_of(self, values: Mapping[str, Any]) -> Key:
        return tuple(values[name] for name in self._key_names)

    def _key_values(self, key: object) -> dict[str, Any]:
        return dict(zip(self._key_names, key if isinstance(key, tuple) else (key,), strict=True))

    async def get(self, key: object, *, for_update: bool = False) -> dict[str, Any] | None:
        """The row with this primary key (a tuple for a composite key), or None. ``for_update``: held until the
        transaction ends, so two writers of one aggregate take turns (PostgreSQL locks the row; the embedded SQLite
        default already lets one writer in at a time)."""
        found = await self.where(for_update=for_update, **self._key_values(key))
        return found[0] if found else None

    async def where(self, *criteria: ColumnElement[bool], for_update: bool = False, order_by: Sequence[str] = (),
                    limit: int | None = None, **equal: Any) -> list[dict[str, Any]]:
        """Every row matching ``criteria`` and whose columns equal ``equal`` (``where(case_id=…)``), ordered by the
        ``order_by`` column names, the first ``limit``; each remembered for :meth:`save`."""
        lock = for_update and self._uow.dialect == "postgresql"
        connection = await self._uow.connection()
        if criteria or None in equal.values():  # `== None` is built as IS NULL; a bound NULL would match nothing
            built = (select(self.table).where(*criteria, *(self.table.c[n] == v for n, v in equal.items()))
                     .order_by(*(self.table.c[name] for name in order_by)).limit(limit))
            rows = [dict(row) for row in (await connection.execute(
                built.with_for_update() if lock else built)).mappings()]
        else:
            statement = select_where_equal(self.table, tuple(equal), order_by=tuple(order_by), limit=limit, lock=lock)
            rows = (await run(connection, statement, equal_params(equal))).rows
        for row in rows:
            self._known[self._key_of(row)] = row
        return rows

    async def values_of(self, column: str, *criteria: ColumnElement[bool], **equal: Any) -> list[Any]:
        """One column of every row matching ``criteria`` and ``equal`` (not remembered: nothing to write back)."""
        connection = await self._uow.connection()
        if criteria or None in equal.values():
            built = select(self.table.c[column]).where(*criteria, *(self.table.c[n] == v for n, v in equal.items()))
            return list((await connection.execute(built)).scalars())
        statement = select_where_equal(self.table, tuple(equal), columns=(column,))
        return [row[column] for row in (await run(connection, statement, equal_params(equal))).rows]

    async def exists(self, key: object) -> bool:
        values = self._key_values(key)
        if tuple(values.values()) in self._known:
            return True
        return bool(await self.values_of(self._key_names[0], **values))

    async def take_next(self, key: object, counter: str, *, first: int) -> int:
        """The value of the ``counter`` column of the row at ``key`` (a per-key sequence: a department's next status
        index, its next queue number), moved on by one at once; a missing row starts at ``first``.

        Two transactions may race to create the row: ``INSERT … ON CONFLICT DO NOTHING`` (the second waits for the
        first's transaction, then does nothing), then the locked read, so they take turns and never fail on the
        key or take the same value."""
        connection = await self._uow.connection()
        values = self._key_values(key)
        await run(connection, insert_if_absent(self.table, self._uow.dialect), {**values, counter: first})
        row = await self.get(key, for_update=True)
        assert row is not None  # inserted above, or by the transaction that won
        taken: int = row[counter]
        await self.save({**values, counter: taken + 1})
        return taken

    async def save(self, values: Mapping[str, Any]) -> None:
        """Write one row: an ``UPDATE`` of the columns that differ from what was read (none: no statement), or an
        ``INSERT`` of a row never read here, its missing columns given the model's defaults."""
        await self.save_all((values,))

    async def save_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """:meth:`save` for many rows; the new ones in one ``INSERT`` (in order, after the updates)."""
        connection = await self._uow.connection()
        inserts: list[dict[str, Any]] = []
        for values in rows:
            key = self._key_of(values)
            known = self._known.get(key)
            if known is None:
                row = {**{k: copy.copy(v) for k, v in _defaults(self._model).items()}, **values}
                inserts.append(row)
                self._known[key] = row
                continue
            changed = {name: value for name, value in values.items() if known.get(name) != value}
            if changed:
                statement = update_where_equal(self.table, self._key_names)
                await run(connection, statement, {**changed, **equal_params(self._key_values(key))})
                known.update(changed)
        by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
        for row in inserts:  # an executemany takes one set of columns
            by_columns.setdefault(frozenset(row), []).append(row)
        for group in by_columns.values():
            await run(connection, insert_rows(self.table), group)
