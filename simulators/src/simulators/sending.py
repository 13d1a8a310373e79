"""Wrap, sign, hash-chain, send (封装、签名、链接、发送): how every simulated system answers on the bus.

A simulated department or registry is not a platform service: it has no outbox, only its own key and
its own hash chain, kept in memory as a real external system would keep it.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from contracts.envelope import Envelope, EventPayload
from contracts.topics import TopicSpec
from exchange.chain import GENESIS, ChainHead, link
from exchange.kafka.producer import Producer, record_of
from exchange.signing import Signer

__all__ = ["ChainedSender"]


class ChainedSender:
    """Publishes answers of one principal (``dept.<code>``, ``registry.<name>``), signed and chained."""

    def __init__(self, signer: Signer, producer: Producer) -> None:
        self.signer = signer
        self.producer = producer
        self.head: ChainHead = GENESIS
        self._lock = asyncio.Lock()

    @property
    def principal(self) -> str:
        return self.signer.principal

    async def reply(
        self, payload: EventPayload, *, cause: Envelope, topic: TopicSpec, subject: str, event_id: UUID
    ) -> dict[str, object]:
        """Answer ``cause`` with ``payload``: same correlation and trace, deterministic ``event_id`` (so a
        redelivered request is deduplicated downstream). Returns the signed wire envelope sent."""
        envelope = Envelope.wrap(
            payload, source=self.principal, subject=subject, correlation_id=cause.correlation_id,
            causation_id=cause.id, event_id=event_id, traceparent=cause.traceparent,
        )
        async with self._lock:  # one chain position per envelope, in send order
            wire = self.signer.sign_envelope(link(envelope.to_wire(), self.head))
            await self.producer.send(topic.name, topic.record_key(payload, subject), *record_of(wire))
            self.head = self.head.advance(wire)  # only once sent: a failed send is retried at the same seq
        return wire
