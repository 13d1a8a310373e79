"""Unit of work: the session plus the outbox and inbox of one transaction (工作单元)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope, EventPayload
from contracts.topics import ALL_TOPICS, TopicSpec
from exchange.db.tables import OutboxMessage, ProcessedEvent
from exchange.tracing import current_traceparent

__all__ = ["UnitOfWork", "default_topics"]

_TOPICS_BY_TYPE: dict[str, tuple[TopicSpec, ...]] = {}
for _spec in ALL_TOPICS:
    if not _spec.name.startswith("exchange.dept.") or _spec.name.endswith(".results"):
        for _type in _spec.event_types:
            _TOPICS_BY_TYPE[_type] = (*_TOPICS_BY_TYPE.get(_type, ()), _spec)


def default_topics(event_type: str) -> tuple[TopicSpec, ...]:
    """Where the registry says an event type is published (department requests are routed)."""
    try:
        return _TOPICS_BY_TYPE[event_type]
    except KeyError:
        raise LookupError(f"{event_type} has no default topic; pass topics=") from None


class UnitOfWork:
    """Handed to handlers: write state through ``session``, publish through :meth:`emit`."""

    def __init__(self, session: AsyncSession, *, source: str, cause: Envelope | None) -> None:
        self.session = session
        self.source = source
        self.cause = cause
        self.emitted: list[Envelope] = []

    def emit(
        self,
        payload: EventPayload,
        *,
        subject: str,
        topics: Sequence[TopicSpec] | None = None,
        key: str | None = None,
        event_id: UUID | None = None,
    ) -> Envelope:
        """Stage an event in the outbox; it is published after, and only if, this transaction commits.

        Correlation and causation follow the event being handled, so a whole case is one flow.
        """
        envelope = Envelope.wrap(
            payload,
            source=self.source,
            subject=subject,
            correlation_id=self.cause.correlation_id if self.cause else None,
            causation_id=self.cause.id if self.cause else None,
            event_id=event_id,
            traceparent=current_traceparent(),
        )
        wire = envelope.to_wire()
        now = datetime.now(UTC)
        for spec in topics or default_topics(payload.event_type):
            self.session.add(
                OutboxMessage(
                    event_id=str(envelope.id),
                    topic=spec.name,
                    key=key or subject,
                    envelope=wire,
                    created_at=now,
                )
            )
        self.emitted.append(envelope)
        return envelope

    async def claim(self, consumer: str, event_id: UUID) -> bool:
        """Record that ``consumer`` applies ``event_id`` now; False if it already did (a duplicate)."""
        dialect = self.session.bind.dialect.name if self.session.bind else "postgresql"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(ProcessedEvent)
            .values(consumer=consumer, event_id=str(event_id), processed_at=datetime.now(UTC))
            .on_conflict_do_nothing()
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]
