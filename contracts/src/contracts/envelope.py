"""The envelope every event travels in on the exchange bus (交换总线事件信封).

Why this exists: consumers deduplicate on ``id``, order on ``subject`` (the Kafka key, normally the
case id 办件编号), verify ``signature`` against the producer's published key, and check ``chain``
to detect a dropped or altered envelope. The payload (``data``) is typed by ``(type, version)``
through :mod:`contracts.registry`; class names never reach the wire.

Signing and hashing work over :func:`canonical_bytes`: the JSON of the envelope with sorted keys and
no whitespace, *minus* the signature itself. Verification works on the dict as received, never on a
re-serialised model, so a producer and a consumer on different pydantic versions agree byte for byte.
For everything a department sends or receives (integers, strings, booleans, null; ASCII keys) those bytes
are RFC 8785 (JCS); ``docs/signing.md`` spells the rules out for other languages, and
``contracts/test-vectors/signing.json`` holds worked examples that tests check against this code.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr

from contracts.canonical import canonical_json
from contracts.text import loads_checked

__all__ = [
    "ChainLink",
    "Envelope",
    "EnvelopeError",
    "EventPayload",
    "Signature",
    "canonical_bytes",
    "envelope_digest",
]


class EnvelopeError(ValueError):
    """The bytes are not a well-formed envelope (bad JSON, missing field, wrong type)."""


class EventPayload(BaseModel):
    """Base for every event body that crosses a service boundary."""

    model_config = ConfigDict(frozen=True, extra="ignore")  # tolerant reader

    event_type: ClassVar[str]  # wire name; never derived from __name__
    event_version: ClassVar[int] = 1  # payload schema major version


class Signature(BaseModel):
    """Ed25519 (RFC 8032) signature of the envelope (电子签名). Signed bytes: the envelope as sent, without its
    `signature` member, as RFC 8785 canonical JSON (JCS) in UTF-8 — members sorted by key, no whitespace,
    strings unescaped except the quotation mark, the reverse solidus and control characters. See
    docs/signing.md and the test vectors in contracts/test-vectors/signing.json."""

    model_config = ConfigDict(frozen=True)

    alg: str = Field(default="Ed25519", description="Always `Ed25519`.")
    key_id: str = Field(description="The signing principal, equal to the envelope's `source` (e.g. `dept.police`); "
                                    "its public key is on the platform's trust list.")
    value: str = Field(description="The 64-byte Ed25519 signature, base64url without padding (86 characters).")


class ChainLink(BaseModel):
    """Position of the envelope in its producer's hash chain (哈希链); part of the signed bytes."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1, description="1 for the producer's first envelope, then one more for each.")
    prev: str = Field(description="Lower-case hex sha256 of the canonical JSON (JCS) of the producer's previous "
                                  "envelope, signature included; 64 zeros for the first.")


class Envelope(BaseModel):
    """Wire form of an event (the Kafka value, UTF-8 JSON). `data` is the payload that `type` and `version`
    name (its schema: contracts/schemas/<type>.v<version>.json)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    type: str = Field(min_length=3)
    version: int = Field(ge=1)
    source: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    time: AwareDatetime
    correlation_id: UUID
    causation_id: UUID | None = None
    traceparent: str | None = None
    chain: ChainLink | None = None
    signature: Signature | None = None
    data: dict[str, Any]
    # The bytes a consumer verified the signature over, kept so the same bytes need not be made again (the audit
    # trail's evidence, docs/performance.md step 10); not part of the envelope.
    _signed_bytes: bytes | None = PrivateAttr(default=None)

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        source: str,
        subject: str,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
        event_id: UUID | None = None,
        time: datetime | None = None,
        traceparent: str | None = None,
    ) -> Envelope:
        """A new unsigned envelope around ``payload``; a new flow starts its own correlation id."""
        new_id = event_id or uuid4()
        return cls(
            id=new_id,
            type=payload.event_type,
            version=payload.event_version,
            source=source,
            subject=subject,
            time=time or datetime.now(UTC),
            correlation_id=correlation_id or new_id,
            causation_id=causation_id,
            traceparent=traceparent,
            data=payload.model_dump(mode="json"),
        )

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def verified_as(self, signed: bytes) -> None:
        """Keep the bytes its signature was verified over (:func:`canonical_bytes` of the wire as received)."""
        self._signed_bytes = signed

    def signed_sha256(self) -> str:
        """Hex sha256 of the bytes its signature covers: as verified (:meth:`verified_as`), else as this envelope
        serialises (the same bytes for what a producer of this platform sent)."""
        signed = self._signed_bytes if self._signed_bytes is not None else canonical_bytes(self.to_wire())
        return hashlib.sha256(signed).hexdigest()

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_wire(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> tuple[Envelope, dict[str, Any]]:
        """Parse wire bytes; returns the model and the raw dict (what signatures are checked on)."""
        try:
            # A NUL or a 65-bit integer would pass the schema and break a database write later: refuse it here.
            obj, problem = loads_checked(raw, "envelope")  # envelopes are UTF-8 (``to_bytes``)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EnvelopeError(f"not JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise EnvelopeError("envelope must be a JSON object")
        if problem is not None:
            raise EnvelopeError(f"{problem.path}: {problem.message_en}")
        try:
            return cls.model_validate(obj), obj
        except ValueError as exc:
            raise EnvelopeError(str(exc)) from exc


def canonical_bytes(wire: dict[str, Any]) -> bytes:
    """The bytes that are signed: the envelope without its signature, in RFC 8785 canonical JSON."""
    return canonical_json({k: v for k, v in wire.items() if k != "signature"})


def envelope_digest(wire: dict[str, Any]) -> str:
    """Hex sha256 of a *signed* envelope: the value the next envelope's ``chain.prev`` carries."""
    return hashlib.sha256(canonical_json(wire)).hexdigest()
