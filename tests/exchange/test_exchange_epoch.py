"""Broker epochs (消息代理纪元) and the recovery after the broker lost its data.

The decision is pure (``classify_epoch``, the epoch record); reading and starting an epoch, the relay's
re-publication and a consumer's restart run on the real broker and on PostgreSQL and the SQLite default.
"""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from exchange import epoch as epoch_module
from exchange.broker import EmbeddedBroker
from exchange.db.database import Database
from exchange.epoch import EpochChange, classify_epoch, epoch_of_record, epoch_record, read_or_start_epoch
from exchange.kafka.admin import ensure_topics
from exchange.kafka.consumer import ConsumerRunner
from exchange.kafka.producer import Producer
from exchange.outbox import OutboxRelay
from exchange.recovery import EPOCH_MARKER, BrokerRecovery, read_marker, write_marker
from exchange.testing.schema import create_plumbing_tables

# --- the decision, pure ---------------------------------------------------------------------------


def test_an_epoch_seen_before_is_the_same_broker() -> None:
    assert classify_epoch("e1", "e1") is EpochChange.SAME


def test_a_different_epoch_means_the_broker_lost_its_data() -> None:
    assert classify_epoch("e1", "e2") is EpochChange.NEW


def test_nothing_seen_before_adopts_the_epoch_found() -> None:
    assert classify_epoch(None, "e1") is EpochChange.FIRST


def test_an_epoch_record_names_its_epoch() -> None:
    value = epoch_record("0b6e…", "intake", datetime(2026, 12, 4, tzinfo=UTC))
    assert json.loads(value)["started_by"] == "intake"
    assert epoch_of_record(value) == "0b6e…"


def test_a_record_that_is_not_ours_still_names_one_epoch() -> None:
    assert epoch_of_record(b"not json") == epoch_of_record(b"not json")
    assert epoch_of_record(b"not json") != epoch_of_record(b"other")
    assert epoch_of_record(None).startswith("sha256:")
    assert epoch_of_record(b'{"epoch": ""}').startswith("sha256:")


# --- the epoch on the real broker ------------------------------------------------------------------



@pytest.mark.integration
async def test_starters_that_race_agree_on_one_epoch_and_a_restarted_broker_has_a_new_one() -> None:
    broker = EmbeddedBroker()
    broker.start()
    try:
        found = await asyncio.gather(*(read_or_start_epoch(broker.bootstrap, f"s{n}") for n in range(4)))
        assert len(set(found)) == 1
        assert await read_or_start_epoch(broker.bootstrap, "later") == found[0]

        assert broker.process is not None
        broker.process.send_signal(signal.SIGKILL)
        broker.process.wait()
        broker = EmbeddedBroker(port=broker.port)
        broker.start()
        again = await read_or_start_epoch(broker.bootstrap, "after")
        assert again != found[0]
        assert await read_or_start_epoch(broker.bootstrap, "after-2") == again
    finally:
        broker.stop()


@pytest.mark.integration
async def test_the_watch_reads_the_epoch_again_on_the_consumer_it_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check re-reads the epoch record through the watcher's own consumer (one connection kept), not the full way
    with fresh clients. With the client's default 500 ms fetch wait about every other re-read missed its 1 s bound
    and fell back to the full way (benchmarks/broker_requests.py: 6 full reads in 10 checks, on every service)."""
    full_reads: list[str] = []
    read = epoch_module.read_or_start_epoch

    async def counted(bootstrap: str, started_by: str, **kwargs: Any) -> str:
        full_reads.append(started_by)
        return await read(bootstrap, started_by, **kwargs)

    monkeypatch.setattr(epoch_module, "read_or_start_epoch", counted)
    broker = EmbeddedBroker()
    broker.start()
    try:
        async def unexpected(old: str | None, new: str) -> None:
            if old is not None:
                raise AssertionError(f"the epoch changed: {old} -> {new}")

        watcher = epoch_module.BrokerEpoch(broker.bootstrap, "watch", unexpected)
        assert await watcher.check() is EpochChange.FIRST
        watch = watcher._watch
        assert watch is not None
        for _ in range(10):
            assert await watcher.check() is EpochChange.SAME
            await asyncio.sleep(0.2)
        assert full_reads == ["watch"] and watcher._watch is watch  # the first check only; the same consumer
        await watcher._close_watch()
    finally:
        broker.stop()


# --- re-publication from the outbox ----------------------------------------------------------------


async def _stamps(database: Database) -> list[tuple[Any, ...]]:
    async with database.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text("SELECT seq, epoch FROM outbox ORDER BY seq"))).all()]


@pytest.mark.integration
async def test_rows_of_an_earlier_epoch_are_sent_again_byte_for_byte_in_order(
    outbox_db: Database, bus: Any, keyring: Any, envelopes: Any
) -> None:
    topic = bus.topic(partitions=1)
    await bus.create(topic)
    for case in ("case-a", "case-b", "case-c"):
        async with outbox_db.unit_of_work() as uow:
            uow.emit(envelopes.rating(case), subject=case, topics=[topic])
    relay = OutboxRelay(outbox_db, bus.producer, keyring.signer("tests"))
    relay.epoch = "epoch-1"
    assert await relay.publish_pending() == 3
    assert [e for _, e in await _stamps(outbox_db)] == ["epoch-1"] * 3
    first = await bus.read(topic.name, 3)

    # The oldest row was published before the window: it is not sent again.
    async with outbox_db.engine.begin() as conn:
        await conn.execute(text("UPDATE outbox SET published_at = :old WHERE seq = (SELECT min(seq) FROM outbox)"),
                           {"old": datetime.now(UTC) - timedelta(days=30)})
    since = datetime.now(UTC) - timedelta(days=7)
    assert await relay.republish_since_epoch("epoch-2", since) == 2
    records = await bus.read(topic.name, 5)
    assert [r.value for r in records[3:]] == [r.value for r in first[1:]]  # same bytes, same order
    assert [dict(r.headers) for r in records[3:]] == [dict(r.headers) for r in first[1:]]
    assert [e for _, e in await _stamps(outbox_db)] == ["epoch-1", "epoch-2", "epoch-2"]
    assert relay.epoch == "epoch-2"

    assert await relay.republish_since_epoch("epoch-2", since) == 0  # nothing twice in one epoch
    async with outbox_db.unit_of_work() as uow:  # and new rows are sent in the new epoch
        uow.emit(envelopes.rating("case-d"), subject="case-d", topics=[topic])
    assert await relay.publish_pending() == 1
    assert (await _stamps(outbox_db))[-1][1] == "epoch-2"


@pytest.mark.integration
async def test_the_epoch_last_seen_is_remembered(outbox_db: Database) -> None:
    assert await read_marker(outbox_db, EPOCH_MARKER) is None
    await write_marker(outbox_db, EPOCH_MARKER, "epoch-1")
    await write_marker(outbox_db, EPOCH_MARKER, "epoch-2")
    assert await read_marker(outbox_db, EPOCH_MARKER) == "epoch-2"


# --- a consumer restarted after the broker lost its offsets -----------------------------------------


@pytest.mark.integration
async def test_a_restarted_consumer_reads_again_from_the_start_and_applies_nothing_twice(
    plumbing_db: Database, bus: Any, envelopes: Any, effect_handler: Any, effects: Any
) -> None:
    topic = bus.topic(partitions=2)
    await bus.create(topic)
    runner = ConsumerRunner(
        group=bus.group(), topics=[topic], settings=bus.settings(topic_partitions=2), keyring=envelopes.keyring,
        producer=bus.producer, database=plumbing_db, handlers={"rating.rating.submitted": effect_handler},
    )
    wires = [envelopes.wire(f"case-{n}") for n in range(6)]
    async with bus.running(runner):
        for wire in wires[:3]:
            await bus.send(topic.name, wire["subject"], envelopes.encode(wire))
        await bus.wait_until(lambda: _applied(effects, plumbing_db, 3), what="the first three applied", timeout_s=45)
        runner.restart()  # as after a new broker epoch
        await bus.wait_until(lambda: _is_ready(runner), what="the restarted consumer's partitions", timeout_s=45)
        for wire in wires[3:]:
            await bus.send(topic.name, wire["subject"], envelopes.encode(wire))
        await bus.wait_until(lambda: _applied(effects, plumbing_db, 6), what="all six applied", timeout_s=45)
        await asyncio.sleep(1.0)  # the first three were read again from the start: dropped by the inbox
    counts = await effects(plumbing_db)
    assert sorted(counts.values()) == [1] * 6
    assert runner.applied == 6


async def _applied(effects: Any, database: Database, count: int) -> bool:
    return len(await effects(database)) >= count


async def _is_ready(runner: ConsumerRunner) -> bool:
    return runner.ready.is_set()


@pytest.mark.integration
async def test_after_a_broker_failure_the_relay_checks_the_epoch_before_it_sends_anything_new(
    tmp_path: Any, bus: Any, keyring: Any, envelopes: Any, unique_name: str
) -> None:
    """消息代理纪元: when a send fails because the broker went away, the relay asks the epoch check (which re-sends
    what an empty new broker lost) before it sends a new row, so no new row reaches the new broker ahead of the
    old ones. (The embedded SQLite default only; the send waits out a 3 s request timeout, 30 s in production.)"""
    outbox_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'relay.db'}", source="tests")
    await create_plumbing_tables(outbox_db)
    broker = EmbeddedBroker()
    broker.start()
    topic = bus.topic(partitions=1)
    await ensure_topics(broker.bootstrap, [topic], 1)
    producer = Producer(broker.bootstrap, client_id=unique_name, request_timeout_ms=3000)
    await producer.start()
    relay = OutboxRelay(outbox_db, producer, keyring.signer("tests"), poll_interval_s=0.05)
    checks: list[int] = []

    async def check_epoch() -> str:
        checks.append(relay.published)  # what had gone out when it was asked
        await ensure_topics(broker.bootstrap, [topic], 1)  # as the recovery does on a new broker
        return "same"

    relay.before_resuming = check_epoch
    running = asyncio.create_task(relay.run())
    try:
        async with outbox_db.unit_of_work() as uow:
            uow.emit(envelopes.rating("case-a"), subject="case-a", topics=[topic])
        for _ in range(200):
            if relay.published == 1:
                break
            await asyncio.sleep(0.05)
        assert relay.published == 1 and checks == []

        assert broker.process is not None
        broker.process.send_signal(signal.SIGKILL)
        broker.process.wait()
        async with outbox_db.unit_of_work() as uow:
            uow.emit(envelopes.rating("case-b"), subject="case-b", topics=[topic])
        for _ in range(1200):  # the send fails (connection refused, or the request times out)
            if relay.failing is not None:
                break
            await asyncio.sleep(0.05)
        assert relay.failing is not None
        broker = EmbeddedBroker(port=broker.port)
        broker.start()
        for _ in range(1200):
            if relay.published == 2:
                break
            await asyncio.sleep(0.05)
        assert relay.published == 2
        assert checks and checks[0] == 1, "the epoch was checked before the new row went out"
    finally:
        relay.stop()
        await asyncio.wait_for(running, 10)
        await producer.stop()
        broker.stop()
        await outbox_db.dispose()


@pytest.mark.integration
async def test_a_part_is_told_of_a_broker_loss_found_at_start_and_not_of_a_first_epoch(
    outbox_db: Database, bus: Any
) -> None:
    """A service that was down while the broker lost its data learns of it as it starts (its marker names another
    epoch), and its parts with something to make good are told (``AfterBrokerLoss``); a service meeting its first
    epoch has nothing to make good."""

    class Told:
        def __init__(self) -> None:
            self.times = 0

        def broker_lost(self) -> None:
            self.times += 1

    settings = bus.settings(service_name="tests")
    first, told = Told(), Told()
    await BrokerRecovery(settings, database=outbox_db, relay=None, consumers=[], after_loss=[first]).start(
        asyncio.Event())
    assert first.times == 0  # no epoch seen before: nothing was lost here
    await write_marker(outbox_db, EPOCH_MARKER, "an-epoch-before-the-broker-lost-its-data")
    await BrokerRecovery(settings, database=outbox_db, relay=None, consumers=[], after_loss=[told]).start(
        asyncio.Event())
    assert told.times == 1
    assert await read_marker(outbox_db, EPOCH_MARKER) != "an-epoch-before-the-broker-lost-its-data"
