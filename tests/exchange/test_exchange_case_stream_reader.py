"""The group-less reader of the case stream (``exchange.kafka.case_stream``), behind the ops room's live stream:
placed at the end, it shows what comes after; when the broker loses its data (the embedded one restarted empty), its
positions lie beyond the new logs, where the broker answers with nothing, and :class:`LostLogWatch` puts it back at
their beginning, so the new epoch's records show too. On the real broker, killed and restarted on its port."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from aiokafka import AIOKafkaConsumer

from contracts.topics import CASE_STREAM
from exchange.broker import EmbeddedBroker
from exchange.kafka.admin import ensure_topics
from exchange.kafka.case_stream import LostLogWatch, case_stream_reader
from exchange.kafka.producer import Producer

pytestmark = pytest.mark.integration


async def _send(bootstrap: str, values: list[bytes]) -> None:
    producer = Producer(bootstrap, "case-stream-reader-test")
    await producer.start()
    try:
        for n, value in enumerate(values):
            await producer.send(CASE_STREAM.name, f"case-{n}", value)
    finally:
        await producer.stop()


async def _read(consumer: AIOKafkaConsumer, wanted: set[bytes], within_s: float,
                watch: LostLogWatch | None = None) -> set[bytes]:
    seen: set[bytes] = set()
    ends_at = time.monotonic() + within_s
    while not wanted <= seen and time.monotonic() < ends_at:
        batch = await consumer.getmany(timeout_ms=500)
        if watch is not None:
            await watch.after(batch)
        seen |= {r.value for records in batch.values() for r in records if r.value is not None}
    return seen


async def test_the_live_reader_shows_what_comes_after_and_the_new_epochs_records_after_a_broker_loss() -> None:
    broker = EmbeddedBroker()
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, [CASE_STREAM])
        before = [f"before-{n}".encode() for n in range(12)]
        await _send(broker.bootstrap, before)
        async with case_stream_reader(broker.bootstrap, start="end") as (consumer, partitions):
            during = [f"during-{n}".encode() for n in range(12)]
            await _send(broker.bootstrap, during)
            seen = await _read(consumer, set(during), within_s=20)
            assert seen == set(during)  # from the end: nothing of before

            assert broker.process is not None
            broker.process.send_signal(signal.SIGKILL)
            broker.process.wait()
            await asyncio.sleep(1.0)  # the reader's fetches fail meanwhile; it keeps trying
            broker = EmbeddedBroker(port=broker.port)
            broker.start()
            await ensure_topics(broker.bootstrap, [CASE_STREAM])  # as the services do in the new epoch
            after = [f"after-{n}".encode() for n in range(3)]  # fewer than the reader had read: its positions lie beyond
            await _send(broker.bootstrap, after)
            assert await _read(consumer, set(after), within_s=5) == set()  # without the watch: stuck past the end
            assert await _read(consumer, set(after), within_s=60, watch=LostLogWatch(consumer, partitions)) >= set(after)
    finally:
        broker.stop()
