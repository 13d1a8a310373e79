"""What the consumer runner tells operators, on the real broker and PostgreSQL (可观测性): outcomes per event type,
handler latency, dead letters and lag in the metrics; the case and the trace on every log line it writes while
handling a record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text

from contracts.rating.v1 import RatingSubmitted
from exchange.db.unit_of_work import UnitOfWork
from exchange.kafka.consumer import ConsumerRunner
from exchange.logs import JsonFormatter
from exchange.metrics import metrics

pytestmark = pytest.mark.integration

RATING = RatingSubmitted.event_type


@pytest.fixture(scope="module")
def sdk_spans() -> None:
    """Real span contexts: an SDK provider, unless something in this process installed one already (one per process)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the handler's logger writes, through the services' JSON formatter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("rating"))
    logger = logging.getLogger("tests.observed.handler")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield out
    logger.removeHandler(handler)


def value(name: str, **labels: str) -> float:
    return metrics().registry.get_sample_value(name, labels) or 0.0


async def test_outcomes_latency_dead_letters_lag_and_the_case_on_log_lines(
    sdk_spans: None, json_lines: io.StringIO, bus, keyring, plumbing_db, envelopes
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    first, second = envelopes.wire("case-obs-1"), envelopes.wire("case-obs-2")
    await bus.send(topic.name, "case-obs-1", envelopes.encode(first))
    await bus.send(topic.name, "case-obs-1", envelopes.encode(first))  # redelivered: the inbox has it
    await bus.send(topic.name, "case-obs-x", b"not an envelope")  # poison: dead-lettered
    await bus.send(topic.name, "case-obs-2", envelopes.encode(second))

    async def handler(uow: UnitOfWork, envelope: object, _payload: object) -> None:
        logging.getLogger("tests.observed.handler").info("applying")
        await uow.session.execute(text("INSERT INTO effect (event_id, case_id) VALUES ('x', 'y')"))

    runner = ConsumerRunner(group=group, topics=[topic], settings=bus.settings(), keyring=keyring,
                            producer=bus.producer, database=plumbing_db, handlers={RATING: handler})
    applied = {"group": group, "event_type": RATING, "outcome": "applied"}
    async with bus.running(runner):
        async def settled() -> bool:
            return value("onething_consumer_events_total", **applied) == 2 and runner.dead_lettered == 1
        await bus.wait_until(settled, what="two applied and one dead letter")
        await bus.wait_until(lambda: _lag_known(runner), what="the lag, once the batch is committed")
        assert await runner.lag() == {topic.name: 0}

    assert value("onething_consumer_events_total", group=group, event_type=RATING, outcome="duplicate") == 1
    assert value("onething_consumer_events_total", group=group, event_type="other", outcome="dead_lettered") == 1
    assert value("onething_dead_letters_total", group=group, topic=topic.name, reason="malformed") == 1
    assert value("onething_consumer_handler_duration_seconds_count", group=group, event_type=RATING) >= 2

    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert [line["case_id"] for line in lines if line["message"] == "applying"][-2:] == ["case-obs-1", "case-obs-2"]
    for line in lines:
        assert line["service"] == "rating" and line["logger"] == "tests.observed.handler"
        assert len(line["trace_id"]) == 32 and len(line["span_id"]) == 16, line


async def _lag_known(runner: ConsumerRunner) -> bool:
    return bool(await runner.lag())
