"""One transaction on a Core connection, an ORM session in it only when asked for (docs/performance.md, step 30):
what the session holds, the Core rows and the outbox commit together or not at all; a unit of work that never asks
for the session makes none. Real PostgreSQL and the embedded SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.orm import Session

from exchange.db.database import Database
from exchange.db.statements import insert_if_absent, run
from exchange.db.tables import ProcessedEvent


async def _inbox(database: Database) -> list[str]:
    async with database.engine.connect() as connection:
        return sorted(r[0] for r in await connection.execute(text("SELECT event_id FROM processed_event")))


async def _outbox(database: Database) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(text("SELECT count(DISTINCT event_id) FROM outbox")) or 0)


@pytest.fixture
def sessions_begun() -> Iterator[list[Session]]:
    """Every ORM session transaction begun while the test runs."""
    begun: list[Session] = []

    def seen(session: Session, *_: Any) -> None:
        begun.append(session)

    event.listen(Session, "after_begin", seen)
    yield begun
    event.remove(Session, "after_begin", seen)


def _row(event_id: str) -> dict[str, Any]:
    return {"consumer": "tests", "event_id": event_id, "processed_at": datetime.now(UTC)}


async def test_the_sessions_rows_the_core_rows_and_the_outbox_commit_together(outbox_db: Database, envelopes) -> None:
    async with outbox_db.unit_of_work() as uow:
        uow.session.add(ProcessedEvent(**_row("orm")))  # flushed before the commit, by the unit of work
        await run(await uow.connection(), insert_if_absent(ProcessedEvent.__table__, uow.dialect), _row("core"))
        uow.emit(envelopes.rating("case-1"), subject="case-1")
    assert await _inbox(outbox_db) == ["core", "orm"]
    assert await _outbox(outbox_db) == 1


async def test_a_failure_leaves_none_of_them(outbox_db: Database, envelopes) -> None:
    with pytest.raises(RuntimeError, match="the handler failed"):
        async with outbox_db.unit_of_work() as uow:
            uow.session.add(ProcessedEvent(**_row("orm")))
            await uow.session.flush()  # in the transaction already, not only in the session
            await run(await uow.connection(), insert_if_absent(ProcessedEvent.__table__, uow.dialect), _row("core"))
            uow.emit(envelopes.rating("case-1"), subject="case-1")
            await uow.flush_outbox()
            raise RuntimeError("the handler failed")
    assert await _inbox(outbox_db) == []
    assert await _outbox(outbox_db) == 0


async def test_a_unit_of_work_that_never_asks_for_the_session_makes_none(
    outbox_db: Database, envelopes, sessions_begun: list[Session]
) -> None:
    async with outbox_db.unit_of_work() as uow:
        assert await uow.claim_all("tests", [uuid4()])
        uow.emit(envelopes.rating("case-1"), subject="case-1")
    assert await _outbox(outbox_db) == 1 and len(await _inbox(outbox_db)) == 1
    assert sessions_begun == []
    async with outbox_db.unit_of_work() as uow:  # the listener sees a session when there is one
        await uow.session.get(ProcessedEvent, ("tests", "none"))
    assert len(sessions_begun) == 1


async def test_rows_inserted_later_are_written_together_before_the_commit(outbox_db: Database) -> None:
    inbox = ProcessedEvent.__table__  # type: ignore[attr-defined]
    async with outbox_db.unit_of_work() as uow:
        await run(await uow.connection(), insert_if_absent(inbox, uow.dialect), _row("there-before"))
    async with outbox_db.unit_of_work() as uow:
        for event_id in ("later-1", "there-before", "later-2"):
            uow.insert_later(inbox, _row(event_id))
    assert await _inbox(outbox_db) == ["later-1", "later-2", "there-before"]  # the one there before left as it is
    with pytest.raises(RuntimeError, match="the handler failed"):
        async with outbox_db.unit_of_work() as uow:
            uow.insert_later(inbox, _row("never"))
            raise RuntimeError("the handler failed")
    assert "never" not in await _inbox(outbox_db)


async def test_rows_inserted_later_with_different_columns_keep_each_their_own(outbox_db: Database) -> None:
    inbox = ProcessedEvent.__table__  # type: ignore[attr-defined]
    async with outbox_db.unit_of_work() as uow:
        uow.insert_later(inbox, _row("with-time"))
        uow.insert_later(inbox, {**_row("time-first"), "consumer": "others"})
        uow.insert_later(inbox, {"event_id": "keys-in-another-order", "consumer": "tests",
                                 "processed_at": datetime.now(UTC)})
    async with outbox_db.engine.connect() as connection:
        rows = sorted(tuple(r) for r in await connection.execute(text("SELECT consumer, event_id FROM processed_event")))
    assert rows == [("others", "time-first"), ("tests", "keys-in-another-order"), ("tests", "with-time")]


async def test_a_transaction_its_session_ended_is_an_error_not_a_commit(outbox_db: Database, envelopes) -> None:
    async with outbox_db.unit_of_work() as uow:
        uow.session.add(ProcessedEvent(**_row("taken")))
    with pytest.raises(InvalidRequestError, match="ended before its commit"):
        async with outbox_db.unit_of_work() as uow:
            uow.emit(envelopes.rating("case-1"), subject="case-1")
            uow.session.add(ProcessedEvent(**_row("taken")))  # the same key: the flush fails
            with pytest.raises(IntegrityError):
                await uow.session.flush()  # a handler that catches it and carries on
            uow.emit(envelopes.rating("case-2"), subject="case-2")
    assert await _outbox(outbox_db) == 0
