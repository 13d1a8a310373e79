"""The broker epoch (消息代理纪元): which incarnation of the broker's data a service is talking to.

The embedded broker keeps nothing: restarted, it answers on the same port with no topics, no records and no
committed offsets, and nothing in the Kafka protocol says so (producers even write to topics it no longer
lists). So the exchange marks each incarnation itself: the record at offset 0 of ``exchange.broker.epoch``
(:data:`~contracts.topics.BROKER_EPOCH`, one partition, kept forever) names the epoch. Whoever finds the topic
missing or empty creates it and writes a record with a fresh uuid; everyone then re-reads offset 0, so
starters that raced agree on the first record written. A broker that kept its data (a real Kafka cluster)
keeps its epoch for ever; one that lost it gets a new one within one check.

:class:`BrokerEpoch` reads it at start and every ``broker_epoch_check_ms``, and calls its ``on_change`` hook
when it differs from the epoch last seen (:mod:`exchange.recovery` then re-creates topics, restarts consumers
and re-publishes from the outbox). :func:`classify_epoch` is the decision, free of I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from contracts.topics import BROKER_EPOCH

__all__ = [
    "BrokerEpoch",
    "EpochChange",
    "EpochUnknown",
    "classify_epoch",
    "epoch_of_record",
    "epoch_record",
    "read_or_start_epoch",
]

logger = logging.getLogger(__name__)
TOPIC_ALREADY_EXISTS = 36
# The kept watch's fetches wait at most this long: a re-read seeks back to the epoch record, and aiokafka lets the
# fetch already in flight (from the position after it, waiting for records that never come) finish first. With the
# client's default 500 ms wait that made about every other re-read miss its 1 s bound, and the watcher took the full
# way with fresh clients (benchmarks/broker_requests.py: 6 full reads and 4 new watches in 10 checks).
WATCH_FETCH_WAIT_MS = 100
T = TypeVar("T")


class EpochUnknown(Exception):
    """The broker could not be asked (down, or not answering in time): nothing is decided."""


class EpochChange(enum.Enum):
    SAME = "same"  # the epoch last seen: nothing to do
    FIRST = "first"  # nothing seen before (a new database): adopt it
    NEW = "new"  # the broker lost its data since: recover


def classify_epoch(last_seen: str | None, found: str) -> EpochChange:
    """What finding ``found`` on the broker means when ``last_seen`` was the epoch seen before."""
    if last_seen is None:
        return EpochChange.FIRST
    return EpochChange.SAME if found == last_seen else EpochChange.NEW


def epoch_record(epoch: str, started_by: str, at: datetime) -> bytes:
    """The value of an epoch record: plain JSON (not an envelope: it is the bus's own bookkeeping)."""
    return json.dumps({"epoch": epoch, "started_by": started_by, "started_at": at.isoformat()},
                      separators=(",", ":")).encode()


def epoch_of_record(value: bytes | None) -> str:
    """The epoch a record at offset 0 names; a value that is not ours is still a stable name (its digest)."""
    try:
        parsed = json.loads(value or b"")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("epoch"), str) and parsed["epoch"]:
        return str(parsed["epoch"])
    return "sha256:" + hashlib.sha256(value or b"").hexdigest()


async def _bounded(awaitable: Awaitable[T], timeout_s: float, what: str) -> T:
    """``awaitable`` within ``timeout_s``, or :class:`EpochUnknown`. A client that does not end when cancelled
    (aiokafka's ``stop`` retrying against a broker that just went away was seen to) is left behind, never
    awaited: the watcher must not hang with it."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        task.cancel()
        task.add_done_callback(_forget)
        raise EpochUnknown(f"{what} took more than {timeout_s:g} s")
    if task.cancelled():  # aiokafka's consumer.stop() lets its fetch task's cancellation out: not ours
        raise EpochUnknown(f"{what} was cancelled")
    return task.result()


def _forget(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


async def _close(stop: Awaitable[None]) -> None:
    with contextlib.suppress(Exception):
        await _bounded(stop, 5.0, "closing a client")


async def _ensure_epoch_topic(bootstrap: str, timeout_ms: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    await admin.start()
    try:
        if BROKER_EPOCH.name in set(await admin.list_topics()):
            return
        response = await admin.create_topics([NewTopic(
            BROKER_EPOCH.name, num_partitions=BROKER_EPOCH.partitions, replication_factor=1,
            topic_configs=BROKER_EPOCH.kafka_configs(),
        )])
        for name, code, message in getattr(response, "topic_errors", []):
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise EpochUnknown(f"could not create topic {name}: {code} {message}")
    finally:
        await _close(admin.close())


async def _first_record(bootstrap: str, timeout_s: float) -> bytes | None:
    """The value at the start of the epoch partition, or None when the partition is empty (with fresh clients)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                request_timeout_ms=int(timeout_s * 1000) + 1000)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(BROKER_EPOCH.name, 0)])
        return await _read_start(consumer, timeout_s)
    finally:
        await _close(consumer.stop())


async def _read_start(consumer: AIOKafkaConsumer, timeout_s: float) -> bytes | None:
    """The value at the start of the epoch partition, through ``consumer`` (assigned to it); None when empty."""
    tp = TopicPartition(BROKER_EPOCH.name, 0)
    start = (await consumer.beginning_offsets([tp]))[tp]
    if (await consumer.end_offsets([tp]))[tp] <= start:
        return None
    consumer.seek(tp, start)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        for record in (await consumer.getmany(tp, timeout_ms=200, max_records=1)).get(tp, []):
            return record.value or b""
    raise EpochUnknown(f"{BROKER_EPOCH.name} holds records but none could be read")


async def _write_record(bootstrap: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=5000)
    await producer.start()
    try:
        for attempt in range(5):
            try:
                await producer.send_and_wait(BROKER_EPOCH.name, value, partition=0)
                return
            except KafkaError:  # a topic created a moment ago may answer UnknownError once
                if attempt == 4:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
    finally:
        await _close(producer.stop())


async def read_or_start_epoch(bootstrap: str, started_by: str, *, timeout_s: float = 10.0) -> str:
    """The broker's epoch; if it has none (a new or emptied broker), start one and return the winner."""
    try:
        return await _bounded(_read_or_start(bootstrap, started_by, timeout_s), timeout_s, "reading the broker epoch")
    except (KafkaError, OSError) as exc:
        raise EpochUnknown(f"broker epoch not readable: {type(exc).__name__}: {exc}") from exc


async def _read_or_start(bootstrap: str, started_by: str, timeout_s: float) -> str:
    await _ensure_epoch_topic(bootstrap, int(timeout_s * 1000))
    first = await _first_record(bootstrap, timeout_s / 2)
    if first is not None:
        return epoch_of_record(first)
    proposed = str(uuid.uuid4())
    await _write_record(bootstrap, epoch_record(proposed, started_by, datetime.now(UTC)))
    first = await _first_record(bootstrap, timeout_s / 2)  # another starter may have been first
    if first is None:
        raise EpochUnknown("the epoch record written is not there")
    found = epoch_of_record(first)
    if found == proposed:
        logger.info("%s started broker epoch %s", started_by, found)
    return found

ChangeHook = Callable[[str | None, str], Awaitable[None]]


class BrokerEpoch:
    """Watches the broker epoch (a :class:`~exchange.runtime.BackgroundJob`): ``on_change(old, new)`` runs when
    the epoch differs from :attr:`current`; a hook that fails is retried at the next check."""

    name = "broker epoch"

    def __init__(self, bootstrap: str, started_by: str, on_change: ChangeHook, *, interval_s: float = 2.0) -> None:
        self.bootstrap = bootstrap
        self.started_by = started_by
        self.on_change = on_change
        self.interval_s = interval_s
        self.current: str | None = None
        self._stopping = asyncio.Event()
        self._nudged = asyncio.Event()
        self._unreachable = False
        self._checking = asyncio.Lock()  # the watcher's own round and a relay resuming after a broker failure
        self._watch: AIOKafkaConsumer | None = None  # kept open between checks (see read)

    async def read(self) -> str:
        """The epoch, through the watcher's own consumer while the record is where it was (a fetch on a
        connection kept open: the watch costs next to nothing), else the full way (creating the topic and
        starting an epoch if need be) with fresh clients."""
        if self._watch is not None:
            try:
                found = await _bounded(_read_start(self._watch, 1.0), 1.0, "re-reading the broker epoch")
            except (KafkaError, OSError, EpochUnknown) as exc:
                logger.debug("%s: broker epoch re-read failed (%s); reading it anew", self.started_by, exc)
            else:
                if found is not None:
                    return epoch_of_record(found)
            await self._close_watch()
        found_epoch = await read_or_start_epoch(self.bootstrap, self.started_by)
        await self._open_watch()
        return found_epoch

    async def _open_watch(self) -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                    request_timeout_ms=5000, fetch_max_wait_ms=WATCH_FETCH_WAIT_MS)
        try:
            await _bounded(consumer.start(), 5.0, "starting the epoch watch")
            consumer.assign([TopicPartition(BROKER_EPOCH.name, 0)])
        except (KafkaError, OSError, EpochUnknown):
            await _close(consumer.stop())
            return
        self._watch = consumer

    async def _close_watch(self) -> None:
        if self._watch is not None:
            watch, self._watch = self._watch, None
            await _close(watch.stop())

    async def check(self) -> EpochChange | None:
        """Read the epoch once and act on it; None when the broker could not be asked. One check at a time."""
        async with self._checking:
            return await self._check()

    async def _check(self) -> EpochChange | None:
        try:
            found = await self.read()
        except EpochUnknown as exc:
            if not self._unreachable:
                logger.warning("%s: broker epoch unknown, will check again: %s", self.started_by, exc)
            self._unreachable = True
            return None
        if self._unreachable:
            logger.info("%s: broker epoch readable again (%s)", self.started_by, found)
            self._unreachable = False
        change = classify_epoch(self.current, found)
        if change is not EpochChange.SAME:
            try:
                await self.on_change(self.current, found)
            except BaseException:
                # Retried at once (run): the next read takes the full way with fresh clients, not the kept
                # consumer, which may not know the topics the broker has just been given.
                await self._close_watch()
                raise
            self.current = found
        return change

    def nudge(self) -> None:
        """Check now (e.g. after a broker error) instead of at the next tick."""
        self._nudged.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudged.wait(), self.interval_s)
                self._nudged.clear()
                if self._stopping.is_set():
                    return
                try:
                    await self.check()
                except (KafkaError, OSError) as exc:  # e.g. a topic created a moment ago refusing its first write
                    logger.warning("%s: recovery after a broker epoch change failed, retrying: %s: %s",
                                   self.started_by, type(exc).__name__, exc)
                    self._nudged.set()  # soon, not at the next tick
                    await asyncio.sleep(0.3)
                except Exception:  # the hook failed (database down?): the epoch stays unseen, try again
                    logger.exception("%s: recovery after a broker epoch change failed; retrying", self.started_by)
        finally:
            await self._close_watch()

    def stop(self) -> None:
        self._stopping.set()
        self._nudged.set()
