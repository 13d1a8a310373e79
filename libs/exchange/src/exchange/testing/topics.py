"""What is on a topic, for tests on the real broker: its records from the beginning, read without a group."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

__all__ = ["records"]


async def records(
    bootstrap: str,
    topic: str,
    *,
    keep: Callable[[ConsumerRecord[bytes, bytes]], bool] = lambda _: True,
    count: int = 0,
    timeout_s: float = 30.0,
    quiet_polls: int = 4,
) -> list[ConsumerRecord[bytes, bytes]]:
    """The records of ``topic`` that ``keep`` accepts, in partition order, once ``count`` of them arrived and then
    ``quiet_polls`` polls in a row brought nothing more (so one record too many is seen too)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        await consumer.topics()  # fresh metadata: the topic may be newer than the consumer
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline, quiet = asyncio.get_running_loop().time() + timeout_s, 0
        while len(found) < count or quiet < quiet_polls:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(found)} of {count} records on {topic}: {found}")
            batch = await consumer.getmany(timeout_ms=300)
            quiet = 0 if batch else quiet + 1
            found += [r for rs in batch.values() for r in rs if keep(r)]
    finally:
        await consumer.stop()
    return found
