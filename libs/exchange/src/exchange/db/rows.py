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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Column, ColumnElement, Table, and_, insert, select, update
from sqlmodel import SQLModel

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


class TableRows(Generic[M]):
    """One table's rows for one unit of work's repository."""

    def __init__(self, uow: UnitOfWork, model: type[M]) -> None:
        self._uow = uow
        self._model = model
        self.table: Table = model.__table__  # type: ignore[attr-defined]
        self._key_columns: tuple[Column[Any], ...] = tuple(self.table.primary_key.columns)
        self._known: dict[Key, dict[str, Any]] = {}  # each row's values as read or last written here

    def column(self, name: str) -> Column[Any]:
        return self.table.c[name]

    def _key_of(self, values: Mapping[str, Any]) -> Key:
        return tuple(values[c.name] for c in self._key_columns)

    def _key_matches(self, key: Key) -> ColumnElement[bool]:
        return and_(*(c == v for c, v in zip(self._key_columns, key, strict=True)))

    @staticmethod
    def _as_key(key: object) -> Key:
        return key if isinstance(key, tuple) else (key,)

    async def get(self, key: object, *, for_update: bool = False) -> dict[str, Any] | None:
        """The row with this primary key (a tuple for a composite key), or None. ``for_update``: held until the
        transaction ends, so two writers of one aggregate take turns (PostgreSQL locks the row; the embedded SQLite
        default already lets one writer in at a time)."""
        found = await self.where(self._key_matches(self._as_key(key)), for_update=for_update)
        return found[0] if found else None

    async def where(self, *criteria: ColumnElement[bool], for_update: bool = False,
                    order_by: Sequence[ColumnElement[Any] | Column[Any]] = ()) -> list[dict[str, Any]]:
        """Every row matching ``criteria``, each remembered for :meth:`save`."""
        statement = select(self.table).where(*criteria).order_by(*order_by)
        if for_update and self._uow.dialect == "postgresql":
            statement = statement.with_for_update()
        connection = await self._uow.connection()
        rows = [dict(row) for row in (await connection.execute(statement)).mappings()]
        for row in rows:
            self._known[self._key_of(row)] = row
        return rows

    async def values_of(self, column: Column[Any], *criteria: ColumnElement[bool]) -> list[Any]:
        """One column of every row matching ``criteria`` (not remembered: nothing to write back)."""
        connection = await self._uow.connection()
        return list((await connection.execute(select(column).where(*criteria))).scalars())

    async def exists(self, key: object) -> bool:
        key = self._as_key(key)
        if key in self._known:
            return True
        return bool(await self.values_of(self._key_columns[0], self._key_matches(key)))

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
                await connection.execute(update(self.table).where(self._key_matches(key)).values(changed))
                known.update(changed)
        by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
        for row in inserts:  # an executemany takes one set of columns
            by_columns.setdefault(frozenset(row), []).append(row)
        for group in by_columns.values():
            await connection.execute(insert(self.table), group)
