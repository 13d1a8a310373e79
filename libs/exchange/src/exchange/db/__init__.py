"""Database plumbing: the service's own database, its migrations and its unit of work."""

from exchange.db.database import Database
from exchange.db.tables import ChainHeadRow, ExchangeMarker, OutboxMessage, ProcessedEvent
from exchange.db.timestamps import UtcDateTime
from exchange.db.unit_of_work import UnitOfWork

__all__ = ["ChainHeadRow", "Database", "ExchangeMarker", "OutboxMessage", "ProcessedEvent", "UnitOfWork", "UtcDateTime"]
