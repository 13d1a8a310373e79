"""The one consumer runner (消费者运行器).

For every record, in partition order: decode the envelope → verify its signature → skip types this
consumer does not handle → in ONE database transaction record the event id (inbox) and apply the
handler (its outbox rows ride in the same transaction) → commit the Kafka offset only after that.

* A record that can never succeed (not an envelope, bad signature, payload not matching its schema,
  a handler's :class:`~exchange.errors.Rejected`, or any other handler bug) goes to the consumer's
  own dead-letter topic with the error in headers, and the consumer carries on. A refusal (a
  :class:`~exchange.errors.Rejected`, not a bug of ours) is then handed to the ``on_refused`` hook, so the
  service can tell the sender (dispatch tells a department, on the topic it reads).
* A transient failure (database or broker down) is retried in place with exponential back-off; when
  the retries run out the runner stops *without* committing, so the record is redelivered.
* A duplicate (same envelope id already applied by this consumer) has no effect.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from contracts.envelope import Envelope, EnvelopeError, EventPayload
from contracts.registry import PayloadError, UnknownEventType, decode_payload
from contracts.topics import TopicSpec, dead_letter_topic
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from exchange.errors import Malformed, Rejected, Transient
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Headers, Producer
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing
from exchange.tracing import context_from_headers, tracer

__all__ = ["ConsumerRunner", "DirectHandler", "Handler", "RefusalHook", "dead_letter_headers", "decode_record"]

logger = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope, EventPayload], Awaitable[None]]
DirectHandler = Callable[[Envelope, EventPayload], Awaitable[None]]
AppliedHook = Callable[[Envelope], Awaitable[None]]
RefusalHook = Callable[[ConsumerRecord[bytes, bytes], Rejected], Awaitable[None]]

_TRANSIENT: tuple[type[BaseException], ...] = (
    Transient,
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    KafkaError,
)


def _peek_traceparent(value: bytes | None) -> str | None:
    """The envelope's own trace context, for records whose headers were stripped on the way."""
    try:
        parsed = json.loads(value or b"")
    except ValueError:
        return None
    found = parsed.get("traceparent") if isinstance(parsed, dict) else None
    return found if isinstance(found, str) else None


def decode_record(
    value: bytes | None, keyring: KeyRing, handles: Callable[[str], bool]
) -> tuple[Envelope, EventPayload] | None:
    """Envelope and payload of a record value, its signature verified; None for a type ``handles`` refuses.

    Raises :class:`~exchange.errors.Rejected` (dead-letter it) when the value is no envelope, is not signed
    by its source, or its payload does not match its schema. Shared by the consumer runner and the stream
    processors (:mod:`exchange.streams`), so both accept exactly the same records.
    """
    if value is None:
        raise Malformed("record has no value")
    try:
        envelope, wire = Envelope.from_bytes(value)
    except EnvelopeError as exc:
        raise Malformed(f"not an envelope: {exc}") from exc
    keyring.verify_envelope(wire)
    if not handles(envelope.type):
        return None
    try:
        return envelope, decode_payload(envelope)
    except (PayloadError, UnknownEventType) as exc:
        raise Malformed(str(exc)) from exc


def dead_letter_headers(
    headers: Iterable[tuple[str, bytes]], *, topic: str, partition: int, offset: int, consumer: str,
    exc: BaseException,
) -> Headers:
    """The original headers plus why and where from (``x-error-*``, ``x-original-*``, ``x-consumer``)."""
    return [
        *headers,
        ("x-error-type", type(exc).__name__.encode()),
        ("x-error-message", str(exc)[:4000].encode()),
        ("x-original-topic", topic.encode()),
        ("x-original-partition", str(partition).encode()),
        ("x-original-offset", str(offset).encode()),
        ("x-consumer", consumer.encode()),
    ]


class _ReadyWhenAssigned(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, ready: asyncio.Event) -> None:
        self._ready = ready

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
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
        self.ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self.applied = 0
        self.dead_lettered = 0

    def handles(self, event_type: str) -> bool:
        return event_type in self.handlers or event_type in self.direct

    async def run(self) -> None:
        await ensure_topics(
            self.settings.kafka_bootstrap,
            [*self.topics, *(dead_letter_topic(t.name, self.group) for t in self.topics)],
            self.settings.topic_partitions,
            self.settings.topic_replication_factor,
        )
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            group_id=self.group,
            client_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.settings.kafka_heartbeat_interval_ms,
            max_poll_records=self.settings.consumer_batch_size,
        )
        consumer.subscribe([t.name for t in self.topics], listener=_ReadyWhenAssigned(self.ready))
        await consumer.start()
        logger.info("consumer %s subscribed to %s", self.group, [t.name for t in self.topics])
        try:
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=300)
                if not batch:
                    continue
                await self._process_batch(list(batch.values()))
                try:
                    await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items()})
                except CommitFailedError:
                    # The group rebalanced mid-batch; the new owner redelivers and the inbox dedupes.
                    logger.warning("offset commit of %s lost to a rebalance", self.group)
        finally:
            await consumer.stop()

    def stop(self) -> None:
        self._stopping.set()

    async def _process_batch(self, partitions: list[list[ConsumerRecord[bytes, bytes]]]) -> None:
        """Partitions side by side (each in order unless ``ordered`` is off). When one fails for good,
        the others are cancelled and nothing of the batch is committed: it is all redelivered."""
        try:
            async with asyncio.TaskGroup() as group:
                for records in partitions:
                    if self.ordered:
                        group.create_task(self._process_in_order(records))
                    else:
                        for record in records:
                            group.create_task(self._process(record))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from failed

    async def _process_in_order(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            await self._process(record)

    async def _process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        headers = list(record.headers or ())
        fallback = None if any(n == "traceparent" for n, _ in headers) else _peek_traceparent(record.value)
        with tracer().start_as_current_span(
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
        ) as span:
            try:
                envelope, payload = self._decode(record)
            except Rejected as exc:
                await self._dead_letter(record, exc)
                return
            if envelope is None or payload is None:
                return  # a type this consumer does not handle
            span.set_attribute("messaging.message.id", str(envelope.id))
            span.set_attribute("onething.case_id", envelope.subject)
            span.set_attribute("onething.event_type", envelope.type)
            await self._apply(record, envelope, payload)

    def _decode(
        self, record: ConsumerRecord[bytes, bytes]
    ) -> tuple[Envelope | None, EventPayload | None]:
        return decode_record(record.value, self.keyring, self.handles) or (None, None)

    async def _apply(
        self,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope,
        payload: EventPayload,
    ) -> None:
        retries = self.settings.consumer_max_retries
        for attempt in range(retries + 1):
            try:
                if self.database is not None:
                    handler = self.handlers[envelope.type]
                    async with self.database.unit_of_work(cause=envelope) as uow:
                        if not await uow.claim(self.group, envelope.id):
                            logger.debug("duplicate %s id=%s skipped", envelope.type, envelope.id)
                            return
                        await handler(uow, envelope, payload)
                else:
                    await self.direct[envelope.type](envelope, payload)
                self.applied += 1
                if self.after_apply is not None:
                    await self.after_apply(envelope)
                return
            except Rejected as exc:
                await self._dead_letter(record, exc)
                return
            except IntegrityError as exc:  # a broken invariant, not a passing outage
                logger.exception("handler of %s id=%s broke a constraint", envelope.type, envelope.id)
                await self._dead_letter(record, exc)
                return
            except _TRANSIENT as exc:
                if attempt == retries:
                    raise Transient(
                        f"{self.group}: {envelope.type} id={envelope.id} still failing: {exc}"
                    ) from exc
                delay = min(0.1 * 2**attempt, 5.0)
                logger.warning(
                    "transient failure in %s (attempt %d, retry in %.1fs): %s",
                    self.group, attempt + 1, delay, exc,
                )
                await asyncio.sleep(delay)
            except Exception as exc:
                logger.exception("handler of %s id=%s failed", envelope.type, envelope.id)
                await self._dead_letter(record, exc)
                return

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], exc: BaseException) -> None:
        trace.get_current_span().set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        dlq = dead_letter_topic(record.topic, self.group).name
        headers = dead_letter_headers(
            record.headers or (), topic=record.topic, partition=record.partition, offset=record.offset,
            consumer=self.group, exc=exc,
        )
        key = record.key.decode(errors="replace") if record.key is not None else None
        await self.producer.send(dlq, key, record.value or b"", headers)
        self.dead_lettered += 1
        logger.warning(
            "dead-lettered %s[%d]@%d to %s: %s: %s",
            record.topic, record.partition, record.offset, dlq, type(exc).__name__, exc,
        )
        if self.on_refused is not None and isinstance(exc, Rejected):
            await self.on_refused(record, exc)
