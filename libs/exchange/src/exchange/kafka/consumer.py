"""The one consumer runner (消费者运行器).

For every record, in partition order and without a gap in its partition's offsets (:class:`OffsetGuard`): decode
the envelope → verify its signature → skip types this consumer does not handle → check that its signer may publish
it (:mod:`contracts.publishing`; if not, dead-letter it and report it on ``exchange.security.events``) → in ONE
database transaction record the event id (inbox) and apply the handler (its outbox rows ride in the same
transaction) → commit the Kafka offset only after that. The records of one poll share that transaction (up to
``consumer_transaction_records``, their ids claimed in the inbox together, each handled in order); if any of them
cannot simply be applied, nothing of the shared transaction is kept and they are taken one by one, so every
failure below is judged for its own record.

What a failure does depends on its cause (:func:`exchange.failures.classify`, ``docs/reliability.md``):

* **Transient** (database or broker unavailable, deadlock, serialization failure, pool timeout, …): the
  record is retried in place with capped exponential back-off (0.1 s doubling to 5 s) **for as long as the
  dependency is down**: no retry limit, the process does not exit for it, nothing is dead-lettered and no
  offset is committed meanwhile. The runner logs a WARNING when it starts waiting and an INFO when it
  recovers (once per state change), and reports not-ready (:meth:`ConsumerRunner.readiness`) while it
  waits. Sending a dead letter waits out a broker outage the same way. :meth:`ConsumerRunner.stop`
  interrupts the wait; the record is then redelivered to whoever consumes next.
* **Poison** (not an envelope, bad signature, payload not matching its schema, a handler's
  :class:`~exchange.errors.Rejected` or :class:`~exchange.errors.DomainRefusal`, a broken constraint or bad data such as U+0000 in text): dead-lettered
  at once to the consumer's own dead-letter topic with the error in headers (``x-failure: poison``), and the
  consumer carries on. A refusal (either of those two, not a bug of ours) is then handed to
  the ``on_refused`` hook, so the service can tell the sender (dispatch tells a department).
* **Unexpected** (anything else, most likely a bug): retried ``consumer_unexpected_retries`` times (default
  3) with back-off, because a bug may be a race that passes; if it still fails, it is logged at ERROR with
  its traceback and dead-lettered with ``x-failure: unexpected``, so it can be re-driven once the bug is
  fixed. Never dropped silently, never retried for ever (one bad record must not stop a partition).
* A duplicate (same envelope id already applied by this consumer) has no effect.
* With a database, every dead letter is also kept in the service's dead-letter store
  (:mod:`exchange.dead_letters`), from which :meth:`ConsumerRunner.redrive` hands it back to this runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from contracts.envelope import Envelope, EnvelopeError, EventPayload
from contracts.registry import PayloadError, UnknownEventType, decode_payload
from contracts.topics import TopicSpec, dead_letter_topic
from exchange.db.database import Database
from exchange.db.tables import DeadLetterRow
from exchange.db.unit_of_work import UnitOfWork
from exchange.dead_letters import (
    ALREADY_APPLIED,
    FAILED_AGAIN,
    REDRIVE_HEADER,
    REDRIVEN,
    SKIPPED,
    DeadLetterStore,
    RedriveResult,
    decode_headers,
    failure_class,
    peek_envelope,
)
from exchange.errors import DomainRefusal, Malformed, NotPermitted, Rejected
from exchange.failures import (
    BACKOFF_CAP_S,
    FailureKind,
    Interrupted,
    Outage,
    backoff_delays,
    classify,
    sleep_unless_stopped,
    unless_stopped,
    wait_out,
)
from exchange.kafka.admin import ensure_topics
from exchange.kafka.pace import FetchPace, set_fetch_wait
from exchange.kafka.producer import Headers, Producer
from exchange.logs import bind_case, unbind_case
from exchange.metrics import APPLIED, DEAD_LETTERED, DUPLICATE, RETRIED, metrics
from exchange.privacy import redact
from exchange.security import SECURITY_HEADER, check_publisher, refusal_report
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing, Signer
from exchange.trace_store import CASE_ATTRIBUTE
from exchange.tracing import context_from_headers, tracer

__all__ = ["ConsumerRunner", "DirectHandler", "Handler", "RefusalHook", "dead_letter_headers", "decode_record"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

Handler = Callable[[UnitOfWork, Envelope, EventPayload], Awaitable[None]]
DirectHandler = Callable[[Envelope, EventPayload], Awaitable[None]]
AppliedHook = Callable[[Envelope], Awaitable[None]]
RefusalHook = Callable[[ConsumerRecord[bytes, bytes], Rejected | DomainRefusal], Awaitable[None]]

def _peek_traceparent(value: bytes | None) -> str | None:
    """The envelope's own trace context, for records whose headers were stripped on the way."""
    try:
        parsed = json.loads(value or b"")
    except ValueError:
        return None
    found = parsed.get("traceparent") if isinstance(parsed, dict) else None
    return found if isinstance(found, str) else None


def decode_record(
    value: bytes | None, keyring: KeyRing, handles: Callable[[str], bool],
    headers: Iterable[tuple[str, bytes]] = (),
) -> tuple[Envelope, EventPayload] | None:
    """Envelope and payload of a record value, its signature verified; None for a type ``handles`` refuses.

    Raises :class:`~exchange.errors.Rejected` (dead-letter it) when the value is no envelope, is not signed
    by its source, or its payload does not match its schema. A type this consumer does not handle is passed
    over before its signature is checked: it has no effect here, and the consumers that apply it verify it (on
    the case stream most records are someone else's; an Ed25519 verification is ~0.1 ms each). Shared by the
    consumer runner and the stream processors (:mod:`exchange.streams`), so both accept exactly the same
    records.

    A record whose ``event-type`` header (:func:`~exchange.kafka.producer.record_of`) names a type ``handles``
    refuses is passed over unparsed: most records of a shared topic are someone else's. The header is not
    signed; a false one can only make this consumer pass a record over (the signed body decides everything
    else), never apply something it should not.
    """
    declared = next((v for n, v in headers if n == "event-type"), None)
    if declared is not None and not handles(declared.decode(errors="replace")):
        return None
    if value is None:
        raise Malformed("record has no value")
    try:
        envelope, wire = Envelope.from_bytes(value)
    except EnvelopeError as exc:
        raise Malformed(f"not an envelope: {exc}") from exc
    if not handles(envelope.type):
        return None
    envelope.verified_as(keyring.verify_envelope(wire))
    check_publisher(envelope)  # who signed it may publish it at all (contracts.publishing)
    try:
        return envelope, decode_payload(envelope)
    except PayloadError as exc:
        raise Malformed(str(exc), code=exc.code) from exc
    except UnknownEventType as exc:
        raise Malformed(str(exc)) from exc


def dead_letter_headers(
    headers: Iterable[tuple[str, bytes]], *, topic: str, partition: int, offset: int, consumer: str,
    exc: BaseException,
) -> Headers:
    """The original headers plus why and where from (``x-failure``, ``x-error-*``, ``x-original-*``,
    ``x-consumer``). ``x-failure`` is the class of the failure: ``poison`` or ``unexpected``."""
    return [
        *headers,
        ("x-failure", classify(exc).value.encode()),
        ("x-error-type", type(exc).__name__.encode()),
        ("x-error-message", redact(str(exc))[:4000].encode()),
        ("x-original-topic", topic.encode()),
        ("x-original-partition", str(partition).encode()),
        ("x-original-offset", str(offset).encode()),
        ("x-consumer", consumer.encode()),
        *([(SECURITY_HEADER, exc.reason.encode())] if isinstance(exc, NotPermitted) else []),
    ]


def _event_type_of(record: ConsumerRecord[bytes, bytes]) -> str:
    """The type a record claims (its ``event-type`` header, else its envelope), for a dead letter's metrics."""
    declared = next((v for n, v in record.headers or () if n == "event-type"), None)
    if isinstance(declared, bytes):
        return declared.decode(errors="replace")
    claimed: str = peek_envelope(record.value)[1] or ""
    return claimed


@dataclass
class _Redriving:
    """The re-drive in progress in this task: which dead letter, and the new one if it fails again."""

    of: int
    failed_again_as: int | None = None


_REDRIVING: ContextVar[_Redriving | None] = ContextVar("exchange_redriving", default=None)


GAP_PATIENCE_S = 3.0  # how long a partition's missing offsets are waited for before the gap is taken as real


class OffsetGuard:
    """Hands on only records that follow, without a gap, the last one handed on from their partition.

    A Kafka log has no holes on a topic that is neither compacted nor written by transactional producers (the
    platform uses neither). The embedded broker (tansu, memory storage) can show a later batch of a partition
    before an earlier one that concurrent producers wrote at the same moment: a consumer fetching then skips
    the earlier batch for good (measured: 4 of 12,000 records missed by a live consumer with 6 producers on one
    partition; 3 task conclusions of one batch never reached intake in a 1000-case run, while supervision and
    licence read them). So a partition whose next record is not the one expected is read again from the
    expected offset until the missing records show, for up to :data:`GAP_PATIENCE_S`; a gap still there after
    that is taken as real (logged). The first batch after an assignment sets where the partition stands.
    """

    def __init__(self, patience_s: float = GAP_PATIENCE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.patience_s = patience_s
        self.clock = clock
        self.next: dict[TopicPartition, int] = {}
        self._waiting_since: dict[TopicPartition, float] = {}
        self.waits = 0  # gaps waited for (and then filled, or taken as real)

    def assigned(self, partitions: Iterable[TopicPartition]) -> None:
        """A partition (re)assigned starts again from wherever the group stands."""
        for tp in partitions:
            self.next.pop(tp, None)
            self._waiting_since.pop(tp, None)

    def admit(self, tp: TopicPartition, records: Sequence[ConsumerRecord[bytes, bytes]]
              ) -> tuple[list[ConsumerRecord[bytes, bytes]], int | None]:
        """The records of ``tp`` to apply now, and the offset to read ``tp`` from again (None: no gap)."""
        expected = self.next.get(tp)
        admitted: list[ConsumerRecord[bytes, bytes]] = []
        for record in records:
            if expected is not None and record.offset > expected:
                now = self.clock()
                since = self._waiting_since.get(tp)
                if since is None:
                    self._waiting_since[tp] = since = now
                    self.waits += 1
                    logger.info("%s[%d]: offset %d is not readable yet but %d is; reading it again",
                                tp.topic, tp.partition, expected, record.offset)
                if now - since < self.patience_s:
                    self.next[tp] = expected
                    return admitted, expected
                logger.warning("%s[%d]: offsets %d to %d never showed in %.0f s; going on without them",
                               tp.topic, tp.partition, expected, record.offset - 1, self.patience_s)
            admitted.append(record)
            expected = record.offset + 1
            self._waiting_since.pop(tp, None)
        if expected is not None:
            self.next[tp] = expected
        return admitted, None


class _ReadyWhenAssigned(ConsumerRebalanceListener):  # type: ignore[misc]
    """Ready while the group has assigned this consumer its partitions (not between a revoke and the
    next assignment, a rebalance)."""

    def __init__(self, ready: asyncio.Event, guard: OffsetGuard, rewind: AIOKafkaConsumer | None = None,
                 committed: dict[TopicPartition, int] | None = None) -> None:
        self._ready = ready
        self._guard = guard
        self._rewind = rewind
        self._rewound: set[TopicPartition] = set()
        self._committed = committed  # the runner's own commits (for its lag): another member's are newer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._ready.clear()
        if self._committed is not None:
            for tp in revoked:
                self._committed.pop(tp, None)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._guard.assigned(assigned)
        if self._rewind is not None and (fresh := assigned - self._rewound):
            # After the broker lost its data, offsets committed on the new broker are not to be trusted: a
            # consumer of the old broker may have committed its old positions there (its commit retried until
            # the topics were back). Read each partition from its start once; the inbox drops what was applied.
            await self._rewind.seek_to_beginning(*fresh)
            self._rewound |= fresh
        self._ready.set()


class ConsumerRunner:
    """Runs one consumer group over ``topics``, dispatching by event type.

    Give ``handlers`` and a ``database`` for transactional handling (every platform service), or
    ``direct`` handlers and no database for stateless consumers such as department adapters, whose
    effects must then be idempotent on their own (deterministic ids).
    """

    def __init__(
        self,
        *,
        group: str,
        topics: Sequence[TopicSpec],
        settings: ExchangeSettings,
        keyring: KeyRing,
        producer: Producer,
        database: Database | None = None,
        handlers: Mapping[str, Handler] | None = None,
        direct: Mapping[str, DirectHandler] | None = None,
        ordered: bool = True,
        after_apply: AppliedHook | None = None,
        on_refused: RefusalHook | None = None,
        reporter: Signer | None = None,
    ) -> None:
        if (handlers is None) == (direct is None):
            raise ValueError("give either handlers (with a database) or direct handlers")
        if handlers is not None and database is None:
            raise ValueError("transactional handlers need a database")
        self.group = group
        self.topics = tuple(topics)
        self.settings = settings
        self.keyring = keyring
        self.producer = producer
        self.database = database
        self.handlers = dict(handlers or {})
        self.direct = dict(direct or {})
        self.ordered = ordered
        self.after_apply = after_apply  # test seam: runs after the DB commit, before the offset commit
        self.on_refused = on_refused  # after a refusal is dead-lettered; a failure here leaves it uncommitted
        self.reporter = reporter  # signs the security event of a record refused for its publisher
        self.dead_letters = DeadLetterStore(database) if database is not None and handlers is not None else None
        self.ready = asyncio.Event()
        self.fetch_wait_ms = self.settings.kafka_fetch_max_wait_ms  # now (exchange.kafka.pace)
        self._stopping = asyncio.Event()
        # Waiting out an unavailable database or broker while applying a record (readiness says so).
        self.outage = Outage(f"consumer {group}", logger)
        self._commit_outage = Outage(f"consumer {group} offset commit", logger)  # logs only; not readiness
        self._restarting = asyncio.Event()
        self._fetch_outage = Outage(f"consumer {group} fetch", logger)
        self._rewind_next = False  # the next Kafka consumer reads from the start (see restart())
        self._compacted = {t.name for t in self.topics if t.compacted}
        self.offset_guard = OffsetGuard()  # of the current Kafka consumer (see _consume)
        self._gap_waits_before = 0  # waited for by the Kafka consumers this runner had before the current one
        self.applied = 0
        self.dead_lettered = 0
        self.metrics = metrics().consumer(group)  # label children kept per event type: the hot path pays a look-up
        self._consumer: AIOKafkaConsumer | None = None  # of the current session, for lag()
        self._committed: dict[TopicPartition, int] = {}  # by this session: where the group stands
        self.taken_one_by_one = 0  # polls whose shared transaction gave way to one per record (see _apply_together)
        # Records of one poll applied in one transaction (see _apply_together); 0: one transaction per record.
        n = settings.consumer_transaction_records
        self._together = n if n > 1 and database is not None and handlers is not None and ordered else 0

    @property
    def gap_waits(self) -> int:
        """How often this runner waited for records a partition showed out of order (see :class:`OffsetGuard`)."""
        return self._gap_waits_before + self.offset_guard.waits

    def handles(self, event_type: str) -> bool:
        return event_type in self.handlers or event_type in self.direct

    def readiness(self) -> tuple[bool, str]:
        """Ready when the group assigned partitions and no record is waiting out an outage."""
        if not self.ready.is_set():
            return False, "no partitions assigned yet"
        for outage in (self.outage, self._fetch_outage):
            if outage.down:
                return False, f"waiting: {outage.reason}"
        return True, "partitions assigned"

    async def lag(self) -> dict[str, int]:
        """Per topic: records on the broker past where this group stands, over the partitions it holds (highwater
        minus the offset it committed, else its position). Read when ``/metrics`` is scraped; a partition not
        fetched yet (no highwater known) is left out."""
        consumer = self._consumer
        lags: dict[str, int] = {}
        if consumer is None:
            return lags
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:
                continue
            standing = self._committed.get(tp)
            if standing is None:
                try:  # known at once unless the partition is being reset: then not worth waiting for
                    standing = await asyncio.wait_for(consumer.position(tp), 0.1)
                except (TimeoutError, KafkaError):
                    continue
            lags[tp.topic] = lags.get(tp.topic, 0) + max(0, high - standing)
        return lags

    async def run(self) -> None:
        """Consume until :meth:`stop`; after :meth:`restart` with a fresh Kafka consumer of the same group."""
        while not self._stopping.is_set():
            self._restarting.clear()
            session = asyncio.create_task(self._consume())
            restart = asyncio.create_task(self._restarting.wait())
            try:
                await asyncio.wait({session, restart}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                restart.cancel()
            if self._restarting.is_set() and not self._stopping.is_set():
                await self._end_session(session)
                logger.info("consumer %s restarted with a fresh Kafka consumer", self.group)
                continue
            await asyncio.wait({session})  # stopping: the session ends at its next poll
            session.result()  # a failure is the runner's failure
            return

    def restart(self) -> None:
        """Close the Kafka consumer and subscribe anew, reading every partition from its start (after the
        broker lost its topics and offsets)."""
        self.ready.clear()
        self._rewind_next = True
        self._restarting.set()

    async def _end_session(self, session: asyncio.Task[None]) -> None:
        """Let the current batch finish for a moment; a session stuck on the broker (an offset commit the
        broker answers "unknown topic" forever) is cancelled: nothing of its batch was committed."""
        done, _ = await asyncio.wait({session}, timeout=self.settings.kafka_session_timeout_ms / 1000)
        if not done:
            session.cancel()
            done, _ = await asyncio.wait({session}, timeout=10.0)
        if not done:  # its Kafka consumer does not close (the broker went away again): leave it behind
            logger.warning("consumer %s: the old Kafka consumer did not close; starting a new one anyway", self.group)
            return
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await session

    async def _consume(self) -> None:
        topics = [*self.topics, *(dead_letter_topic(t.name, self.group) for t in self.topics)]
        try:
            await wait_out(
                lambda: ensure_topics(
                    self.settings.kafka_bootstrap, topics, self.settings.topic_partitions,
                    self.settings.topic_replication_factor,
                ),
                outage=self.outage, stopping=self._stopping,
            )
        except Interrupted:
            return
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            group_id=self.group,
            client_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.settings.kafka_heartbeat_interval_ms,
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            max_poll_records=self.settings.consumer_batch_size,
        )
        rewind = consumer if self._rewind_next else None
        self._gap_waits_before += self.offset_guard.waits
        guard = self.offset_guard = OffsetGuard()
        self._committed = {}
        listener = _ReadyWhenAssigned(self.ready, guard, rewind, self._committed)
        consumer.subscribe([t.name for t in self.topics], listener=listener)
        self._consumer = consumer
        try:
            await wait_out(consumer.start, outage=self.outage, stopping=self._stopping)
        except Interrupted:
            await consumer.stop()
            return
        logger.info("consumer %s subscribed to %s", self.group, [t.name for t in self.topics])
        try:
            pace = FetchPace(self.settings.kafka_fetch_max_wait_ms, self.settings.kafka_idle_fetch_max_wait_ms,
                             self.settings.kafka_idle_after_s, last_records_at=time.monotonic())
            self.fetch_wait_ms = pace.busy_ms
            while not self._stopping.is_set() and not self._restarting.is_set():
                fetched = await self._fetch(consumer)
                wait_ms = pace.polled(bool(fetched), time.monotonic())  # getmany names only partitions with records
                if wait_ms != self.fetch_wait_ms and set_fetch_wait(consumer, wait_ms):
                    self.fetch_wait_ms = wait_ms
                batch = self._contiguous(consumer, guard, fetched)
                if not batch:
                    if fetched:  # a gap is being waited for: read again shortly
                        await sleep_unless_stopped(0.05, self._stopping)
                    continue
                try:
                    await self._process_batch(list(batch.values()))
                except Interrupted:
                    logger.info("consumer %s stopped while waiting; the batch is redelivered", self.group)
                    return
                await self._commit(consumer, {tp: rs[-1].offset + 1 for tp, rs in batch.items()})
        finally:
            if self._consumer is consumer:
                self._consumer = None
            await consumer.stop()

    def stop(self) -> None:
        self._stopping.set()

    def _contiguous(
        self, consumer: AIOKafkaConsumer, guard: OffsetGuard,
        batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        """What of ``batch`` follows on without a gap (:class:`OffsetGuard`); a partition with a gap is read
        again from its first missing offset. Compacted topics have gaps by design and are taken as read."""
        admitted: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {}
        for tp, records in batch.items():
            if tp.topic in self._compacted:
                admitted[tp] = records
                continue
            ok, again = guard.admit(tp, records)
            if again is not None:
                consumer.seek(tp, again)
            if ok:
                admitted[tp] = ok
        return admitted

    async def _fetch(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        """The next records; while the broker is unreachable, nothing (the client reconnects by itself)."""
        try:
            batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = await consumer.getmany(timeout_ms=300)
        except Exception as exc:
            if classify(exc) is not FailureKind.TRANSIENT:
                raise
            self._fetch_outage.failed(exc)
            await sleep_unless_stopped(BACKOFF_CAP_S / 5, self._stopping)
            return {}
        self._fetch_outage.recovered()
        return batch

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        """Commit after the batch is applied. A commit lost to a rebalance or an unavailable broker is not
        retried: the records are redelivered to the next owner and the inbox drops them; the next commit
        covers these offsets too."""
        try:
            await consumer.commit(offsets)
        except CommitFailedError:
            logger.warning("offset commit of %s lost to a rebalance", self.group)
        except Exception as exc:
            if classify(exc) is not FailureKind.TRANSIENT:
                raise
            self._commit_outage.failed(exc)
        else:
            self._commit_outage.recovered()
            self._committed.update(offsets)

    async def _process_batch(self, partitions: list[list[ConsumerRecord[bytes, bytes]]]) -> None:
        """First all together, in transactions of up to ``consumer_transaction_records`` records
        (:meth:`_apply_together`); from the first group that cannot be, one by one: partitions side by side (each in
        order unless ``ordered`` is off). When one fails for good (or the runner is stopped while waiting), the
        others are cancelled and no offset of the batch is committed: it is all redelivered (what was committed
        already, the inbox drops)."""
        if self._together and sum(len(records) for records in partitions) > 1:
            flat = [record for records in partitions for record in records]
            start = 0
            while start < len(flat) and await self._apply_together(flat[start:start + self._together]):
                start += self._together
            if start >= len(flat):
                return
            # From the first group that could not be applied together on, one by one (each partition in order).
            partitions = [list(g) for _, g in itertools.groupby(flat[start:], key=lambda r: (r.topic, r.partition))]
        try:
            async with asyncio.TaskGroup() as group:
                for records in partitions:
                    if self.ordered:
                        group.create_task(self._process_in_order(records))
                    else:
                        for record in records:
                            group.create_task(self._process(record))
        except ExceptionGroup as failed:
            interrupted = failed.subgroup(Interrupted)
            raise (interrupted or failed).exceptions[0] from failed

    async def _process_in_order(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            await self._process(record)

    def _span(self, record: ConsumerRecord[bytes, bytes]) -> contextlib.AbstractContextManager[trace.Span]:
        headers = list(record.headers or ())
        fallback = None if any(n == "traceparent" for n, _ in headers) else _peek_traceparent(record.value)
        return tracer().start_as_current_span(
            f"{record.topic} process",
            context=context_from_headers(headers, fallback),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.group,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
            },
        )

    @staticmethod
    def _describe(span: trace.Span, record: ConsumerRecord[bytes, bytes], envelope: Envelope) -> None:
        span.set_attribute("messaging.message.id", str(envelope.id))
        span.set_attribute(CASE_ATTRIBUTE, envelope.subject)
        span.set_attribute("onething.event_type", envelope.type)
        redrive_of = next((v for n, v in record.headers or () if n == REDRIVE_HEADER), None)
        if redrive_of is not None:
            span.set_attribute("onething.redrive_of", redrive_of.decode(errors="replace"))

    async def _process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        with self._span(record) as span:
            try:
                envelope, payload = self._decode(record)
            except Rejected as exc:
                await self._dead_letter(record, exc)
                return
            if envelope is None or payload is None:
                return  # a type this consumer does not handle
            self._describe(span, record, envelope)
            case = bind_case(envelope.subject)  # the case_id of every log line written meanwhile
            try:
                if await self._apply(record, envelope, payload):
                    self.applied += 1
                    self.metrics.count(envelope.type, APPLIED)
                    if self.after_apply is not None:
                        await self.after_apply(envelope)
            finally:
                unbind_case(case)

    async def _apply_together(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> bool:
        """Apply a poll's records in ONE transaction (每批一个事务): their ids claimed in the inbox in one statement
        (``UnitOfWork.claim_all``), each record handled in order, partition after partition, one commit instead of
        one per record. False, with nothing committed, when any record cannot simply be applied (it is not an
        envelope, its handler refuses it or fails, the database is unavailable): the caller then takes them one by
        one, where each failure gets its own treatment (dead letter, retry, waiting out an outage)."""
        decoded: list[tuple[ConsumerRecord[bytes, bytes], Envelope, EventPayload]] = []
        for record in records:
            try:
                envelope, payload = self._decode(record)
            except Rejected:
                self.taken_one_by_one += 1
                return False
            if envelope is not None and payload is not None:
                decoded.append((record, envelope, payload))
        if not decoded:
            return True  # none of its types: nothing to do
        duplicates: list[str] = []
        try:
            applied = await unless_stopped(lambda: self._apply_all_once(decoded, duplicates), self._stopping)
        except Interrupted:
            raise
        except Exception as exc:
            self.taken_one_by_one += 1
            logger.debug("%s: %d records taken one by one after %s: %s", self.group, len(records),
                         type(exc).__name__, exc)
            return False
        self.applied += len(applied)
        for envelope in applied:  # counted once committed: a batch that gives way is counted one by one instead
            self.metrics.count(envelope.type, APPLIED)
        for event_type in duplicates:
            self.metrics.count(event_type, DUPLICATE)
        if self.after_apply is not None:
            for envelope in applied:
                await self.after_apply(envelope)
        return True

    async def _apply_all_once(self, decoded: Sequence[tuple[ConsumerRecord[bytes, bytes], Envelope, EventPayload]],
                              duplicates: list[str]) -> list[Envelope]:
        """The envelopes applied, in one transaction; the types of those the inbox already had go to ``duplicates``."""
        assert self.database is not None
        applied = []
        duplicates.clear()  # a retry of this attempt starts again
        async with self.database.unit_of_work() as uow:
            # Every record's inbox claim in one statement (a round trip each on PostgreSQL otherwise); an id
            # claimed now is applied once, at its first record; the rest are duplicates.
            claimed = await uow.claim_all(self.group, [envelope.id for _, envelope, _ in decoded])
            for record, envelope, payload in decoded:
                with self._span(record) as span:
                    self._describe(span, record, envelope)
                    case = bind_case(envelope.subject)
                    try:
                        uow.cause = envelope
                        if envelope.id not in claimed:
                            logger.debug("duplicate %s id=%s skipped", envelope.type, envelope.id)
                            duplicates.append(envelope.type)
                            continue
                        claimed.discard(envelope.id)
                        started = time.perf_counter()
                        await self.handlers[envelope.type](uow, envelope, payload)
                        self.metrics.handled(envelope.type, time.perf_counter() - started)
                        applied.append(envelope)
                    finally:
                        unbind_case(case)
        return applied

    def _decode(
        self, record: ConsumerRecord[bytes, bytes]
    ) -> tuple[Envelope | None, EventPayload | None]:
        return decode_record(record.value, self.keyring, self.handles, record.headers or ()) or (None, None)

    async def _apply_once(self, envelope: Envelope, payload: EventPayload) -> bool:
        """One attempt: the handler and the inbox record in one transaction. False for a duplicate."""
        if self.database is None:
            started = time.perf_counter()
            await self.direct[envelope.type](envelope, payload)
            self.metrics.handled(envelope.type, time.perf_counter() - started)
            return True
        handler = self.handlers[envelope.type]
        async with self.database.unit_of_work(cause=envelope) as uow:
            if not await uow.claim(self.group, envelope.id):
                logger.debug("duplicate %s id=%s skipped", envelope.type, envelope.id)
                self.metrics.count(envelope.type, DUPLICATE)
                return False
            started = time.perf_counter()
            await handler(uow, envelope, payload)
            self.metrics.handled(envelope.type, time.perf_counter() - started)
        return True

    async def _apply(
        self,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope,
        payload: EventPayload,
    ) -> bool:
        """Apply the record by the policy of the module docstring; True when it took effect now."""
        delays = backoff_delays()
        unexpected = 0
        redriving = _REDRIVING.get() is not None
        stopping = self._stop_signal()
        while True:
            try:
                applied = await unless_stopped(lambda: self._apply_once(envelope, payload), stopping)
            except Interrupted:
                raise
            except Exception as exc:
                kind = classify(exc)
                if kind is FailureKind.TRANSIENT and redriving:
                    raise
                if kind is FailureKind.TRANSIENT:
                    self.outage.failed(exc)
                    self.metrics.count(envelope.type, RETRIED)
                    if await sleep_unless_stopped(next(delays), self._stopping):
                        raise Interrupted(f"{self.group}: stopped while waiting: {exc}") from exc
                    continue
                if kind is FailureKind.UNEXPECTED and unexpected < self.settings.consumer_unexpected_retries:
                    unexpected += 1
                    self.metrics.count(envelope.type, RETRIED)
                    logger.warning(
                        "handler of %s id=%s failed unexpectedly (attempt %d of %d), retrying: %s: %s",
                        envelope.type, envelope.id, unexpected, self.settings.consumer_unexpected_retries + 1,
                        type(exc).__name__, exc,
                    )
                    if await sleep_unless_stopped(next(delays), stopping):
                        raise Interrupted(f"{self.group}: stopped while retrying: {exc}") from exc
                    continue
                if kind is FailureKind.UNEXPECTED:
                    logger.error(
                        "handler of %s id=%s failed unexpectedly %d times; dead-lettered for a re-drive",
                        envelope.type, envelope.id, unexpected + 1, exc_info=exc,
                    )
                elif not isinstance(exc, Rejected | DomainRefusal):  # bad data or a broken constraint: say which
                    logger.warning("handler of %s id=%s hit bad data: %s", envelope.type, envelope.id, exc)
                await self._dead_letter(record, exc)
                return False
            self.outage.recovered()
            return applied

    def _stop_signal(self) -> asyncio.Event:
        """What interrupts a wait: the runner's stop, except in an operator's re-drive, which is not the
        consumption loop (it runs whether or not the loop is stopping)."""
        return asyncio.Event() if _REDRIVING.get() is not None else self._stopping

    async def _persist(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt``, waiting out an outage in the consumption loop; in an operator's re-drive a transient
        failure is raised to the operator (HTTP 503) instead, so the request never hangs on an outage."""
        if _REDRIVING.get() is not None:
            return await attempt()
        return await wait_out(attempt, outage=self.outage, stopping=self._stopping)

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], exc: BaseException) -> None:
        """Keep ``record`` in the dead-letter store and send it to the consumer's dead-letter topic."""
        trace.get_current_span().set_status(Status(StatusCode.ERROR, redact(f"{type(exc).__name__}: {exc}")))
        dlq = dead_letter_topic(record.topic, self.group).name
        headers = dead_letter_headers(
            record.headers or (), topic=record.topic, partition=record.partition, offset=record.offset,
            consumer=self.group, exc=exc,
        )
        if self.dead_letters is not None:  # the store first: it is what outlives the broker
            redriving = _REDRIVING.get()
            store = self.dead_letters
            try:
                stored: int | None = await self._persist(
                    lambda: store.record(
                        group=self.group, topic=record.topic, partition=record.partition, offset=record.offset,
                        key=record.key, value=record.value, headers=record.headers or (), error=exc,
                        # the store's own finer class (signature, malformed, …) unless the runner called it a bug
                        failure="unexpected" if classify(exc) is FailureKind.UNEXPECTED else None,
                        redrive_of=redriving.of if redriving is not None else None,
                    )
                )
            except Exception as failed:
                if classify(failed) is not FailureKind.POISON:
                    raise  # the store itself is broken (no table?): stop uncommitted; the record comes back
                # A record whose bytes the store refuses must not stop the consumer: the topic still gets it.
                logger.error("dead letter of %s[%d]@%d could not be stored: %s: %s", record.topic,
                             record.partition, record.offset, type(failed).__name__, failed)
                stored = None
            if redriving is not None:
                redriving.failed_again_as = stored
        key = record.key.decode(errors="replace") if record.key is not None else None
        await self._persist(lambda: self.producer.send(dlq, key, record.value or b"", headers))
        self.dead_lettered += 1
        claimed = _event_type_of(record)  # a label only for types handled here: a forger cannot add series
        self.metrics.count(claimed if self.handles(claimed) else "other", DEAD_LETTERED)
        metrics().dead_letter(self.group, record.topic, failure_class(exc))
        logger.warning(
            "dead-lettered %s[%d]@%d to %s: %s: %s",
            record.topic, record.partition, record.offset, dlq, type(exc).__name__, exc,
        )
        if self.reporter is not None and isinstance(exc, NotPermitted):
            report = refusal_report(self.reporter, exc, consumer=self.group, topic=record.topic,
                                    partition=record.partition, offset=record.offset)
            await self._persist(lambda: self.producer.send(*report))
        if self.on_refused is not None and isinstance(exc, Rejected | DomainRefusal):
            refused = self.on_refused
            await self._persist(lambda: refused(record, exc))

    async def redrive(self, letter: DeadLetterRow) -> RedriveResult:
        """Process a stored dead letter again, as if just read (重投): same group, handlers and inbox, with the
        header ``x-redrive-of``. Its outcome is recorded on the entry (see :mod:`exchange.dead_letters`); a
        transient failure is raised and records nothing."""
        if self.dead_letters is None or letter.id is None:
            raise ValueError("only a runner with a database re-drives, and only a stored dead letter")
        headers = [(n, v) for n, v in decode_headers(letter.headers) if n != REDRIVE_HEADER]
        record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
            topic=letter.original_topic, partition=letter.original_partition, offset=letter.original_offset,
            timestamp=-1, timestamp_type=0, key=letter.record_key.encode() if letter.record_key is not None else None,
            value=letter.value, checksum=None, serialized_key_size=-1, serialized_value_size=-1,
            headers=(*headers, (REDRIVE_HEADER, str(letter.id).encode())),
        )
        event_id = peek_envelope(letter.value)[0]
        applied_before = event_id is not None and await self.dead_letters.applied(self.group, event_id)
        redriving = _Redriving(of=letter.id)
        token = _REDRIVING.set(redriving)
        try:
            await self._process(record)
        finally:
            _REDRIVING.reset(token)
        if redriving.failed_again_as is not None:
            outcome = FAILED_AGAIN
        elif applied_before:
            outcome = ALREADY_APPLIED
        elif event_id is not None and await self.dead_letters.applied(self.group, event_id):
            outcome = REDRIVEN
        else:
            outcome = SKIPPED
        # An entry a re-drive applied stays "redriven" when re-driven again (the inbox then says already applied).
        await self.dead_letters.mark(letter.id, REDRIVEN if (outcome, letter.outcome) == (ALREADY_APPLIED, REDRIVEN)
                                     else outcome)
        logger.info("dead letter %d of %s re-driven: %s", letter.id, self.group, outcome)
        return RedriveResult(letter.id, outcome, redriving.failed_again_as)
