"""取数节奏 on the real broker: a consumer with no records for a while fetches at the idle wait, and the first
record brings it back to the busy wait (exchange.kafka.pace; docs/performance.md, step 20)."""

from __future__ import annotations

import time

import pytest

from contracts.rating.v1 import RatingSubmitted
from exchange.kafka.consumer import ConsumerRunner

pytestmark = pytest.mark.integration

BUSY_MS, IDLE_MS = 50, 400


def _wait_at_the_broker(runner: ConsumerRunner) -> int | None:
    """What the Kafka client will ask the broker to wait for its next fetch."""
    consumer = runner._consumer
    return None if consumer is None else consumer._fetcher._fetch_max_wait_ms  # type: ignore[no-any-return]


async def test_an_idle_consumer_waits_longer_and_a_record_makes_it_quick_again(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    settings = bus.settings(kafka_fetch_max_wait_ms=BUSY_MS, kafka_idle_fetch_max_wait_ms=IDLE_MS,
                            kafka_idle_after_s=1.0)
    runner = ConsumerRunner(group=group, topics=[topic], settings=settings, keyring=keyring, producer=bus.producer,
                            database=plumbing_db, handlers={RatingSubmitted.event_type: effect_handler})
    async with bus.running(runner):
        started = time.monotonic()
        assert _wait_at_the_broker(runner) == BUSY_MS  # quick from the start: a restart must not slow a backlog
        await bus.wait_until(lambda: _at(runner, IDLE_MS), what="the idle wait")
        assert time.monotonic() - started >= 0.9  # not before a second without records

        wire = envelopes.wire("case-pace")
        await bus.send(topic.name, "case-pace", envelopes.encode(wire))
        await bus.wait_until(lambda: _applied(effects, plumbing_db, wire["id"]), what="the record")
        await bus.wait_until(lambda: _at(runner, BUSY_MS), what="the busy wait again")


async def _at(runner: ConsumerRunner, wait_ms: int) -> bool:
    return runner.fetch_wait_ms == wait_ms and _wait_at_the_broker(runner) == wait_ms


async def _applied(effects, database, event_id: str) -> bool:
    return event_id in await effects(database)
