"""How long a consumer waits to join its group on the embedded broker: the first join, a rejoin after another
consumer of the group stopped (a restart), and both with static membership (``group_instance_id``).

    .venv/bin/python benchmarks/group_join.py [--session-ms 4000 2000 6000]

docs/performance.md, "What the profiles say next": the broker makes a first join wait half the session timeout and
a rejoin after a member left twice it (it does not act on LeaveGroup). A fresh embedded broker, one topic of two
partitions, one group per measurement. A measurement, not a test: it prints seconds and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from exchange.broker import EmbeddedBroker

TOPIC = "group-join"


async def joined_in(bootstrap: str, group: str, **settings: Any) -> tuple[AIOKafkaConsumer, float]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, **settings)
    consumer.subscribe([TOPIC])
    started = time.monotonic()
    await consumer.start()  # returns once the group assigned its partitions
    return consumer, time.monotonic() - started


async def measure(bootstrap: str, session_ms: int) -> None:
    settings: dict[str, Any] = {"session_timeout_ms": session_ms, "heartbeat_interval_ms": max(100, session_ms // 8)}
    for way, extra in (("dynamic", {}), ("static", {"group_instance_id": "bench-1"})):
        group = f"join-{way}-{session_ms}"
        consumer, first = await joined_in(bootstrap, group, **settings, **extra)
        await consumer.stop()
        consumer, again = await joined_in(bootstrap, group, **settings, **extra)
        await consumer.stop()
        print(f"session {session_ms:5d} ms, {way:7}: first join {first:5.2f} s, rejoin after a stop {again:5.2f} s")


async def main(sessions: list[int], bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 2, 1)])
    finally:
        await admin.close()
    for session_ms in sessions:
        await measure(bootstrap, session_ms)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session-ms", type=int, nargs="+", default=[4000, 2000])
    arguments = parser.parse_args()
    with EmbeddedBroker() as broker:
        asyncio.run(main(arguments.session_ms, broker.bootstrap))
