"""What a service staged to publish, for tests that drive handlers directly against a real database."""

from __future__ import annotations

from sqlmodel import col, select

from exchange.db.database import Database
from exchange.db.tables import OutboxMessage

__all__ = ["outbox"]


async def outbox(database: Database, event_type: str | None = None) -> list[OutboxMessage]:
    """Every outbox row in order of staging, or only those of ``event_type``."""
    async with database.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.seq)))).all()
    return [r for r in rows if event_type is None or r.envelope["type"] == event_type]
