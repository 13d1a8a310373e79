"""The one Kafka producer wrapper (生产者).

The embedded broker has no idempotent producer and no transactions, so delivery is at-least-once
(``acks=all``, retries) and every consumer is idempotent through the inbox.

Records are placed by key with murmur2, as Kafka's Java client places them; a department's client must do
the same (librdkafka: ``partitioner=murmur2_random``) for one case's messages to share a partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import RecordMetadata

__all__ = ["Headers", "Producer", "record_of"]

Headers = list[tuple[str, bytes]]


def record_of(wire: dict[str, Any]) -> tuple[bytes, Headers]:
    """The Kafka value and headers of a signed wire envelope: compact JSON, and the type, id and trace
    context as headers so a consumer can route or trace without parsing the value."""
    headers: Headers = [("event-type", str(wire["type"]).encode()), ("event-id", str(wire["id"]).encode())]
    if wire.get("traceparent"):
        headers.append(("traceparent", str(wire["traceparent"]).encode()))
    return orjson.dumps(wire), headers  # compact UTF-8, as json.dumps(…, ensure_ascii=False) wrote it, faster


class Producer:
    def __init__(self, bootstrap: str, client_id: str, *, request_timeout_ms: int = 30000) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            acks="all",
            linger_ms=2,
            max_request_size=4 * 1024 * 1024,
            request_timeout_ms=request_timeout_ms,  # how long a send waits for a broker that went away
            partitioner=DefaultPartitioner(),  # murmur2(key), the Java client's: stated in the AsyncAPI document
        )
        self.started = False
        self._tracked: set[str] = set()

    def _track(self, topics: Iterable[str]) -> None:
        """Have the client track every topic this producer sends to, before a record for it is queued.

        aiokafka fetches all topics' metadata at start and, from the first topic it is asked to track on, only the
        tracked ones; a topic first sent to while known from that first fetch is never tracked, so the update that
        a new topic brings (a dead-letter topic, a department's request topic) forgets it, and a record queued for
        it waits for a leader that never comes until the request timeout (NotLeaderForPartition). The same fault
        as the stream processors' (``exchange.streams``); ``tests/exchange/test_exchange_producer.py``. The topic
        is tracked at once; the metadata update that asks for runs in the background and is not waited for (with
        the broker away, or the client not started, it would never come)."""
        for topic in set(topics) - self._tracked:
            self._producer.client.add_topic(topic)
            self._tracked.add(topic)

    async def start(self) -> None:
        await self._producer.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            await self._producer.stop()
            self.started = False

    async def ping(self) -> tuple[bool, str]:
        """Readiness: does the broker answer a metadata request on this producer's own connections?"""
        if not self.started:
            return False, "producer not started"
        try:
            await self._producer.client.fetch_all_metadata()
        except KafkaError as exc:
            return False, f"unavailable: {type(exc).__name__}: {exc}"[:500]
        return True, "answers"

    async def send(
        self, topic: str, key: str | None, value: bytes, headers: Headers | None = None
    ) -> RecordMetadata:
        self._track([topic])
        return await self._producer.send_and_wait(
            topic, value=value, key=key.encode() if key is not None else None, headers=headers or []
        )

    async def send_batch(
        self, messages: Sequence[tuple[str, str, bytes, Headers]]
    ) -> list[RecordMetadata]:
        """Send many records and wait for all acknowledgements (order per partition is kept)."""
        self._track(topic for topic, *_ in messages)
        futures = [
            await self._producer.send(topic, value=value, key=key.encode(), headers=headers)
            for topic, key, value, headers in messages
        ]
        # Wait for every acknowledgement before raising the first failure: none is left unretrieved.
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, RecordMetadata)]
