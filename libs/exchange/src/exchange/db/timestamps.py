"""Instants in the database (时刻): stored in UTC, always read back timezone-aware, on both databases.

Why this exists: PostgreSQL's ``timestamptz`` keeps the instant, but SQLite, the embedded default, keeps
``DateTime(timezone=True)`` as text without a zone and gives back naive datetimes. Those then failed wherever an
instant is needed (the licence PDF's China day answered 500) and left the APIs without ``Z`` or an offset. An
aware value with another offset (``+08:00`` from a payload) was even kept as its wall-clock time on SQLite, eight
hours off once read. Every table's ``*_at`` column is a :class:`UtcDateTime`; the DDL is the same
``TIMESTAMP WITH TIME ZONE`` (SQLite ``DATETIME``), so the migrations are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UtcDateTime"]


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant: written as UTC, read as UTC (a naive value is refused, never guessed at)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"时刻须带时区 a datetime written to the database must be timezone-aware: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no zone; what was written is UTC (above)
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
