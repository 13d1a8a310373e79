"""One trace from the code that emitted an event, through the outbox relay, to the consumer."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from contracts.rating.v1 import RatingSubmitted
from exchange.health import health_router
from exchange.http_edge import service_app
from exchange.kafka.consumer import ConsumerRunner
from exchange.outbox import OutboxRelay
from exchange.tracing import current_traceparent
from tests.exchange.conftest import record_effect

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def span_exporter() -> Iterator[InMemorySpanExporter]:
    """An in-memory exporter on the process's tracer provider.

    OpenTelemetry accepts one global provider per process: if something (a service started in this
    process) already installed an SDK provider, the exporter is added to that one instead.
    """
    exporter = InMemorySpanExporter()
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        current.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        assert trace.get_tracer_provider() is provider, "another tracer provider was installed first"
    yield exporter
    exporter.shutdown()


async def test_consumer_span_continues_the_emitters_trace(
    span_exporter: InMemorySpanExporter, bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)

    with trace.get_tracer("tests").start_as_current_span("POST /cases") as parent:
        async with plumbing_db.unit_of_work() as uow:
            emitted = uow.emit(envelopes.rating("case-tr"), subject="case-tr", topics=[topic])
    parent_ctx = parent.get_span_context()
    trace_hex = format(parent_ctx.trace_id, "032x")
    assert emitted.traceparent is not None and trace_hex in emitted.traceparent

    # The relay runs outside any span: the trace travels in the envelope/header, not in the relay.
    assert await OutboxRelay(plumbing_db, bus.producer, keyring.signer("rating")).publish_pending() == 1
    [record] = await bus.read(topic.name, 1)
    assert dict(record.headers)["traceparent"] == emitted.traceparent.encode()

    runner = ConsumerRunner(
        group=group,
        topics=[topic],
        settings=bus.settings(),
        keyring=keyring,
        producer=bus.producer,
        database=plumbing_db,
        handlers={RatingSubmitted.event_type: effect_handler},
    )
    name = f"{topic.name} process"

    async def process_spans() -> list[ReadableSpan]:
        return [s for s in span_exporter.get_finished_spans() if s.name == name]

    async def span_finished() -> bool:
        return bool(await process_spans())

    async with bus.running(runner):
        await bus.wait_until(span_finished, what=f"a finished {name!r} span")

    assert await effects(plumbing_db) == {str(emitted.id): 1}
    [span] = await process_spans()
    assert span.context is not None
    assert span.context.trace_id == parent_ctx.trace_id
    assert span.parent is not None and span.parent.span_id == parent_ctx.span_id
    assert span.kind == SpanKind.CONSUMER
    attributes = dict(span.attributes or {})
    assert attributes["messaging.destination.name"] == topic.name
    assert attributes["messaging.consumer.group.name"] == group
    assert attributes["messaging.message.id"] == str(emitted.id)
    assert attributes["onething.case_id"] == "case-tr"
    assert attributes["onething.event_type"] == RatingSubmitted.event_type
    assert span.status.is_ok


async def test_a_record_whose_headers_were_stripped_still_continues_the_trace(
    span_exporter: InMemorySpanExporter, bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    """A mirror or a copying tool may drop Kafka headers: the envelope's own traceparent then carries the trace."""
    relayed, copied, group = bus.topic("relayed"), bus.topic("copied"), bus.group()
    await bus.create(relayed)
    await bus.create(copied)
    with trace.get_tracer("tests").start_as_current_span("POST /ratings") as parent:
        async with plumbing_db.unit_of_work() as uow:
            emitted = uow.emit(envelopes.rating("case-strip"), subject="case-strip", topics=[relayed])
    assert await OutboxRelay(plumbing_db, bus.producer, keyring.signer("rating")).publish_pending() == 1
    [record] = await bus.read(relayed.name, 1)
    await bus.producer.send(copied.name, "case-strip", record.value)  # the same bytes, no headers
    runner = ConsumerRunner(group=group, topics=[copied], settings=bus.settings(), keyring=keyring,
                            producer=bus.producer, database=plumbing_db,
                            handlers={RatingSubmitted.event_type: effect_handler})
    name = f"{copied.name} process"

    async def span_finished() -> bool:
        return any(s.name == name for s in span_exporter.get_finished_spans())

    async with bus.running(runner):
        await bus.wait_until(span_finished, what=f"a finished {name!r} span")
    assert await effects(plumbing_db) == {str(emitted.id): 1}
    [span] = [s for s in span_exporter.get_finished_spans() if s.name == name]
    assert span.context is not None and span.context.trace_id == parent.get_span_context().trace_id


async def test_a_record_of_a_trace_not_kept_is_applied_without_a_span_and_carries_its_trace_on(
    span_exporter: InMemorySpanExporter, bus, keyring, plumbing_db, envelopes, effects
) -> None:
    """Sampling (exchange.tracing): a record whose traceparent says its trace was not kept is applied with no span
    recorded, and what its handler emits carries the same trace, still not kept; a kept one after it gets its span."""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    quiet_trace = 0x4BF92F3577B34DA6A3CE929D0E0E4736
    not_kept = NonRecordingSpan(SpanContext(quiet_trace, 0x00F067AA0BA902B7, is_remote=False,
                                            trace_flags=TraceFlags(TraceFlags.DEFAULT)))
    async with plumbing_db.unit_of_work() as uow:
        with trace.use_span(not_kept):
            quiet = uow.emit(envelopes.rating("case-quiet"), subject="case-quiet", topics=[topic])
        with trace.get_tracer("tests").start_as_current_span("POST /ratings") as parent:
            kept = uow.emit(envelopes.rating("case-kept"), subject="case-kept", topics=[topic])
    assert quiet.traceparent is not None and not int(quiet.traceparent[-2:], 16) & TraceFlags.SAMPLED
    assert await OutboxRelay(plumbing_db, bus.producer, keyring.signer("rating")).publish_pending() == 2
    carried_on: dict[str, str | None] = {}

    async def handler(uow, envelope, payload) -> None:  # type: ignore[no-untyped-def]
        await record_effect(uow, envelope, payload)
        carried_on[envelope.subject] = current_traceparent()  # what an event emitted here would carry

    runner = ConsumerRunner(group=group, topics=[topic], settings=bus.settings(), keyring=keyring,
                            producer=bus.producer, database=plumbing_db, handlers={RatingSubmitted.event_type: handler})
    name = f"{topic.name} process"

    async def spans() -> list[ReadableSpan]:
        return [s for s in span_exporter.get_finished_spans() if s.name == name]

    async with bus.running(runner):
        await bus.wait_until(spans, what=f"a finished {name!r} span")
    assert await effects(plumbing_db) == {str(quiet.id): 1, str(kept.id): 1}
    [span] = await spans()  # the kept record's only
    assert span.context is not None and span.context.trace_id == parent.get_span_context().trace_id
    onward = carried_on["case-quiet"]
    assert onward is not None and onward.startswith(f"00-{quiet_trace:032x}-")
    assert not int(onward[-2:], 16) & TraceFlags.SAMPLED, "the trace goes on not kept"
    assert onward != quiet.traceparent  # a span of its own in that trace, as the SDK would have made
    onward_kept = carried_on["case-kept"]
    assert onward_kept is not None and onward_kept.startswith(f"00-{span.context.trace_id:032x}-"
                                                              f"{span.context.span_id:016x}-")
    assert int(onward_kept[-2:], 16) & TraceFlags.SAMPLED


async def test_a_request_makes_one_server_span_and_a_probe_none(span_exporter: InMemorySpanExporter) -> None:
    """FastAPI as every service sets it up (``service_app``, with ``NATIVE_TELEMETRY``): the request's server span,
    not FastAPI's three operation spans (dependencies, endpoint, serialization), and nothing for the health probes."""
    app = service_app(title="probe-test", version="0")
    app.include_router(health_router("probe-test", {}))

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"thing": thing_id}

    span_exporter.clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/things/t-1")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
    spans = span_exporter.get_finished_spans()
    assert [(s.name, s.kind) for s in spans] == [("GET /things/{thing_id}", SpanKind.SERVER)]


def test_every_service_app_is_made_one_way() -> None:
    """No service or the simulators make ``FastAPI(...)`` themselves: each app is ``service_app(...)``, which passes
    ``telemetry=NATIVE_TELEMETRY`` and hardens the edge."""
    root = Path(__file__).resolve().parents[2]
    made: list[tuple[str, str]] = []
    for path in [*root.glob("services/*/src/**/*.py"), *root.glob("simulators/src/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None) if isinstance(node, ast.Call) else None
            if name in ("FastAPI", "service_app"):  # FastAPI(…) and fastapi.FastAPI(…) alike
                made.append((path.relative_to(root).as_posix(), str(name)))
    assert len(made) >= 7, made  # six services and the simulators
    assert all(how == "service_app" for _, how in made), made
    assert service_app(title="t", version="0").state.edge_limits is not None  # hardened (its spans: the test above)
