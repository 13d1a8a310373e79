"""``exchange.db.rows.TableRows`` on PostgreSQL and the embedded SQLite: a row read comes back as it was stored; a
save writes only the columns that changed, and nothing when none did; a row never read is inserted with the
model's defaults; and a later read in the same transaction sees what was written."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from exchange.db.database import Database, create_database_if_missing
from exchange.db.rows import TableRows
from exchange.db.statements import insert_rows, run
from exchange.db.timestamps import UtcDateTime

pytestmark = pytest.mark.integration

_PROBE_METADATA = MetaData()  # not the services' metadata: no migration knows this table


class Probe(SQLModel, table=True):
    metadata = _PROBE_METADATA
    __tablename__ = "rows_probe"

    probe_id: str = Field(sa_column=Column(String(32), primary_key=True))
    label: str = Field(sa_column=Column(String(64), nullable=False))
    count: int = Field(default=3, sa_column=Column(Integer, nullable=False))
    tags: list[str] = Field(default=[], sa_column=Column(JSON, nullable=False))
    at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


@pytest.fixture
async def database(each_database_url: str) -> AsyncIterator[Database]:
    db = Database(each_database_url, source="rating")
    await create_database_if_missing(db.url)
    async with db.engine.begin() as conn:
        await conn.run_sync(_PROBE_METADATA.create_all)
    yield db
    await db.dispose()


def _writes(seen: list[str]) -> Callable[[str], None]:
    def note(statement: str) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            seen.append(statement)
    return note


_DEFAULTS = Table(  # one column default SQLAlchemy binds as a constant, one it computes at insert
    "rows_defaults", _PROBE_METADATA, Column("key", String(32), primary_key=True),
    Column("tries", Integer, nullable=False, default=7), Column("made", UtcDateTime(), default=lambda: datetime.now(UTC)),
)


@pytest.fixture
def statements(database: Database) -> list[str]:
    """Every INSERT and UPDATE sent to the database, as SQL text, as the driver itself runs them (``sqlite3``'s
    trace callback, asyncpg's query log): the hot statements do not pass through SQLAlchemy's execution
    (``exchange.db.statements.run``)."""
    seen: list[str] = []
    note = _writes(seen)
    if database.engine.dialect.name == "sqlite":
        def traced(dbapi_connection: Any, *_: Any) -> None:
            dbapi_connection.set_trace_callback(note)
        event.listen(database.engine.sync_engine, "checkout", traced)
    else:  # asyncpg's own query log: what SQLAlchemy sends and what ``run`` sends past it
        listened: set[int] = set()

        def logged(dbapi_connection: Any, *_: Any) -> None:
            driver = dbapi_connection.driver_connection
            if id(driver) not in listened:
                listened.add(id(driver))
                driver.add_query_logger(lambda record: note(record.query))
        event.listen(database.engine.sync_engine, "checkout", logged)
    return seen


async def test_the_hot_statements_go_straight_to_the_driver_and_store_what_sqlalchemy_would(
    database: Database, statements: list[str]
) -> None:
    through_sqlalchemy: list[str] = []
    event.listen(database.engine.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: through_sqlalchemy.append(statement))
    at = datetime(2026, 12, 6, 8, 0, 0, 123456, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        rows = TableRows(uow, Probe)
        assert await rows.get("p0") is None  # on PostgreSQL the transaction's first statement: SQLAlchemy begins it
        await rows.save({"probe_id": "p1", "label": "新", "tags": ["a", {"b": 1.5}], "at": at})
        assert await rows.get("p1") == {"probe_id": "p1", "label": "新", "count": 3, "tags": ["a", {"b": 1.5}],
                                        "at": at}
    hot = [s for s in through_sqlalchemy if s.lstrip().upper().startswith(("INSERT", "SELECT"))]
    assert statements and len(hot) == (1 if database.engine.dialect.name == "postgresql" else 0), hot
    async with database.engine.connect() as connection:  # SQLAlchemy's own reading of what was stored
        [stored] = (await connection.execute(select(Probe.__table__))).mappings()  # type: ignore[attr-defined]
    assert dict(stored) == {"probe_id": "p1", "label": "新", "count": 3, "tags": ["a", {"b": 1.5}], "at": at}
    async with database.unit_of_work() as uow:  # and SQLAlchemy's writing, read straight from sqlite3
        connection = await uow.connection()
        await connection.execute(insert(Probe.__table__), {  # type: ignore[attr-defined]
            "probe_id": "p2", "label": "二", "count": 1, "tags": [], "at": at})
        assert await TableRows(uow, Probe).get("p2") == {"probe_id": "p2", "label": "二", "count": 1, "tags": [],
                                                          "at": at}


async def test_a_constraint_broken_on_the_fast_path_is_the_error_sqlalchemy_raises(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await TableRows(uow, Probe).save({"probe_id": "p1", "label": "one"})
    with pytest.raises(IntegrityError):
        async with database.unit_of_work() as uow:
            rows = TableRows(uow, Probe)
            assert await rows.get("p0") is None  # PostgreSQL: SQLAlchemy begins the transaction, the INSERT is raw
            await rows.save({"probe_id": "p1", "label": "again"})  # p1 never read here: an INSERT


async def test_a_new_row_is_inserted_with_the_models_defaults_and_read_back_as_stored(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await TableRows(uow, Probe).save({"probe_id": "p1", "label": "新", "tags": ["a", "b"]})
    async with database.unit_of_work() as uow:
        row = await TableRows(uow, Probe).get("p1")
    assert row == {"probe_id": "p1", "label": "新", "count": 3, "tags": ["a", "b"], "at": None}


async def test_a_save_updates_only_the_changed_columns_and_nothing_when_none_changed(
    database: Database, statements: list[str]
) -> None:
    async with database.unit_of_work() as uow:
        await TableRows(uow, Probe).save({"probe_id": "p1", "label": "one", "tags": []})
    statements.clear()

    at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        rows = TableRows(uow, Probe)
        row = await rows.get("p1", for_update=True)
        assert row is not None
        await rows.save({**row, "count": 4, "at": at})
        await rows.save({**row, "count": 4, "at": at})  # the same again: already written
    [update] = statements
    assert update.lstrip().upper().startswith("UPDATE")
    assert "count" in update and "at" in update and "label" not in update and "tags" not in update

    statements.clear()
    async with database.unit_of_work() as uow:
        rows = TableRows(uow, Probe)
        row = await rows.get("p1")
        assert row is not None and row["count"] == 4 and row["at"] == at
        await rows.save(dict(row))
    assert statements == []


async def test_a_later_read_in_the_same_transaction_sees_what_was_written(database: Database) -> None:
    async with database.unit_of_work() as uow:
        first = TableRows(uow, Probe)
        await first.save_all([{"probe_id": "p1", "label": "one"}, {"probe_id": "p2", "label": "two", "count": 9}])
        second = TableRows(uow, Probe)  # the next record's repository, in the same shared transaction
        assert await second.exists("p2") and not await second.exists("p3")
        found = await second.where(second.column("count") > 5)
        assert [r["probe_id"] for r in found] == ["p2"]
        assert sorted(await second.values_of("label")) == ["one", "two"]
        assert await second.values_of("label", count=9) == ["two"]
        assert sorted(await second.values_of("label", at=None)) == ["one", "two"]  # IS NULL, not "= NULL"


async def test_nothing_is_kept_when_the_transaction_rolls_back(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as uow:
            await TableRows(uow, Probe).save({"probe_id": "p1", "label": "one"})
            raise RuntimeError("the use case failed")
    async with database.unit_of_work() as uow:
        assert await TableRows(uow, Probe).get("p1") is None


async def test_a_constant_column_default_is_bound_on_the_fast_path_and_a_computed_one_left_to_sqlalchemy(
    database: Database,
) -> None:
    through_sqlalchemy: list[str] = []
    event.listen(database.engine.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: through_sqlalchemy.append(statement))
    async with database.unit_of_work() as uow:
        connection = await uow.connection()
        await connection.execute(select(_DEFAULTS).limit(1))  # PostgreSQL: SQLAlchemy begins the transaction
        through_sqlalchemy.clear()
        await run(connection, insert_rows(_DEFAULTS), {"key": "k1", "made": datetime(2026, 12, 7, tzinfo=UTC)})
        assert not through_sqlalchemy, "the constant default (tries) did not keep the INSERT off SQLAlchemy"
        await run(connection, insert_rows(_DEFAULTS), {"key": "k2"})  # made: a function SQLAlchemy calls
        assert len(through_sqlalchemy) == 1
        rows = {row["key"]: row for row in (await connection.execute(select(_DEFAULTS))).mappings()}
    assert rows["k1"]["tries"] == rows["k2"]["tries"] == 7
    assert rows["k1"]["made"] == datetime(2026, 12, 7, tzinfo=UTC) and rows["k2"]["made"] is not None
