"""Count every record on a running system's broker, per topic and per event type (the ``event-type`` header),
with their sizes (key, value and headers, in bytes), and the record batches they are stored in (one per partition
of each produce request: the embedded broker's fetch lists every batch of a partition it returns records from, so
batches, not records, are what its fetches grow with; docs/performance.md, step 35).

    .venv/bin/onething --data-dir /tmp/count up &            # a fresh system
    for i in 1 2 3 4 5; do .venv/bin/onething --data-dir /tmp/count apply --bundle E-02; done
    .venv/bin/python benchmarks/records_per_topic.py --data-dir /tmp/count [--cases 5]

docs/performance.md, "What the profiles say next": what a case makes, by topic and type. With ``--cases`` it also
prints each count divided by it. Reads from the beginning of every topic, committing nothing (no consumer group).
A measurement, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.consumer import fetcher

from exchange.system_state import read_state

BATCHES: dict[TopicPartition, set[int]] = {}


class _Noting:
    """A fetched partition's records, noting the base offset of each batch handed out."""

    def __init__(self, records: Any, seen: set[int]) -> None:
        self._records, self._seen = records, seen

    def has_next(self) -> bool:
        return bool(self._records.has_next())

    def next_batch(self) -> Any:
        batch = self._records.next_batch()
        if batch is not None:
            self._seen.add(batch.base_offset)
        return batch


class _BatchCounting(fetcher.PartitionRecords):  # type: ignore[misc]
    """aiokafka's unpacking of a fetched partition, through :class:`_Noting` (a batch may come in two fetches:
    hence a set)."""

    def _unpack_records(self) -> Any:
        self._records = _Noting(self._records, BATCHES.setdefault(self._tp, set()))  # type: ignore[has-type]
        return super()._unpack_records()


async def count(bootstrap: str) -> tuple[Counter[str], Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    fetcher.PartitionRecords = _BatchCounting  # the fetcher makes one per fetched partition
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = await admin.list_topics()
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    by_topic: Counter[str] = Counter()
    by_type: Counter[tuple[str, str]] = Counter()
    bytes_by_type: Counter[tuple[str, str]] = Counter()
    try:
        partitions = [TopicPartition(topic, p) for topic in topics
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = {tp: end for tp, end in (await consumer.end_offsets(partitions)).items() if end > 0}
        while ends:
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                break
            for tp, records in batch.items():
                for record in records:
                    kind = dict(record.headers or ()).get("event-type", b"-").decode()
                    by_topic[tp.topic] += 1
                    by_type[(tp.topic, kind)] += 1
                    bytes_by_type[(tp.topic, kind)] += (len(record.key or b"") + len(record.value or b"")
                                                        + sum(len(k) + len(v) for k, v in record.headers or ()))
                    if record.offset + 1 >= ends.get(tp, 0):
                        ends.pop(tp, None)
    finally:
        await consumer.stop()
    return by_topic, by_type, bytes_by_type


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".onething"))
    parser.add_argument("--cases", type=int, default=0, help="also print each count per case")
    args = parser.parse_args()
    state = read_state(args.data_dir)
    if state is None:
        parser.error(f"no system runs from {args.data_dir} (onething up)")
    by_topic, by_type, bytes_by_type = asyncio.run(count(str(state["kafka_bootstrap"])))

    def per_case(n: int) -> str:
        return f"  {n / args.cases:7.1f} per case" if args.cases else ""

    batches: Counter[str] = Counter()
    for tp, offsets in BATCHES.items():
        batches[tp.topic] += len(offsets)
    for topic, n in sorted(by_topic.items()):
        print(f"{n:7d}{per_case(n)}  {topic}  ({batches[topic]} batches, {n / max(batches[topic], 1):.1f} records each)")
    print()
    for (topic, kind), n in sorted(by_type.items()):
        size = bytes_by_type[(topic, kind)]
        print(f"{n:7d}{per_case(n)}  {size // n:7d} bytes each  {topic}  {kind}")
    total = sum(bytes_by_type.values())
    print(f"\n{total} bytes in all{f', {total // args.cases} per case' if args.cases else ''}")


if __name__ == "__main__":
    main()
