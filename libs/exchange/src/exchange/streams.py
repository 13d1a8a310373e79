"""Stream processors (流处理) on faust-streaming: the one place for their plumbing.

A stream processor keeps its state in faust tables (changelogged to the broker and rebuilt from the
changelog when a worker takes a partition) instead of a database: for figures that are a function of the
event history alone. Every processor gets here what the consumer runner gives the database services:

* :func:`stream_app`: a faust app from :class:`~exchange.settings.ExchangeSettings` (bootstrap, the short
  group timeouts the embedded broker needs, replication, partitions, data directory), no web server;
* :func:`open_record`: decode → verify the signature → payload, exactly as the consumer runner does
  (:func:`exchange.kafka.consumer.decode_record`), skipping other types by their header without parsing;
* :meth:`StreamProcessor.dead_letter`: a record that can never succeed goes to ``<topic>.dlq.<app id>``
  (created at start for every topic an agent reads) with the runner's ``x-error-*`` headers, and the
  processor carries on;
* :func:`signed_record`: an output payload as a signed envelope, as a Kafka value and headers;
* :class:`StreamProcessor`: runs the app as a :class:`~exchange.runtime.BackgroundJob`, and works around an
  aiokafka producer stall on this broker (:meth:`StreamProcessor._pin_producer_metadata`).

Delivery is at-least-once: the broker has neither transactions nor an idempotent producer. faust commits an
offset only after flushing everything the event sent (changelog writes, outputs), so a crash redelivers the
uncommitted events; processors must make their effects idempotent (see rating's figures for how).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from uuid import UUID

import faust
from faust.types import Message, TopicT

from contracts.envelope import Envelope, EventPayload
from contracts.topics import SECURITY_EVENTS, TopicSpec, dead_letter_topic
from exchange.dead_letters import failure_class
from exchange.errors import NotPermitted, Transient
from exchange.kafka.admin import ensure_topics, partition_counts
from exchange.kafka.consumer import dead_letter_headers, decode_record
from exchange.kafka.producer import Headers, record_of
from exchange.metrics import metrics
from exchange.security import refusal_report
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing, Signer

__all__ = ["OutRecord", "StreamProcessor", "bytes_topic", "open_record", "signed_record", "stream_app"]

logger = logging.getLogger(__name__)

OutRecord = tuple[str, bytes | None, bytes, Headers]  # topic, key, value, headers

START_TIMEOUT_S = 30.0  # an app that has not started by then is waiting for something that will not come


def stream_app(settings: ExchangeSettings, app_id: str, *, partitions: int) -> faust.App:
    """A faust app (its consumer group is ``app_id``) whose tables and internal topics have ``partitions``."""
    session_s = settings.kafka_session_timeout_ms / 1000
    datadir = settings.data_dir / "streams" / app_id  # faust's default: "<app id>-data" in the working directory
    datadir.mkdir(parents=True, exist_ok=True)  # faust does not create the parents
    return faust.App(
        app_id,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",") if host.strip()],
        broker_client_id=app_id,
        store="memory://",  # tables live in memory and are rebuilt from their changelog topics at start
        topic_partitions=partitions,
        topic_replication_factor=settings.topic_replication_factor,
        # faust's defaults make every group join on the embedded broker take about 30 s.
        broker_session_timeout=session_s,
        broker_heartbeat_interval=settings.kafka_heartbeat_interval_ms / 1000,
        broker_rebalance_timeout=session_s / 2,
        # faust waits 20 minutes for an unacknowledged send; fail like the exchange's producer instead.
        producer_request_timeout=30.0,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        autodiscover=False,
        datadir=datadir,
    )


def bytes_topic(app: faust.App, *names: str, internal: bool = False, partitions: int | None = None) -> TopicT:
    """Topics whose keys and values reach the agents as the bytes on the wire (envelopes are verified on
    exactly those bytes). ``internal`` topics are the app's own, created by faust with ``partitions``."""
    return app.topic(
        *names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        internal=internal, partitions=partitions,
    )


def _header_pairs(headers: Sequence[tuple[str, bytes]] | Mapping[str, bytes] | None) -> list[tuple[str, bytes]]:
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


def open_record(
    message: Message, keyring: KeyRing, handles: Callable[[str], bool]
) -> tuple[Envelope, EventPayload] | None:
    """The envelope and payload of a consumed record, or None for a type the processor does not take (its
    ``event-type`` header is enough to say so: :func:`~exchange.kafka.consumer.decode_record`). Raises
    :class:`~exchange.errors.Rejected` for a record to dead-letter.
    """
    return decode_record(message.value, keyring, handles, _header_pairs(message.headers))


def signed_record(signer: Signer, payload: EventPayload, *, subject: str, event_id: UUID) -> tuple[bytes, Headers]:
    """``payload`` in an envelope from ``signer``'s principal, signed, as a Kafka value and headers.

    A deterministic ``event_id`` makes a re-sent output (after a redelivery) a duplicate consumers drop.
    """
    envelope = Envelope.wrap(payload, source=signer.principal, subject=subject, event_id=event_id)
    return record_of(signer.sign_envelope(envelope.to_wire()))


class StreamProcessor(ABC):
    """One faust app run as a background job of a service: ``run()`` until ``stop()``.

    ``run()`` creates ``sources`` and ``outputs`` (from the registry, as services do at start), reads how many
    partitions the sources really have (they must agree: the app's tables and internal topics are partitioned
    like them, and faust refuses a table whose partitions differ from its source's), lets :meth:`build`
    declare topics, tables and agents, starts the app and waits. ``ready`` is set once the group assigned
    partitions and the tables are recovered. A failure that is not the record's fault (the broker is gone)
    stops the app and is raised from ``run()``; uncommitted records are then redelivered. The service host
    (:func:`exchange.runtime.serve`) runs ``run()`` again, with back-off, when that failure is transient
    (:mod:`exchange.failures`: the broker unavailable), and stops the service for any other: the same policy
    as the consumer runner's, by restart, since the app's own consumer cannot wait in place.
    """

    name: str

    def __init__(
        self,
        settings: ExchangeSettings,
        *,
        app_id: str,
        sources: Sequence[TopicSpec],
        outputs: Sequence[TopicSpec] = (),
        reporter: Signer | None = None,
    ) -> None:
        self.settings = settings
        self.app_id = app_id
        self.sources = tuple(sources)
        # A processor with a reporter sends a security event for each record refused for its publisher.
        self.reporter = reporter
        self.outputs = (*outputs, SECURITY_EVENTS) if reporter is not None else tuple(outputs)
        self.ready = asyncio.Event()
        self.dead_lettered = 0
        self._stopping = asyncio.Event()  # stop(): for good
        self._failed = asyncio.Event()  # fail(): this run ends; run() may be called again
        self._restarting = asyncio.Event()  # restart(): this run ends, a new app starts
        self._failure: BaseException | None = None
        self._app: faust.App | None = None
        self._written: set[str] = set()  # every topic the app produces to (see _pin_producer_metadata)

    @abstractmethod
    def build(self, app: faust.App, partitions: int) -> None:
        """Declare the app's topics, tables and agents; ``partitions`` is the sources' partition count."""

    async def run(self) -> None:
        """Run the app until :meth:`stop`; after :meth:`restart` as a new app (tables rebuilt from the
        changelogs, sources read from the group's offsets: from the start on a broker that lost them)."""
        while True:
            self._restarting.clear()
            await self._run_app()
            if self._stopping.is_set() or not self._restarting.is_set():
                return
            logger.info("stream processor %s restarted", self.app_id)

    def restart(self) -> None:
        """Stop the app and start a new one (after the broker lost its topics and offsets)."""
        self.ready.clear()
        self._restarting.set()

    async def _run_app(self) -> None:
        settings = self.settings
        self._failure = None
        self._failed.clear()
        self.ready.clear()
        await ensure_topics(
            settings.kafka_bootstrap, [*self.sources, *self.outputs],
            settings.topic_partitions, settings.topic_replication_factor,
        )
        counts = await partition_counts(settings.kafka_bootstrap, [t.name for t in self.sources])
        if len(set(counts.values())) != 1:
            raise RuntimeError(f"{self.app_id}: its sources must be co-partitioned, but have {counts}")
        partitions = next(iter(counts.values()))
        app = stream_app(settings, self.app_id, partitions=partitions)
        self.build(app, partitions)
        # Every topic an agent reads gets its dead-letter topic now, as the consumer runner does.
        dead_letters = [
            dead_letter_topic(name, self.app_id) for agent in app.agents.values() for name in agent.channel.topics
        ]
        await ensure_topics(
            settings.kafka_bootstrap, dead_letters, settings.topic_partitions, settings.topic_replication_factor
        )
        self._written = {
            *(t.name for t in self.outputs), *(t.name for t in dead_letters),
            *(name for agent in app.agents.values() for name in agent.channel.topics if agent.channel.internal),
            *(table.changelog_topic.get_topic_name() for table in app.tables.values()),
        }
        # mode types handlers with mypy_extensions arguments that no def matches, hence the ignores.
        app.on_partitions_assigned.connect(self._pin_producer_metadata)  # type: ignore[arg-type]
        app.on_rebalance_complete.connect(self._on_rebalance_complete)  # type: ignore[arg-type]
        self._app = app
        if not await self._started(app):
            return
        logger.info("stream processor %s started on %s (%d partitions)", self.app_id, list(counts), partitions)
        try:
            waits = {
                asyncio.create_task(self._stopping.wait()),
                asyncio.create_task(self._failed.wait()),
                asyncio.create_task(app.wait_until_stopped()),
                asyncio.create_task(self._restarting.wait()),
            }
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
        finally:
            crash = app.crash_reason if app.crashed else None
            await app.stop()
            self._app = None
        if self._failure is not None:
            raise self._failure
        if crash is not None:
            raise RuntimeError(f"stream processor {self.app_id} crashed: {crash!r}") from crash

    async def _started(self, app: faust.App) -> bool:
        """Start ``app``: True once it started, False when stop() or restart() came first (the app is then stopped).

        A start that does not end within :data:`START_TIMEOUT_S` is a transient failure: seen once, right after the
        broker lost its data, faust's consumer waited on the broker for good, the processor never ran again and
        did not even stop. The app is stopped and :class:`~exchange.errors.Transient` raised, so the host runs the
        processor again, with back-off, as for a broker that is gone."""
        starting = asyncio.create_task(app.start())
        interrupts = {asyncio.create_task(self._stopping.wait()), asyncio.create_task(self._restarting.wait())}
        try:
            done, _ = await asyncio.wait({starting, *interrupts}, timeout=START_TIMEOUT_S,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for interrupt in interrupts:
                interrupt.cancel()
        if starting in done:
            starting.result()  # its failure, if it failed
            return True
        starting.cancel()
        await asyncio.wait({starting}, timeout=5.0)  # a start that does not end when cancelled is left behind
        if starting.done() and not starting.cancelled():
            starting.exception()  # retrieved: asyncio would log it as never retrieved
        try:
            await asyncio.wait_for(app.stop(), START_TIMEOUT_S)
        except TimeoutError:
            logger.warning("stream processor %s: the app that did not start did not stop either", self.app_id)
        finally:
            self._app = None
        if done:
            return False  # stopped or restarted while starting
        raise Transient(f"stream processor {self.app_id} did not start within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        self._stopping.set()

    def fail(self, exc: BaseException) -> None:
        """Stop because of ``exc`` (not the record's fault); ``run()`` raises it."""
        logger.error("stream processor %s failed: %r", self.app_id, exc)
        if self._failure is None:
            self._failure = exc
        self._failed.set()

    def _on_rebalance_complete(self, sender: object, **kwargs: object) -> None:
        self.ready.set()

    async def _pin_producer_metadata(self, sender: faust.App, *args: object, **kwargs: object) -> None:
        """Make the producer track every topic the app writes to, before records flow.

        aiokafka's producer fetches metadata of all topics until it first meets a topic it does not know
        (one created after it started: an internal topic, a changelog, a dead-letter topic); from then on it
        fetches only the topics it was asked about and forgets the others. A batch already queued for a
        forgotten topic waits for a leader that never comes, until the request timeout. Without this, the
        rating figures test stalled mid-stream in about one run in three (the stuck batches were found in the
        accumulator with no leader and the topic missing from the tracked set). Tracking the whole set before
        records flow means it never changes while batches are queued.
        """
        client = getattr(getattr(sender.producer, "_producer", None), "client", None)  # aiokafka driver only
        if client is None:
            logger.warning("stream processor %s: cannot pin producer metadata on this driver", self.app_id)
            return
        await asyncio.gather(*(client.add_topic(name) for name in sorted(self._written)))

    async def send_and_wait(self, records: Iterable[OutRecord]) -> None:
        """Produce the records through the app's producer and wait until the broker acknowledged them all."""
        if self._app is None:
            raise RuntimeError(f"stream processor {self.app_id} is not running")
        producer = self._app.producer
        pending = [await producer.send(topic, key, value, None, None, headers) for topic, key, value, headers in records]
        await asyncio.gather(*pending)

    async def dead_letter(self, message: Message, exc: BaseException) -> None:
        """Send the record to its dead-letter topic with why and where from, as the consumer runner does."""
        dlq = dead_letter_topic(message.topic, self.app_id)
        headers = dead_letter_headers(
            _header_pairs(message.headers), topic=message.topic, partition=message.partition,
            offset=message.offset, consumer=self.app_id, exc=exc,
        )
        records: list[OutRecord] = [(dlq.name, message.key, message.value or b"", headers)]
        if self.reporter is not None and isinstance(exc, NotPermitted):
            topic, key, value, report_headers = refusal_report(
                self.reporter, exc, consumer=self.app_id, topic=message.topic, partition=message.partition,
                offset=message.offset)
            records.append((topic, key.encode(), value, report_headers))
        await self.send_and_wait(records)
        self.dead_lettered += 1
        metrics().dead_letter(self.app_id, message.topic, failure_class(exc))
        logger.warning(
            "dead-lettered %s[%d]@%d to %s: %s: %s",
            message.topic, message.partition, message.offset, dlq.name, type(exc).__name__, exc,
        )

