"""Transactional outbox and relay: committed rows are published in order, signed and chained.

Runs against PostgreSQL and against the embedded SQLite default.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.errors import ProducerClosed
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.rating.v1 import RatingSubmitted
from exchange.chain import verify_chain
from exchange.db.database import Database
from exchange.kafka.producer import Producer
from exchange.outbox import OutboxRelay
from exchange.testing.schema import create_plumbing_tables

pytestmark = pytest.mark.integration

RATING = RatingSubmitted.event_type


@pytest.fixture
async def outbox_db(each_database_url: str) -> AsyncIterator[Database]:
    database = Database(each_database_url, source="tests")
    await create_plumbing_tables(database)
    yield database
    await database.dispose()


async def publish_all(relay: OutboxRelay) -> int:
    total = 0
    while sent := await relay.publish_pending():
        total += sent
    return total


async def outbox_rows(database: Database) -> list[tuple[Any, ...]]:
    async with database.engine.connect() as conn:
        result = await conn.execute(text("SELECT seq, event_id, key, published_at, attempts FROM outbox ORDER BY seq"))
        return [tuple(r) for r in result.all()]


def decode(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]


async def test_relay_publishes_in_order_signed_and_chained(outbox_db: Database, bus, keyring, envelopes) -> None:
    topic = bus.topic(partitions=2)
    await bus.create(topic)
    cases = ["case-a", "case-b", "case-a", "case-c", "case-a", "case-b"]

    emitted: list[Envelope] = []
    async with outbox_db.unit_of_work() as uow:  # one transaction, several events
        for case in cases[:3]:
            emitted.append(uow.emit(envelopes.rating(case), subject=case, topics=[topic]))
    assert outbox_db.outbox_written.is_set()  # the relay would be woken at once
    for case in cases[3:]:  # and one transaction per event
        async with outbox_db.unit_of_work() as uow:
            emitted.append(uow.emit(envelopes.rating(case), subject=case, topics=[topic]))
    assert all(row[3] is None for row in await outbox_rows(outbox_db))

    signer = keyring.signer("tests")
    relay = OutboxRelay(outbox_db, bus.producer, signer, batch_size=4)  # two batches: 4 + 2
    assert await publish_all(relay) == len(cases)
    assert relay.published == len(cases)

    records = await bus.read(topic.name, len(cases))
    assert len(records) == len(cases)  # nothing published twice
    wires = decode(records)
    for record, wire in zip(records, wires, strict=True):
        keyring.verify_envelope(wire)  # signed by the relay's principal, verifiable by anyone
        assert record.key == wire["subject"].encode()
        headers = dict(record.headers)
        assert headers["event-type"] == RATING.encode()
        assert headers["event-id"] == wire["id"].encode()
    # Order per key (partition) is the order of the commits.
    for case in set(cases):
        got = [(r.offset, w["id"]) for r, w in zip(records, wires, strict=True) if w["subject"] == case]
        assert [i for _, i in sorted(got)] == [str(e.id) for e in emitted if e.subject == case]
        assert len({r.partition for r, w in zip(records, wires, strict=True) if w["subject"] == case}) == 1
    # The chain follows the outbox order, 1..n, without gaps.
    by_id = {w["id"]: w for w in wires}
    assert [by_id[str(e.id)]["chain"]["seq"] for e in emitted] == list(range(1, len(cases) + 1))
    report = verify_chain(wires)
    assert report.intact, report.problems
    assert report.heads["tests"].seq == len(cases)

    rows = await outbox_rows(outbox_db)
    assert [r[1] for r in rows] == [str(e.id) for e in emitted]
    assert all(r[3] is not None and r[4] == 1 for r in rows)  # marked published, once
    async with outbox_db.engine.connect() as conn:
        head = (await conn.execute(text("SELECT producer, seq, digest FROM chain_head"))).all()
    assert [tuple(h) for h in head] == [("tests", len(cases), report.heads["tests"].digest)]
    assert await relay.publish_pending() == 0

    # A new relay (a restarted process) continues the chain from the stored head.
    restarted_db = Database(outbox_db.url, source="tests")
    try:
        more = []
        async with restarted_db.unit_of_work() as uow:
            more = [uow.emit(envelopes.rating(c), subject=c, topics=[topic]) for c in ("case-b", "case-d")]
        second = OutboxRelay(restarted_db, bus.producer, keyring.signer("tests"))
        assert await publish_all(second) == 2
    finally:
        await restarted_db.dispose()
    all_wires = decode(await bus.read(topic.name, len(cases) + 2))
    assert len(all_wires) == len(cases) + 2
    later = {w["id"]: w for w in all_wires}
    assert [later[str(e.id)]["chain"]["seq"] for e in more] == [len(cases) + 1, len(cases) + 2]
    report = verify_chain(all_wires)
    assert report.intact, report.problems
    assert report.heads["tests"].seq == len(cases) + 2


async def test_rolled_back_unit_of_work_publishes_nothing(outbox_db: Database, bus, keyring, envelopes) -> None:
    topic = bus.topic()
    await bus.create(topic)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with outbox_db.unit_of_work() as uow:
            uow.emit(envelopes.rating("case-x"), subject="case-x", topics=[topic])
            await uow.session.flush()  # the row really reached the database before the rollback
            assert len(await outbox_rows_in(uow)) == 1
            raise Boom
    assert await outbox_rows(outbox_db) == []

    relay = OutboxRelay(outbox_db, bus.producer, keyring.signer("tests"))
    assert await relay.publish_pending() == 0
    # A committed event afterwards is the first one on the topic, and the first of the chain.
    async with outbox_db.unit_of_work() as uow:
        kept = uow.emit(envelopes.rating("case-y"), subject="case-y", topics=[topic])
    assert await relay.publish_pending() == 1
    wires = decode(await bus.read(topic.name, 1))
    assert [w["id"] for w in wires] == [str(kept.id)]
    assert wires[0]["chain"]["seq"] == 1
    assert verify_chain(wires).intact


async def outbox_rows_in(uow: Any) -> list[Any]:
    return list((await uow.session.execute(text("SELECT event_id FROM outbox"))).all())


async def test_a_failed_publish_is_noted_on_the_rows_and_retried(
    outbox_db: Database, bus, keyring, envelopes, kafka_bootstrap: str
) -> None:
    topic = bus.topic()
    await bus.create(topic)
    async with outbox_db.unit_of_work() as uow:
        emitted = uow.emit(envelopes.rating("case-f"), subject="case-f", topics=[topic])

    stopped = Producer(kafka_bootstrap, client_id="stopped")
    await stopped.start()
    await stopped.stop()  # a real producer that can no longer send, as when the broker is gone
    with pytest.raises(ProducerClosed) as failure:  # the producer's own error, not any bug on the way
        await OutboxRelay(outbox_db, stopped, keyring.signer("tests")).publish_pending()
    async with outbox_db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT published_at, attempts, last_error FROM outbox"))).one()
    assert row[0] is None and row[1] == 1
    assert row[2].startswith(type(failure.value).__name__)

    relay = OutboxRelay(outbox_db, bus.producer, keyring.signer("tests"))
    assert await relay.publish_pending() == 1
    assert [w["id"] for w in decode(await bus.read(topic.name, 1))] == [str(emitted.id)]
    assert (await outbox_rows(outbox_db))[0][4] == 2  # one failed attempt, one that went through
