"""Security events of the exchange (安全事件), version 1.

What a consumer refused for security reasons, reported by the platform service whose consumer refused it, so
that ops and supervisors see attempts to publish what a principal may not (:mod:`contracts.publishing`). The
record itself stays in the consumer's dead-letter store; this event names it and carries no personal data.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.envelope import EventPayload

__all__ = ["PublishRefused"]


class PublishRefused(EventPayload):
    """越权发布被拒: a record signed by a principal that may not publish its event type, dead-lettered unapplied."""

    event_type: ClassVar[str] = "exchange.security.refused"

    consumer: str  # the consumer group that refused it
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    claimed_event_id: str | None = None
    claimed_type: str | None = None
    claimed_source: str | None = None
    reason: str  # which principal may publish it instead (contracts.publishing.refusal)
    refused_at: AwareDatetime
