"""Transactional outbox and relay: committed rows are published in order, signed and chained.

Runs against PostgreSQL and against the embedded SQLite default.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from typing import Any
from uuid import uuid4

import pytest
from aiokafka.errors import ProducerClosed
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.envelope import Envelope
from contracts.rating.v1 import RatingSubmitted
from exchange.broker import EmbeddedBroker
from exchange.chain import verify_chain
from exchange.db.database import Database
from exchange.failures import is_transient
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer
from exchange.outbox import OutboxRelay
from exchange.testing.schema import create_plumbing_tables

pytestmark = pytest.mark.integration

RATING = RatingSubmitted.event_type


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
    through_sqlalchemy: list[str] = []  # on SQLite, outbox and chain statements go straight to sqlite3
    event.listen(outbox_db.engine.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: through_sqlalchemy.append(statement))

    emitted: list[Envelope] = []
    async with outbox_db.unit_of_work() as uow:  # one transaction, several events
        for case in cases[:3]:
            emitted.append(uow.emit(envelopes.rating(case), subject=case, topics=[topic]))
    assert outbox_db.outbox_written.is_set()  # the relay would be woken at once
    for case in cases[3:]:  # and one transaction per event
        async with outbox_db.unit_of_work() as uow:
            emitted.append(uow.emit(envelopes.rating(case), subject=case, topics=[topic]))
    straight = outbox_db.engine.dialect.name == "sqlite"
    assert not (straight and [s for s in through_sqlalchemy if "outbox" in s]), through_sqlalchemy
    assert all(row[3] is None for row in await outbox_rows(outbox_db))

    signer = keyring.signer("tests")
    relay = OutboxRelay(outbox_db, bus.producer, signer, batch_size=4)  # two batches: 4 + 2
    through_sqlalchemy.clear()
    assert await publish_all(relay) == len(cases)
    assert not (straight and [s for s in through_sqlalchemy if "outbox" in s or "chain_head" in s]), through_sqlalchemy
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
            await uow.flush_outbox()  # the row really reached the database before the rollback
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


async def test_writes_go_through_while_the_broker_is_down_and_every_row_is_published_once_after(
    tmp_path, bus, keyring, envelopes, unique_name: str
) -> None:
    """On the embedded SQLite default, the relay holds no write lock or transaction while it talks to the
    broker: with the broker not answering (its process frozen), a service's write completes while the relay
    is stuck sending. When the broker answers again, every row is published exactly once, in order, chained.
    (Frozen rather than killed: the embedded broker keeps nothing across a restart, and recovering from that
    is another test's subject.)"""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'relay.db'}", source="tests")
    await create_plumbing_tables(database)
    broker = EmbeddedBroker()
    await asyncio.to_thread(broker.start)
    assert broker.process is not None
    topic = bus.topic()
    producer = Producer(broker.bootstrap, client_id=unique_name)
    relay_task: asyncio.Task[None] | None = None
    frozen = False
    try:
        await ensure_topics(broker.bootstrap, [topic], 1)
        await producer.start()
        emitted = []
        async with database.unit_of_work() as uow:
            emitted += [uow.emit(envelopes.rating(f"case-{i}"), subject="case-o", topics=[topic]) for i in range(3)]
        os.kill(broker.process.pid, signal.SIGSTOP)
        frozen = True

        sending = asyncio.Event()
        send_batch = producer.send_batch

        async def spy(messages):  # the real producer, observed
            sending.set()
            return await send_batch(messages)

        producer.send_batch = spy  # type: ignore[method-assign]
        relay = OutboxRelay(database, producer, keyring.signer("tests"), poll_interval_s=0.05)
        relay_task = asyncio.create_task(relay.run())
        await asyncio.wait_for(sending.wait(), 15)

        async def write() -> None:
            async with database.unit_of_work() as uow:
                emitted.append(uow.emit(envelopes.rating("case-w"), subject="case-o", topics=[topic]))

        await asyncio.wait_for(write(), 5)  # a hang guard: it must not wait for the broker
        assert relay.published == 0  # the relay was still stuck on the broker meanwhile

        os.kill(broker.process.pid, signal.SIGCONT)
        frozen = False
        await bus.wait_until(lambda: _true(relay.published == len(emitted)), timeout_s=90, what="every row published")
        assert relay.readiness()[0]
        records = await type(bus)(broker.bootstrap, producer, unique_name).read(topic.name, len(emitted))
    finally:
        if frozen:
            os.kill(broker.process.pid, signal.SIGCONT)
        if relay_task is not None:
            relay.stop()
            await asyncio.wait_for(relay_task, 10)
        await producer.stop()
        await asyncio.to_thread(broker.stop)
        await database.dispose()
    wires = decode(records)
    assert [w["id"] for w in wires] == [str(e.id) for e in emitted]  # each once, in outbox order
    assert [w["chain"]["seq"] for w in wires] == list(range(1, len(emitted) + 1))
    assert verify_chain(wires).intact
    assert all(r[3] is not None for r in await outbox_rows(database))


async def _true(value: bool) -> bool:
    return value


async def test_the_relay_survives_its_connections_being_terminated(
    fresh_database_url: str, postgres_url: str, bus, keyring, envelopes
) -> None:
    """PostgreSQL terminates every connection of the service's database again and again while rows are
    written: the relay waits, elects itself again when its lock connection dies, and publishes every row in
    outbox order with an intact chain (a row re-sent after a failed mark is the identical record)."""
    database = Database(fresh_database_url, source="tests")
    await create_plumbing_tables(database)
    topic = bus.topic()
    await bus.create(topic)
    name = make_url(fresh_database_url).database
    admin = create_async_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    relay = OutboxRelay(database, bus.producer, keyring.signer("tests"), batch_size=7, poll_interval_s=0.05)
    running = asyncio.create_task(relay.run())
    emitted: list[Envelope] = []

    async def write(i: int) -> None:
        while True:  # the writer retries too, as a client would on a 503
            try:
                async with database.unit_of_work() as uow:
                    envelope = uow.emit(envelopes.rating(f"case-{i}"), subject="case-t", topics=[topic])
                emitted.append(envelope)
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                await asyncio.sleep(0.05)

    try:
        for i in range(60):
            await write(i)
            if i % 6 == 0:
                async with admin.connect() as conn:
                    await conn.execute(
                        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": name}
                    )
            await asyncio.sleep(0.02)
        await bus.wait_until(lambda: _unpublished_none(database), timeout_s=60, what="every row published")
        assert relay.readiness() == (True, "publishing")
    finally:
        relay.stop()
        await asyncio.wait_for(running, 10)
        await admin.dispose()
    records = await bus.read(topic.name, len(emitted), timeout_s=30)
    await database.dispose()
    wires = decode(records)
    first: dict[str, dict[str, Any]] = {}
    for wire in wires:
        if wire["id"] in first:
            assert first[wire["id"]] == wire  # a re-send is the identical record
        first.setdefault(wire["id"], wire)
    assert list(first) == [str(e.id) for e in emitted]
    assert verify_chain(wires).intact


async def _unpublished_none(database: Database) -> bool:
    try:
        async with database.engine.connect() as conn:
            return not await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    except Exception:
        return False


async def test_rows_of_other_principals_are_signed_with_their_keys_on_their_own_chains(
    outbox_db: Database, bus, keyring, envelopes
) -> None:
    """A service that stands in for others (the department gateway) stages their events with ``source=``; the relay
    signs each row as its source, each principal on its own chain; a row of a principal whose key the relay lacks
    is held while the rows after it go out, and a republished event goes out again byte for byte (its chain position
    too)."""
    topic = bus.topic()
    await bus.create(topic)
    sources = ["tests", "dept.police", "dept.tax", "dept.police", "tests"]
    async with outbox_db.unit_of_work() as uow:
        emitted = [uow.emit(envelopes.rating(f"case-{n}"), subject=f"case-{n}", topics=[topic],
                            source=None if source == "tests" else source) for n, source in enumerate(sources)]
    assert [e.source for e in emitted] == sources

    relay = OutboxRelay(outbox_db, bus.producer, keyring.signer("tests"),
                        signers={p: keyring.signer(p) for p in ("dept.police", "dept.tax")})
    assert await publish_all(relay) == len(sources)
    wires = decode(await bus.read(topic.name, len(sources)))
    for wire in wires:
        keyring.verify_envelope(wire)  # each by its own source's key
    report = verify_chain(wires)
    assert report.intact, report.problems
    assert {p: h.seq for p, h in report.heads.items()} == {"tests": 2, "dept.police": 2, "dept.tax": 1}

    async with outbox_db.unit_of_work() as uow:
        assert await uow.republish(emitted[1].id) and not await uow.republish(uuid4())
    assert outbox_db.outbox_written.is_set()
    assert await publish_all(relay) == 1
    again = decode(await bus.read(topic.name, len(sources) + 1))[-1]
    first = next(w for w in wires if w["id"] == str(emitted[1].id))
    assert again == first  # the same bytes: a duplicate every inbox drops, no second chain entry for one event
    assert verify_chain([*wires, again]).heads == report.heads and verify_chain([*wires, again]).intact

    # A row of a principal whose key this relay does not hold (a department no longer served) is held, not
    # failed: what comes after it goes out; it goes once a relay with that key runs.
    async with outbox_db.unit_of_work() as uow:
        held = uow.emit(envelopes.rating("case-x"), subject="case-x", topics=[topic], source="dept.health")
        after = uow.emit(envelopes.rating("case-y"), subject="case-y", topics=[topic])
    assert await publish_all(relay) == 1
    assert decode(await bus.read(topic.name, len(sources) + 2))[-1]["id"] == str(after.id)
    assert await relay.held() == {"dept.health": 1}
    assert relay.failing is None
    with_key = OutboxRelay(outbox_db, bus.producer, keyring.signer("tests"),
                           signers={p: keyring.signer(p) for p in ("dept.police", "dept.tax", "dept.health")})
    assert await publish_all(with_key) == 1 and await with_key.held() == {} and await relay.held() == {}
    last = decode(await bus.read(topic.name, len(sources) + 3))[-1]
    assert last["id"] == str(held.id) and last["source"] == "dept.health"
    keyring.verify_envelope(last)


async def test_rows_emitted_in_one_unit_of_work_are_written_in_order_and_seen_by_its_own_reads(
    outbox_db: Database, bus, envelopes
) -> None:
    topic = bus.topic()
    async with outbox_db.unit_of_work() as uow:
        emitted = [uow.emit(envelopes.rating(f"case-{n}"), subject=f"case-{n}", topics=[topic]) for n in range(3)]
        assert await uow.waiting(emitted[1].id)  # staged rows are written before the outbox is read
        later = uow.emit(envelopes.rating("case-3"), subject="case-3", topics=[topic])
    rows = await outbox_rows(outbox_db)
    assert [event_id for _, event_id, *_ in rows] == [str(e.id) for e in [*emitted, later]]  # ordered by seq
