"""Reading the case stream (办件事件流) as an onlooker, with a consumer of no group assigned to every partition:
the demo, the bench and the chaos runner watch it for deliveries, and the ops room (运维室) shows it live through
dispatch. Nothing is committed: an onlooker takes nothing from the services' own consumer groups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import anyio
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import CASE_STREAM

__all__ = ["case_stream_reader"]


@asynccontextmanager
async def case_stream_reader(bootstrap: str, *, start: Literal["beginning", "end"],
                             fetch_max_wait_ms: int = 500) -> AsyncIterator[tuple[AIOKafkaConsumer,
                                                                                  list[TopicPartition]]]:
    """A group-less consumer assigned to every partition of the case stream, placed at its ``start`` (the
    positions resolved before it is handed over, so nothing written afterwards is missed), and those partitions."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest",
                                fetch_max_wait_ms=fetch_max_wait_ms)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(CASE_STREAM.name, p)
                      for p in sorted(consumer.partitions_for_topic(CASE_STREAM.name) or [])]
        consumer.assign(partitions)
        if start == "end":
            await consumer.seek_to_end(*partitions)
        else:
            await consumer.seek_to_beginning(*partitions)
        for tp in partitions:
            await consumer.position(tp)
        yield consumer, partitions
    finally:
        # A server-sent stream whose browser went away is cancelled through its task group's cancel scope, which
        # would cut the stop short at its first await and leave the fetcher and its sockets open: shielded.
        with anyio.CancelScope(shield=True):
            await consumer.stop()
