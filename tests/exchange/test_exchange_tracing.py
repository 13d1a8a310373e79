"""One trace from the code that emitted an event, through the outbox relay, to the consumer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from contracts.rating.v1 import RatingSubmitted
from exchange.kafka.consumer import ConsumerRunner
from exchange.outbox import OutboxRelay

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
