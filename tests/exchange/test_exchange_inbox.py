"""The inbox (收件登记) on PostgreSQL and the embedded SQLite: claiming a poll's events in one statement
(``UnitOfWork.claim_all``) records each once per consumer and names the ones not recorded before, as claiming them
one by one does, in the transaction that applies them."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import text

from exchange.db.database import Database

pytestmark = pytest.mark.integration


async def _recorded(database: Database) -> dict[str, set[str]]:
    async with database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT consumer, event_id FROM processed_event"))).all()
    recorded: dict[str, set[str]] = {}
    for consumer, event_id in rows:
        recorded.setdefault(consumer, set()).add(event_id)
    return recorded


async def test_claiming_many_records_each_once_and_names_the_new_ones(outbox_db: Database) -> None:
    before, a, b, c = uuid4(), uuid4(), uuid4(), uuid4()
    async with outbox_db.unit_of_work() as uow:
        assert await uow.claim("dispatch", before)
    async with outbox_db.unit_of_work() as uow:  # the transaction's first statement (SQLAlchemy begins it)
        assert await uow.claim_all("dispatch", [before, a, b, a]) == {a, b}  # `a` twice in one poll: once
        assert not await uow.claim("dispatch", b), "the same transaction sees what it claimed"
    async with outbox_db.unit_of_work() as uow:
        assert await uow.claim("dispatch", c)  # then, on PostgreSQL, straight to asyncpg inside the transaction
        assert await uow.claim_all("dispatch", [a, b, c]) == set()
        assert await uow.claim_all("intake", [a, c]) == {a, c}  # each consumer its own
        assert await uow.claim_all("intake", []) == set()
    assert await _recorded(outbox_db) == {"dispatch": {str(x) for x in (before, a, b, c)},
                                         "intake": {str(a), str(c)}}


async def test_a_claim_whose_transaction_fails_is_not_kept(outbox_db: Database) -> None:
    event_id = uuid4()
    with pytest.raises(RuntimeError):
        async with outbox_db.unit_of_work() as uow:
            assert await uow.claim_all("supervision", [event_id]) == {event_id}
            raise RuntimeError("the handler failed: nothing of the transaction is kept")
    async with outbox_db.unit_of_work() as uow:
        assert await uow.claim_all("supervision", [event_id]) == {event_id}
