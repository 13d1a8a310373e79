"""The raw bus (裸总线): what the broker and the Kafka client allow with no processing at all.

A case is ``hops`` sequential stages; at each stage ``per_hop`` records keyed by the case are produced to that
stage's topic, and the stage's consumer group, having read all of them, produces the next stage's; the last stage
delivers. ``hops × per_hop`` is set from OneThing's own run (its messages per case), so both move the same
records per case through the same broker binary (a fresh embedded broker) with the same client plumbing (the
platform's producer; consumer groups committing after each poll, the platform's fetch wait). All stages run in the
bench process: a ceiling, not a second OneThing.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter

from aiokafka import AIOKafkaConsumer

from contracts.topics import TopicSpec
from exchange.broker import EmbeddedBroker
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer
from onething.bench.figures import PeerFigures
from onething.bench.peers.loop import closed_loop
from onething.bench.probes import cpu_seconds

__all__ = ["run_raw"]

PARTITIONS = 3
FETCH_MAX_WAIT_MS = 100  # the platform's default (ONETHING_KAFKA_FETCH_MAX_WAIT_MS)


class _Stages:
    def __init__(self, bootstrap: str, hops: int, per_hop: int) -> None:
        run = uuid.uuid4().hex[:8]
        self.bootstrap, self.hops, self.per_hop = bootstrap, hops, per_hop
        self.topics = [TopicSpec(name=f"bench.raw.{run}.hop{k}", key="case_id", description_zh="压测", description_en="bench",
                                 event_types=(), partitions=PARTITIONS) for k in range(hops)]
        self.groups = [f"bench-raw-{run}-hop{k}" for k in range(hops)]
        self.producer = Producer(bootstrap, client_id=f"bench-raw-{run}")
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._assigned = [asyncio.Event() for _ in range(hops)]
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await ensure_topics(self.bootstrap, self.topics, PARTITIONS)
        await self.producer.start()
        self._tasks = [asyncio.create_task(self._stage(k)) for k in range(self.hops)]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in self._assigned)), 60)

    async def stop(self) -> None:
        self._stopping.set()  # each stage finishes its poll and commit, then leaves its group
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.producer.stop()

    def _records(self, hop: int, case_id: str) -> list[tuple[str, str, bytes, list[tuple[str, bytes]]]]:
        body = f'{{"case_id":"{case_id}","hop":{hop}}}'.encode()
        return [(self.topics[hop].name, case_id, body, [])] * self.per_hop

    async def deliver(self, case_id: str) -> float:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[case_id] = future
        await self.producer.send_batch(self._records(0, case_id))
        return await future

    async def _stage(self, hop: int) -> None:
        consumer = AIOKafkaConsumer(self.topics[hop].name, bootstrap_servers=self.bootstrap,
                                    group_id=self.groups[hop], enable_auto_commit=False,
                                    auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
        await consumer.start()
        seen: Counter[str] = Counter()
        try:
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=100)
            self._assigned[hop].set()
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=100, max_records=500)
                complete = []
                for records in batch.values():
                    for record in records:
                        case_id = (record.key or b"").decode()
                        seen[case_id] += 1
                        if seen[case_id] == self.per_hop:
                            del seen[case_id]
                            complete.append(case_id)
                if hop + 1 < self.hops:
                    await self.producer.send_batch([r for c in complete for r in self._records(hop + 1, c)])
                else:
                    now = time.time()
                    for case_id in complete:
                        future = self.waiting.pop(case_id, None)
                        if future is not None and not future.done():
                            future.set_result(now)
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()


async def run_raw(*, messages_per_case: float, hops: int, window: int, warmup_s: float,
                  duration_s: float) -> PeerFigures:
    per_hop = max(1, round(messages_per_case / hops))
    with EmbeddedBroker() as broker:
        stages = _Stages(broker.bootstrap, hops, per_hop)
        await stages.start()
        broker_pid = broker.process.pid if broker.process else None

        def cpu_now() -> float:  # this process (every stage, and the load) and the broker
            return time.process_time() + ((cpu_seconds(broker_pid) or 0.0) if broker_pid else 0.0)

        try:
            result = await closed_loop(stages.deliver, window=window, warmup_s=warmup_s, duration_s=duration_s,
                                       prefix=f"RAW{os.getpid()}-", cpu_now=cpu_now)
        finally:
            await stages.stop()
    note = (f"{hops} hops × {per_hop} records = {hops * per_hop} per case, one process + embedded broker"
            + (f"; {len(result.failures)} failed" if result.failures else ""))
    return PeerFigures("raw", window, duration_s, result.delivered, result.latencies_ms, result.cpu_s, note)
