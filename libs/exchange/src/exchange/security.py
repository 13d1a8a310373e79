"""Security refusals (越权拒收): a record whose publisher may not publish it is dead-lettered unapplied and reported.

:func:`check_publisher` is the check every consumer runs (:func:`exchange.kafka.consumer.decode_record`, shared by
the consumer runner and the stream processors) after the signature and before any handler: the table is
:mod:`contracts.publishing`. :func:`refusal_report` is the security event the refusing platform service then sends
to :data:`contracts.topics.SECURITY_EVENTS` (one per refused record; a redelivered record gets the same event id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

from contracts.envelope import Envelope
from contracts.publishing import refusal
from contracts.security.v1 import PublishRefused
from contracts.topics import SECURITY_EVENTS
from exchange.errors import NotPermitted
from exchange.kafka.producer import Headers, record_of
from exchange.signing import Signer

__all__ = ["SECURITY_HEADER", "check_publisher", "refusal_report"]

SECURITY_HEADER = "x-security"  # on a dead letter refused for security: the reason


def check_publisher(envelope: Envelope) -> None:
    """Raise :class:`NotPermitted` unless the envelope's (verified) source may publish its type."""
    reason = refusal(envelope.source, envelope.type, envelope.data)
    if reason is not None:
        raise NotPermitted(reason, source=envelope.source, event_type=envelope.type, event_id=str(envelope.id),
                           subject=envelope.subject)


def refusal_report(
    signer: Signer, refused: NotPermitted, *, consumer: str, topic: str, partition: int, offset: int
) -> tuple[str, str, bytes, Headers]:
    """The signed security event for a record ``consumer`` refused: topic, key, value and headers to send."""
    payload = PublishRefused(
        consumer=consumer, topic=topic, partition=partition, offset=offset, claimed_event_id=refused.event_id,
        claimed_type=refused.event_type, claimed_source=refused.source, reason=refused.reason,
        refused_at=datetime.now(UTC),
    )
    event_id = uuid5(NAMESPACE_URL, f"onething:security:{consumer}:{topic}:{partition}:{offset}")
    envelope = Envelope.wrap(payload, source=signer.principal, subject=refused.subject, event_id=event_id)
    value, headers = record_of(signer.sign_envelope(envelope.to_wire()))
    return SECURITY_EVENTS.name, refused.source, value, headers
