"""Shared fixtures of the exchange-library tests: real tansu broker, real PostgreSQL.

Test modules cannot import each other (``--import-mode=importlib``, no packages), so the helpers
are handed out as fixtures: ``bus`` (topics, producing, reading, offsets, running a consumer),
``plumbing_db`` (a fresh PostgreSQL database with the exchange's tables and an ``effect`` table),
``make_envelope`` (a signed envelope around a real contract payload).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from contracts.envelope import Envelope
from contracts.rating.v1 import RatingLevel, RatingSubmitted
from contracts.topics import TopicSpec
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from exchange.kafka.admin import ensure_topics
from exchange.kafka.consumer import ConsumerRunner
from exchange.kafka.producer import Producer
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing
from exchange.testing.schema import create_plumbing_tables

RATING = RatingSubmitted.event_type


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], timeout_s: float = 15.0, what: str = "condition"
) -> None:
    """Poll ``predicate`` until it is true; fail the test at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)


class Bus:
    """The real broker, seen from a test."""

    def __init__(self, bootstrap: str, producer: Producer, unique: str) -> None:
        self.bootstrap = bootstrap
        self.producer = producer
        self.unique = unique
        self.wait_until = wait_until

    def settings(self, **overrides: Any) -> ExchangeSettings:
        values: dict[str, Any] = {
            "kafka_bootstrap": self.bootstrap,
            "kafka_session_timeout_ms": 2000,
            "kafka_heartbeat_interval_ms": 300,
            # ensure_topics() asks for replication factor -1 unless partitions are overridden, and
            # aiokafka's NewTopic refuses -1 without replica assignments (see the report).
            "topic_partitions": 1,
        }
        values.update(overrides)
        return ExchangeSettings(**values)

    def topic(self, suffix: str = "events", event_types: tuple[str, ...] = (RATING,), partitions: int = 1) -> TopicSpec:
        return TopicSpec(
            name=f"test.{self.unique}.{suffix}",
            key="case_id",
            description_zh="测试主题",
            description_en="test topic",
            event_types=event_types,
            partitions=partitions,
        )

    def group(self, suffix: str = "g") -> str:
        return f"{self.unique}-{suffix}"

    async def create(self, *specs: TopicSpec) -> None:
        for spec in specs:  # explicit partitions: replication factor 1 (see settings())
            await ensure_topics(self.bootstrap, [spec], spec.partitions)

    async def send(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]] | None = None) -> int:
        """Produce raw bytes; returns the record's offset."""
        meta = await self.producer.send(topic, key, value, headers)
        return int(meta.offset)

    async def read(self, topic: str, count: int, timeout_s: float = 15.0) -> list[ConsumerRecord[bytes, bytes]]:
        """Read ``topic`` from the beginning (no group) until ``count`` records arrived."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await consumer.start()
        records: list[ConsumerRecord[bytes, bytes]] = []
        try:
            deadline = asyncio.get_running_loop().time() + timeout_s
            partitions: set[int] | None = None
            while not partitions:
                await consumer.topics()  # refresh metadata
                partitions = consumer.partitions_for_topic(topic)
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"topic {topic} does not exist")
                if not partitions:
                    await asyncio.sleep(0.1)
            consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
            while len(records) < count:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    raise AssertionError(f"read {len(records)} of {count} records from {topic}")
                batch = await consumer.getmany(timeout_ms=int(min(remaining, 0.5) * 1000))
                for rs in batch.values():
                    records.extend(rs)
            # Anything more than expected would be a bug too: one last short look.
            for rs in (await consumer.getmany(timeout_ms=300)).values():
                records.extend(rs)
        finally:
            await consumer.stop()
        return records

    async def committed(self, group: str, topic: str, partition: int = 0) -> int | None:
        """The group's committed offset (None: nothing committed)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            return await consumer.committed(TopicPartition(topic, partition))
        finally:
            await consumer.stop()

    @contextlib.asynccontextmanager
    async def running(self, runner: ConsumerRunner, timeout_s: float = 15.0) -> AsyncIterator[asyncio.Task[None]]:
        """Run ``runner`` in a task until the block ends; waits until it has its partitions."""
        task = asyncio.create_task(runner.run())
        try:
            ready = asyncio.create_task(runner.ready.wait())
            done, _ = await asyncio.wait({task, ready}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                ready.cancel()
                task.result()  # raises what killed it
                raise AssertionError("consumer runner returned before it was ready")
            if ready not in done:
                ready.cancel()
                raise AssertionError(f"consumer {runner.group} got no partitions within {timeout_s}s")
            yield task
        finally:
            runner.stop()
            try:
                await asyncio.wait_for(asyncio.shield(task), 10)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


@pytest.fixture(scope="session")
async def producer(kafka_bootstrap: str) -> AsyncIterator[Producer]:
    producer = Producer(kafka_bootstrap, client_id="exchange-tests")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def bus(kafka_bootstrap: str, producer: Producer, unique_name: str) -> Bus:
    return Bus(kafka_bootstrap, producer, unique_name)


@pytest.fixture
async def outbox_db(each_database_url: str) -> AsyncIterator[Database]:
    """The exchange's tables only, once on PostgreSQL and once on SQLite (the relay's own tests)."""
    database = Database(each_database_url, source="tests")
    await create_plumbing_tables(database)
    yield database
    await database.dispose()


@pytest.fixture
async def plumbing_db(fresh_database_url: str) -> AsyncIterator[Database]:
    """A fresh PostgreSQL database with outbox/processed_event/chain_head and ``effect``; it emits as ``rating``, the
    publisher of the ``RatingSubmitted`` events the tests use."""
    database = Database(fresh_database_url, source="rating")
    await create_plumbing_tables(database)
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE effect (event_id text, case_id text)"))
    yield database
    await database.dispose()


@pytest.fixture
async def admin(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """The PostgreSQL server's own database, for what a test does to the server: terminating backends, refusing
    connections."""
    engine = create_async_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    yield engine
    await engine.dispose()


async def record_effect(uow: UnitOfWork, envelope: Envelope, _payload: object) -> None:
    """The handler of the consumer tests: one row per application."""
    await uow.session.execute(
        text("INSERT INTO effect (event_id, case_id) VALUES (:e, :c)"),
        {"e": str(envelope.id), "c": envelope.subject},
    )


@pytest.fixture
def effect_handler() -> Callable[[UnitOfWork, Envelope, object], Awaitable[None]]:
    return record_effect


def rating(case_id: str) -> RatingSubmitted:
    return RatingSubmitted(
        rating_id=f"r-{uuid.uuid4().hex[:8]}",
        case_id=case_id,
        level=RatingLevel.SATISFIED,
        tags=("fast",),
        submitted_at=datetime.now(UTC),
    )


class Envelopes:
    """Signed envelopes around real contract payloads (``RatingSubmitted``), by default from ``rating``, the one
    principal that may publish them (contracts.publishing)."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring
        self.rating = rating

    def wire(self, case_id: str = "case-1", *, source: str = "rating", sign: bool = True) -> dict[str, Any]:
        env = Envelope.wrap(rating(case_id), source=source, subject=case_id)
        wire = env.to_wire()
        return self.keyring.signer(source).sign_envelope(wire) if sign else wire

    @staticmethod
    def encode(wire: dict[str, Any]) -> bytes:
        return json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture
def envelopes(keyring: KeyRing) -> Envelopes:
    return Envelopes(keyring)


async def effect_counts(database: Database) -> dict[str, int]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT event_id, count(*) FROM effect GROUP BY event_id"))).all()
    return {str(r[0]): int(r[1]) for r in rows}


@pytest.fixture
def effects() -> Callable[[Database], Awaitable[dict[str, int]]]:
    """``await effects(db)`` → {event_id: number of effect rows}."""
    return effect_counts
