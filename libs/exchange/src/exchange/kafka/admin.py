"""Topics are created from the registry at start-up (auto-creation is never relied on)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts.topics import TopicSpec
from exchange.failures import is_transient

__all__ = ["ensure_topics", "partition_counts", "wait_for_broker"]

logger = logging.getLogger(__name__)
TOPIC_ALREADY_EXISTS = 36


async def wait_for_broker(bootstrap: str, timeout_s: float = 60.0) -> None:
    """Retry until the broker answers metadata requests, or raise after ``timeout_s``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.close()
            return
        except Exception as exc:
            await admin.close()
            if not is_transient(exc) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.3)


async def ensure_topics(
    bootstrap: str, specs: Iterable[TopicSpec], partitions: int | None = None, replication_factor: int = 1
) -> None:
    """Create every topic in ``specs`` that does not exist yet; existing ones are left alone."""
    await wait_for_broker(bootstrap)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        wanted = {s.name: s for s in specs}
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                s.name,
                num_partitions=partitions or s.partitions,
                replication_factor=replication_factor,
                topic_configs=s.kafka_configs(),
            )
            for name, s in wanted.items()
            if name not in existing
        ]
        if not missing:
            return
        response = await admin.create_topics(missing)
        for name, code, message in getattr(response, "topic_errors", []):
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"could not create topic {name}: {code} {message}")
        logger.info("created topics %s", ", ".join(t.name for t in missing))
    finally:
        await admin.close()


async def partition_counts(bootstrap: str, names: Iterable[str]) -> dict[str, int]:
    """How many partitions each topic really has (``topic_partitions`` may have overridden the registry)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        described = await admin.describe_topics(list(names))
    finally:
        await admin.close()
    counts: dict[str, int] = {}
    for topic in described:
        if topic.get("error_code") or not topic.get("partitions"):
            raise RuntimeError(f"topic {topic.get('topic')} is not on the broker (error {topic.get('error_code')})")
        counts[str(topic["topic"])] = len(topic["partitions"])
    return counts
