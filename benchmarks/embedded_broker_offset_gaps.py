"""The embedded broker's out-of-order batches, measured (docs/reliability.md, "Offset gaps on the embedded broker").

N producers write small batches to one partition of a fresh embedded broker while a plain aiokafka consumer
(no OffsetGuard) reads live; afterwards the whole partition is read again. Prints how many records were stored,
how many the live consumer saw, and the offset jumps it saw: a jump of one batch with that batch missing live is
the race the consumer runner's OffsetGuard is for.

    .venv/bin/python benchmarks/embedded_broker_offset_gaps.py [PRODUCERS] [RECORDS_EACH] [BATCH] [RUNS]
    .venv/bin/python benchmarks/embedded_broker_offset_gaps.py 6 2000 4 3   # the figures in the docs
"""

from __future__ import annotations

import asyncio
import json
import sys

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import TopicSpec
from exchange.broker import EmbeddedBroker
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer

TOPIC = "race"


async def one_run(bootstrap: str, producers: int, each: int, batch: int) -> str:
    await ensure_topics(bootstrap, [TopicSpec(name=TOPIC, key="k", description_zh="", description_en="",
                                              event_types=(), partitions=1)], 1)
    live = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id="live", enable_auto_commit=False,
                            auto_offset_reset="earliest")
    await live.start()
    seen_live: set[tuple[int, int]] = set()
    jumps: list[tuple[int, int]] = []
    expected: int | None = None
    writing = asyncio.Event()
    writing.set()

    async def read_live() -> None:
        nonlocal expected
        while True:
            fetched = await live.getmany(timeout_ms=200)
            for records in fetched.values():
                for record in records:
                    if expected is not None and record.offset != expected:
                        jumps.append((expected, record.offset))
                    expected = record.offset + 1
                    body = json.loads(record.value or b"{}")
                    seen_live.add((body["p"], body["n"]))
            if not writing.is_set() and not fetched:
                return

    reader = asyncio.create_task(read_live())
    senders = [Producer(bootstrap, client_id=f"p{i}") for i in range(producers)]
    for sender in senders:
        await sender.start()

    async def write(i: int, sender: Producer) -> None:
        for start in range(0, each, batch):
            await sender.send_batch([(TOPIC, "k", json.dumps({"p": i, "n": n}).encode(), [])
                                     for n in range(start, min(each, start + batch))])

    await asyncio.gather(*(write(i, s) for i, s in enumerate(senders)))
    await asyncio.sleep(2.0)
    writing.clear()
    await reader
    for sender in senders:
        await sender.stop()
    await live.stop()

    again = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await again.start()
    tp = TopicPartition(TOPIC, 0)
    again.assign([tp])
    again.seek(tp, 0)
    stored: set[tuple[int, int]] = set()
    while fetched := await again.getmany(timeout_ms=1000):
        for records in fetched.values():
            stored |= {(b["p"], b["n"]) for b in (json.loads(r.value or b"{}") for r in records)}
    await again.stop()
    return (f"sent {producers * each}, stored {len(stored)}, seen live {len(seen_live)}, "
            f"missed live {len(stored - seen_live)}, offset jumps seen live {jumps[:10]}")


def main() -> None:
    producers, each, batch, runs = (int(a) for a in (sys.argv[1:] + ["6", "2000", "4", "3"][len(sys.argv[1:]):]))
    for run in range(1, runs + 1):
        with EmbeddedBroker() as broker:  # a fresh broker each run
            print(f"run {run}: {asyncio.run(one_run(broker.bootstrap, producers, each, batch))}", flush=True)


if __name__ == "__main__":
    main()
