"""OneThing event contracts (事件契约): envelope, topics, departments and versioned payloads.

Only the standard library and pydantic are imported here; every service and the shared exchange
library depend on this package, and it depends on none of them.
"""

from contracts.envelope import (
    ChainLink,
    Envelope,
    EnvelopeError,
    EventPayload,
    Signature,
    canonical_bytes,
    envelope_digest,
)
from contracts.registry import PayloadError, UnknownEventType, decode_payload, payload_class

__all__ = [
    "ChainLink",
    "Envelope",
    "EnvelopeError",
    "EventPayload",
    "PayloadError",
    "Signature",
    "UnknownEventType",
    "canonical_bytes",
    "decode_payload",
    "envelope_digest",
    "payload_class",
]
