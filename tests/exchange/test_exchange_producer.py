"""The platform's producer on the real broker: a topic it sends to stays known when other topics come along.

aiokafka fetches every topic's metadata when it starts and, from the first topic it is asked to track on, only the
tracked ones: a topic first sent to while it was known from that first fetch is never tracked, and once another
topic appears (a dead-letter topic created on the first poison record, a department's request topic) the next
metadata update forgets it; a record queued for it waits for a leader that never comes until the request timeout,
then fails as NotLeaderForPartition (seen: dispatch's refusal test, 30 s, then failed)."""

from __future__ import annotations

import asyncio

import pytest

from contracts.topics import TopicSpec
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer

pytestmark = pytest.mark.integration


def spec(name: str) -> TopicSpec:
    return TopicSpec(name=name, key="case_id", description_zh="测试", description_en="test", event_types=())


async def test_a_topic_sent_to_stays_known_when_a_new_topic_is_tracked(kafka_bootstrap: str, unique_name: str) -> None:
    known = [spec(f"test.{unique_name}.known{n}") for n in range(8)]
    later = spec(f"test.{unique_name}.later")
    await ensure_topics(kafka_bootstrap, known, 1)
    producer = Producer(kafka_bootstrap, client_id=unique_name, request_timeout_ms=4000)
    await producer.start()  # fetches every topic: the `known` ones are in its metadata without being asked for
    try:
        await ensure_topics(kafka_bootstrap, [later], 1)
        # Records for the known topics are queued, then one for a topic the producer must ask about: the metadata
        # update that asks about it comes back while the others still wait to be sent.
        batch = [(topic.name, "case-1", b"{}", []) for topic in known] + [(later.name, "case-1", b"{}", [])]
        sent = await asyncio.wait_for(producer.send_batch(batch), 3.0)
        again = await asyncio.wait_for(producer.send_batch(batch), 3.0)
    finally:
        await producer.stop()
    assert [m.topic for m in sent] == [m.topic for m in again] == [name for name, *_ in batch]
