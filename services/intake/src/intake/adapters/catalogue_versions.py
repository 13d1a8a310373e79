"""Every catalogue version intake has served (目录版本), stored once each with the digest of its content."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from exchange.db.database import Database
from intake.adapters.tables import IntakeCatalogue

__all__ = ["SqlCatalogueVersions"]


class SqlCatalogueVersions:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def record(self, version: str, digest: str, content: dict[str, Any]) -> str:
        """Record ``version`` with its content unless it is recorded already; the digest it is recorded under."""
        async with self.database.unit_of_work() as uow:
            row = await uow.get_for_update(IntakeCatalogue, version)
            if row is not None:
                return row.digest
            uow.session.add(IntakeCatalogue(version=version, digest=digest, content=content,
                                            loaded_at=datetime.now(UTC)))
        return digest

    async def content(self, version: str) -> dict[str, Any] | None:
        async with self.database.sessions() as session:
            row = await session.get(IntakeCatalogue, version)
        return None if row is None else dict(row.content)
