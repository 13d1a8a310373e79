"""Reading the case stream (办件事件流) as an onlooker, with a consumer of no group assigned to every partition:
the demo, the bench and the chaos runner watch it for deliveries, and the ops room (运维室) shows it live through
dispatch. Nothing is committed: an onlooker takes nothing from the services' own consumer groups."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Literal

import anyio
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from contracts.topics import CASE_STREAM

__all__ = ["LostLogWatch", "case_stream_reader"]

logger = logging.getLogger(__name__)


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


class LostLogWatch:
    """Puts a long-lived onlooker back at the beginning of a partition whose log the broker lost.

    The embedded broker restarted empty (a new epoch, ``exchange.epoch``) answers a fetch beyond a partition's new end
    with nothing, not with an out-of-range error, so an onlooker placed before the loss would wait there for ever and
    show nothing of the new epoch. A position past the partition's end cannot happen otherwise. Call :meth:`after`
    with each read: when a read brings nothing, at most every ``every_s``, it compares each position with the end
    (one ListOffsets request) and rewinds what lies beyond it. A broker that does not answer is looked at again later.
    """

    def __init__(self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition], *, every_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._consumer, self._partitions = consumer, list(partitions)
        self._every_s, self._clock = every_s, clock
        self._looked_at = clock()

    async def after(self, batch: Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]]) -> list[TopicPartition]:
        """The partitions put back at their beginning after this read (none, mostly)."""
        if any(batch.values()) or self._clock() - self._looked_at < self._every_s:
            return []
        self._looked_at = self._clock()
        try:
            ends = await self._consumer.end_offsets(self._partitions)
            lost = [tp for tp in self._partitions if await self._consumer.position(tp) > ends[tp]]
        except KafkaError:
            return []
        if lost:
            logger.warning("the broker lost the case stream's log (partitions %s): reading them from their beginning",
                           ", ".join(str(tp.partition) for tp in lost))
            await self._consumer.seek_to_beginning(*lost)
        return lost
