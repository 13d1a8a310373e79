"""One service process (服务进程): HTTP API, consumers and the outbox relay on one event loop.

A service describes itself with a ``build`` function that receives the shared :class:`Platform`
(settings, keys, producer, database) and returns its :class:`ServiceParts`. :func:`serve` does the
rest the same way for every service: migrate, create topics, start everything, answer ``/healthz``
and ``/readyz``, serve ``/metrics`` (:mod:`exchange.metrics`) and the API docs offline (:mod:`exchange.api_docs`),
serve the operator's ``/dead-letters`` API (:mod:`exchange.dead_letters_api`) when the
service has a database, stop cleanly on SIGINT/SIGTERM, and exit non-zero when a part dies.

Transient failures (:mod:`exchange.failures`) never stop a service: start-up waits for the database and
the broker; a background job that fails transiently is restarted with back-off; an HTTP request that meets
one answers 503 with ``Retry-After`` (:func:`answer_unavailable`); consumers and the relay wait them out.
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
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from contracts.publishing import PLATFORM_SERVICES
from contracts.topics import ALL_TOPICS, TopicSpec
from exchange.access.http import Access, accept_callers
from exchange.access.tokens import TokenVerifier
from exchange.api_docs import serve_api_docs
from exchange.base64url import unb64
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.dead_letters import DeadLetterStore, Redriver
from exchange.dead_letters_api import mount_dead_letters
from exchange.errors import Transient
from exchange.failures import Interrupted, Outage, backoff_delays, is_transient, sleep_unless_stopped, wait_out
from exchange.health import CheckResult, HealthFigure, ReadinessCheck, health_router
from exchange.http_edge import harden
from exchange.kafka.admin import ensure_topics, wait_for_broker
from exchange.kafka.consumer import ConsumerRunner, DirectHandler, Handler, RefusalHook
from exchange.kafka.metadata import refuse_topic_auto_creation
from exchange.kafka.producer import Producer
from exchange.logs import JsonFormatter, LogFormat
from exchange.metrics import Sampler, metrics, metrics_router
from exchange.outbox import OutboxRelay
from exchange.privacy import RedactingFormatter, install_log_redaction
from exchange.recovery import AfterBrokerLoss, BrokerRecovery, Restartable
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing, Signer
from exchange.trace_store import TRACES_FOLDER, LocalSpanFile
from exchange.tracing import configure_tracing, sampler_of

__all__ = ["BackgroundJob", "Platform", "ServiceParts", "answer_unavailable", "configure_logging", "serve"]

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
            # A platform service reports what it refused for its publisher; a simulated department does not.
            reporter=self.signer if self.settings.service_name in PLATFORM_SERVICES else None,
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
    # Principals besides the service whose keys its outbox relay signs with (the gateway's departments).
    signs_for: list[str] = field(default_factory=list)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the host handles signals for every part, not just HTTP


def configure_logging(level: str, *, log_format: LogFormat = "text", service: str = "onething") -> None:
    """The process's logging: JSON lines with trace, case and service (:mod:`exchange.logs`) or plain text, both
    with personal data masked (:mod:`exchange.privacy`); uvicorn's loggers go through the same handler."""
    install_log_redaction()  # personal data masked in every record (exchange.privacy)
    text = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level.upper(), format=text)
    formatter = JsonFormatter(service) if log_format == "json" else RedactingFormatter(text)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    for chatty in ("aiokafka", "faust", "mode"):  # faust logs every commit and rebalance at INFO
        logging.getLogger(chatty).setLevel(logging.WARNING)


RETRY_AFTER_S = 5


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    if not is_transient(exc):
        raise exc  # not ours to answer: the server's error handling takes it (500, logged)
    logger.warning("%s %s: a dependency is unavailable, answered 503: %s: %s",
                   request.method, request.url.path, type(exc).__name__, exc)
    return JSONResponse(
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
        content={
            "error": "unavailable",
            "message_zh": "服务暂时不可用（数据库或消息总线暂不可用），请稍后重试；本次请求未被处理。",
            "message_en": "The service is temporarily unavailable (its database or the message bus is down); "
            "the request was not carried out. Please retry later.",
            "retry_after_s": RETRY_AFTER_S,
        },
    )


def answer_unavailable(app: FastAPI) -> None:
    """Requests that meet a transient failure (database or broker unavailable) answer 503 with ``Retry-After``
    and a zh-CN/English body instead of 500: nothing was written, and the same request succeeds later.
    Registered by :func:`serve` on every service's app; other errors go on as before."""
    for exc_class in (DBAPIError, PoolTimeout, OSError, KafkaError, Transient):
        app.add_exception_handler(exc_class, _unavailable)


async def _run_job(job: BackgroundJob, stopping: asyncio.Event) -> None:
    """Run a background job; a transient failure restarts it with back-off instead of stopping the service."""
    outage = Outage(job.name, logger)
    delays = backoff_delays()
    while True:
        try:
            await job.run()
            return
        except Exception as exc:
            if stopping.is_set() or not is_transient(exc):
                raise
            outage.failed(exc)
            if await sleep_unless_stopped(next(delays), stopping):
                return
            logger.info("%s: restarting after a transient failure", job.name)


async def _start(
    settings: ExchangeSettings, database: Database | None, migrations_package: str | None, stopping: asyncio.Event
) -> Producer:
    """Migrate, reach the broker, create topics and start the producer, waiting out whatever is down."""
    name = settings.service_name
    outage = Outage(f"{name} start-up", logger)
    if database is not None and migrations_package is not None:
        await wait_out(lambda: upgrade(database, migrations_package), outage=outage, stopping=stopping)
    await wait_out(lambda: wait_for_broker(settings.kafka_bootstrap), outage=outage, stopping=stopping)
    await wait_out(
        lambda: ensure_topics(
            settings.kafka_bootstrap, ALL_TOPICS, settings.topic_partitions, settings.topic_replication_factor
        ),
        outage=outage, stopping=stopping,
    )
    producer = Producer(settings.kafka_bootstrap, client_id=name)
    await wait_out(producer.start, outage=outage, stopping=stopping)
    return producer


async def serve(
    settings: ExchangeSettings,
    build: Callable[[Platform], ServiceParts],
    *,
    migrations_package: str | None,
) -> int:
    """Run a service until signalled (exit 0) or until one of its parts fails for good (exit 1)."""
    name = settings.service_name
    kept = None if settings.otel_exporter_otlp_endpoint or not settings.traces_local else \
        LocalSpanFile(settings.data_dir / TRACES_FOLDER / f"{name}.jsonl")  # the embedded default's traces
    configure_tracing(name, settings.otel_exporter_otlp_endpoint, exporter=kept,
                      sampler=sampler_of(settings.traces_per_second, settings.otel_traces_sampler))
    keyring = KeyRing(settings.keys_path, holder=name,  # its own private keys only (最小持有)
                      anchor=unb64(settings.key_list_anchor) if settings.key_list_anchor else None)
    try:  # keys are made by `onething keys` or the deployment, never silently here (a new key is a new identity)
        keyring.signer(name)
    except (FileNotFoundError, ValueError) as missing:
        logger.error("%s cannot start: %s 缺少私钥，服务未启动", name, missing)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    database: Database | None = None
    if migrations_package is not None:
        database = Database(settings.resolved_database_url(), source=name)
    refuse_topic_auto_creation()  # topics come from the registry only, with its partition counts
    try:
        producer = await _start(settings, database, migrations_package, stop)
    except Interrupted:
        logger.info("%s stopped while starting", name)
        if database is not None:
            await database.dispose()
        return 0
    platform = Platform(settings, keyring, keyring.signer(name), producer, database)
    try:
        parts = build(platform)
        signers = {principal: keyring.signer(principal) for principal in parts.signs_for}
    except FileNotFoundError as missing:  # a key it signs with (a department it answers for) is not in its folder
        logger.error("%s cannot start: %s 缺少私钥，服务未启动", name, missing)
        await producer.stop()
        if database is not None:
            await database.dispose()
        return 2
    harden(parts.app, settings)  # the configured limits and origins; every create_app hardens its app already
    accept_callers(parts.app, Access(
        TokenVerifier(settings.auth_issuer, settings.auth_audience, keyring, jwks_url=settings.auth_jwks_url),
        keyring))
    startup = Outage(f"{name} start-up", logger)
    try:
        for hook in parts.startup:
            await wait_out(hook, outage=startup, stopping=stop)
    except Interrupted:
        await producer.stop()
        if database is not None:
            await database.dispose()
        return 0

    relay = None
    if database is not None:
        relay = OutboxRelay(
            database,
            producer,
            platform.signer,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_ms / 1000,
            signers=signers,
        )
    # After the broker lost its data: topics again, outbox re-published, consumers restarted (exchange.recovery).
    recovery = BrokerRecovery(
        settings, database=database, relay=relay,
        consumers=[*parts.consumers, *(job for job in parts.background if isinstance(job, Restartable))],
        after_loss=[job for job in parts.background if isinstance(job, AfterBrokerLoss)],
    )
    try:
        await recovery.start(stop)
    except Interrupted:
        logger.info("%s stopped while starting", name)
        await producer.stop()
        if database is not None:
            await database.dispose()
        return 0
    checks: dict[str, ReadinessCheck] = {"broker_epoch": recovery.ready}
    if database is not None:
        checks["database"] = database.ping
    checks["broker"] = producer.ping
    if relay is not None:
        checks["outbox_relay"] = partial(_answer, relay.readiness)
    for runner in parts.consumers:
        checks[f"consumer:{runner.group}"] = partial(_answer, runner.readiness)
    extras: dict[str, HealthFigure] = {}
    if database is not None:
        store = DeadLetterStore(database)
        redriver = Redriver(store, [r for r in parts.consumers if r.dead_letters is not None])
        mount_dead_letters(parts.app, redriver, keyring, operators=settings.dead_letter_operators)
        extras["dead_letters"] = store.counts
    if relay is not None:
        extras["outbox_held"] = relay.held
    if parts.consumers:
        extras["gap_waits"] = partial(_gap_waits, parts.consumers)
        extras["polls_taken_one_by_one"] = partial(_taken_one_by_one, parts.consumers)
    parts.app.include_router(health_router(name, checks, extras))
    samplers: list[Sampler] = []
    if relay is not None:
        samplers.append(partial(_sample_outbox, relay))
    if parts.consumers:
        samplers.append(partial(_sample_lag, parts.consumers))
    parts.app.include_router(metrics_router(samplers))
    serve_api_docs(parts.app)
    answer_unavailable(parts.app)

    server = _Server(
        uvicorn.Config(
            parts.app, host=settings.http_host, port=settings.port, log_level="warning",
            # uvicorn's loggers go to the process's handler (log_config None: uvicorn installs no formatter of its
            # own); exchange.http_telemetry writes the access log instead of uvicorn's.
            lifespan="on", access_log=False, log_config=None,
        )
    )

    tasks: dict[asyncio.Task[object], str] = {asyncio.create_task(server.serve()): "http"}
    for runner in parts.consumers:
        tasks[asyncio.create_task(runner.run())] = f"consumer {runner.group}"
    if relay is not None:
        tasks[asyncio.create_task(relay.run())] = "outbox relay"
    for job in parts.background:
        tasks[asyncio.create_task(_run_job(job, stop))] = job.name
    tasks[asyncio.create_task(recovery.watcher.run())] = recovery.watcher.name
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

    stop.set()
    server.should_exit = True
    for runner in parts.consumers:
        runner.stop()
    if relay is not None:
        relay.stop()
    for job in parts.background:
        job.stop()
    recovery.watcher.stop()
    stopper.cancel()
    pending = [t for t in tasks if not t.done()]
    _, still = await asyncio.wait(pending, timeout=10)
    for task in still:  # named, so a part that hangs on stopping is found (it loses nothing: nothing is committed)
        logger.warning("%s: %s did not stop within 10 s; cancelled", name, tasks[task])
        task.cancel()
    await producer.stop()
    if database is not None:
        await database.dispose()
    logger.info("%s stopped (exit %d)", name, exit_code)
    return exit_code


async def _gap_waits(runners: Sequence[ConsumerRunner]) -> dict[str, int]:
    """Per consumer group: how often records showed out of order and were waited for (the embedded broker's
    known fault, :class:`~exchange.kafka.consumer.OffsetGuard`; a figure that keeps growing is worth a look)."""
    return {runner.group: runner.gap_waits for runner in runners}


async def _taken_one_by_one(runners: Sequence[ConsumerRunner]) -> dict[str, int]:
    """Per consumer group: how many polls could not share one transaction and were applied record by record (a
    poison record, a refusal, an outage in the batch; a figure that grows with the load is worth a look)."""
    return {runner.group: runner.taken_one_by_one for runner in runners}


async def _answer(readiness: Callable[[], CheckResult]) -> CheckResult:
    return readiness()


async def _sample_outbox(relay: OutboxRelay) -> None:
    metrics().outbox_pending.set(await relay.pending())


async def _sample_lag(runners: Sequence[ConsumerRunner]) -> None:
    gauge = metrics().consumer_lag
    for runner in runners:
        found = await runner.lag()
        for spec in runner.topics:
            if spec.name in found:
                gauge.labels(runner.group, spec.name).set(found[spec.name])
            else:  # not known now (a runner restarting, no partition fetched): no figure rather than a stale one
                with contextlib.suppress(KeyError):
                    gauge.remove(runner.group, spec.name)
