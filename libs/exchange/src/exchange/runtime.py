"""One service process (服务进程): HTTP API, consumers and the outbox relay on one event loop.

A service describes itself with a ``build`` function that receives the shared :class:`Platform`
(settings, keys, producer, database) and returns its :class:`ServiceParts`. :func:`serve` does the
rest the same way for every service: migrate, create topics, start everything, answer ``/healthz``
and ``/readyz``, stop cleanly on SIGINT/SIGTERM, and exit non-zero when a part dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

import uvicorn
from fastapi import FastAPI

from contracts.topics import ALL_TOPICS, TopicSpec
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.health import ReadinessCheck, health_router
from exchange.kafka.admin import ensure_topics, wait_for_broker
from exchange.kafka.consumer import ConsumerRunner, DirectHandler, Handler, RefusalHook
from exchange.kafka.producer import Producer
from exchange.outbox import OutboxRelay
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing, Signer, ensure_keys
from exchange.tracing import configure_tracing

__all__ = ["BackgroundJob", "Platform", "ServiceParts", "configure_logging", "serve"]

logger = logging.getLogger(__name__)


@dataclass
class Platform:
    """The shared parts a service is built from."""

    settings: ExchangeSettings
    keyring: KeyRing
    signer: Signer
    producer: Producer
    database: Database | None

    def runner(
        self,
        *,
        topics: Sequence[TopicSpec],
        handlers: Mapping[str, Handler] | None = None,
        direct: Mapping[str, DirectHandler] | None = None,
        group: str | None = None,
        ordered: bool = True,
        on_refused: RefusalHook | None = None,
    ) -> ConsumerRunner:
        """A consumer runner wired to this platform; the group defaults to the service name.

        ``handlers`` run in the service's database transaction; ``direct`` handlers (stateless
        consumers such as department adapters) run without one. ``on_refused`` hears of every record
        refused (after it is dead-lettered).
        """
        return ConsumerRunner(
            group=group or self.settings.service_name,
            topics=topics,
            settings=self.settings,
            keyring=self.keyring,
            producer=self.producer,
            database=self.database if handlers is not None else None,
            handlers=handlers,
            direct=direct,
            ordered=ordered,
            on_refused=on_refused,
        )


class BackgroundJob(Protocol):
    """A periodic job of a service (e.g. supervision's scan): runs until :meth:`stop`."""

    name: str

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class ServiceParts:
    app: FastAPI
    consumers: list[ConsumerRunner] = field(default_factory=list)
    startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # run once before serving
    background: list[BackgroundJob] = field(default_factory=list)  # run beside the consumers until stopped


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the host handles signals for every part, not just HTTP


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for chatty in ("aiokafka", "faust", "mode"):  # faust logs every commit and rebalance at INFO
        logging.getLogger(chatty).setLevel(logging.WARNING)


async def serve(
    settings: ExchangeSettings,
    build: Callable[[Platform], ServiceParts],
    *,
    migrations_package: str | None,
) -> int:
    """Run a service until signalled (exit 0) or until one of its parts fails (exit 1)."""
    name = settings.service_name
    configure_tracing(name, settings.otel_exporter_otlp_endpoint)
    ensure_keys(settings.keys_path, [name])
    keyring = KeyRing(settings.keys_path)
    database: Database | None = None
    if migrations_package is not None:
        database = Database(settings.resolved_database_url(), source=name)
        await upgrade(database, migrations_package)
    await wait_for_broker(settings.kafka_bootstrap)
    await ensure_topics(settings.kafka_bootstrap, ALL_TOPICS, settings.topic_partitions, settings.topic_replication_factor)
    producer = Producer(settings.kafka_bootstrap, client_id=name)
    await producer.start()
    platform = Platform(settings, keyring, keyring.signer(name), producer, database)
    parts = build(platform)
    for hook in parts.startup:
        await hook()

    relay = None
    if database is not None:
        relay = OutboxRelay(
            database,
            producer,
            platform.signer,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_ms / 1000,
        )
    checks: dict[str, ReadinessCheck] = {}
    if database is not None:
        checks["database"] = database.ping
    if relay is not None:
        checks["outbox_relay"] = partial(_is_set, relay.ready)
    for runner in parts.consumers:
        checks[f"consumer:{runner.group}"] = partial(_is_set, runner.ready)
    parts.app.include_router(health_router(name, checks))

    server = _Server(
        uvicorn.Config(
            parts.app, host=settings.http_host, port=settings.port, log_level="warning",
            lifespan="on", access_log=False,
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    tasks: dict[asyncio.Task[object], str] = {asyncio.create_task(server.serve()): "http"}
    for runner in parts.consumers:
        tasks[asyncio.create_task(runner.run())] = f"consumer {runner.group}"
    if relay is not None:
        tasks[asyncio.create_task(relay.run())] = "outbox relay"
    for job in parts.background:
        tasks[asyncio.create_task(job.run())] = job.name
    stopper: asyncio.Task[object] = asyncio.create_task(stop.wait())
    logger.info("%s serving on http://%s:%d", name, settings.http_host, settings.port)

    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    exit_code = 0
    for task in done:
        if task is stopper:
            continue
        exit_code = 1
        exc = task.exception()
        logger.error("%s: %s stopped: %r", name, tasks[task], exc, exc_info=exc)

    server.should_exit = True
    for runner in parts.consumers:
        runner.stop()
    if relay is not None:
        relay.stop()
    for job in parts.background:
        job.stop()
    stopper.cancel()
    pending = [t for t in tasks if not t.done()]
    _, still = await asyncio.wait(pending, timeout=10)
    for task in still:
        task.cancel()
    await producer.stop()
    if database is not None:
        await database.dispose()
    logger.info("%s stopped (exit %d)", name, exit_code)
    return exit_code


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()
