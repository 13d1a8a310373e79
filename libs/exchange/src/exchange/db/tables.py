"""Plumbing tables every stateful service has: outbox, processed events (inbox), chain head, markers,
dead letters.

The first three are created by each service's first migration through
:func:`exchange.db.migrations.create_exchange_tables`; ``dead_letter`` by a later one through
:func:`exchange.db.migrations.create_dead_letter_table`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from exchange.db.timestamps import UtcDateTime

__all__ = ["ChainHeadRow", "DeadLetterRow", "ExchangeMarker", "OutboxMessage", "ProcessedEvent", "table_of"]


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core ``Table``, for statements built without the ORM. SQLModel sets ``__table__`` on a
    ``table=True`` class at runtime but does not declare it, so this is the one place that says so to the type
    checker (and refuses a model that is no table)."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model (table=True)")
    return table


class OutboxMessage(SQLModel, table=True):
    """An envelope written in the same transaction as the state change that caused it (发件箱)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "topic", name="uq_outbox_event_topic"),
        Index("ix_outbox_pending", "published_at", "seq"),
    )

    seq: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    event_id: str = Field(sa_column=Column(String(36), nullable=False))
    topic: str = Field(sa_column=Column(String(255), nullable=False))
    key: str = Field(sa_column=Column(String(255), nullable=False))
    envelope: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    # The signed bytes as sent and the broker epoch they were sent in (消息代理纪元): after the broker lost its
    # data, rows of an earlier epoch are sent again, byte for byte (same signature, same chain position).
    wire: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    epoch: str | None = Field(default=None, sa_column=Column(String(64)))


class ProcessedEvent(SQLModel, table=True):
    """Event ids a consumer has applied, recorded in the transaction that applied them (收件登记)."""

    __tablename__ = "processed_event"

    consumer: str = Field(sa_column=Column(String(255), primary_key=True))
    event_id: str = Field(sa_column=Column(String(36), primary_key=True))
    processed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ChainHeadRow(SQLModel, table=True):
    """The last link of this service's hash chain, advanced by the relay as it publishes."""

    __tablename__ = "chain_head"

    producer: str = Field(sa_column=Column(String(255), primary_key=True))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    digest: str = Field(sa_column=Column(String(64), nullable=False))


class ExchangeMarker(SQLModel, table=True):
    """A named value the exchange's plumbing remembers across restarts, e.g. the broker epoch last seen."""

    __tablename__ = "exchange_marker"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(String(255), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class DeadLetterRow(SQLModel, table=True):
    """A record a consumer could never apply (死信), kept with why, for an operator to re-drive.

    Written by the consumer runner in its own short transaction when it dead-letters (the
    ``<topic>.dlq.<group>`` topic still gets the record, for stream readers). ``fingerprint`` makes a
    redelivered record's second dead-lettering a no-op; entries made by a re-drive have none and name
    the entry they re-drove in ``redrive_of``.
    """

    __tablename__ = "dead_letter"
    __table_args__ = (
        UniqueConstraint("fingerprint", name="uq_dead_letter_fingerprint"),
        Index("ix_dead_letter_topic", "original_topic", "consumer_group"),
        Index("ix_dead_letter_case", "case_id"),
        Index("ix_dead_letter_failed_at", "failed_at"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    consumer_group: str = Field(sa_column=Column(String(255), nullable=False))
    original_topic: str = Field(sa_column=Column(String(255), nullable=False))
    original_partition: int = Field(sa_column=Column(Integer, nullable=False))
    original_offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    record_key: str | None = Field(default=None, sa_column=Column(Text))
    value: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    headers: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    error_type: str = Field(sa_column=Column(String(255), nullable=False))
    error_message: str = Field(sa_column=Column(Text, nullable=False))
    failure_class: str = Field(sa_column=Column(String(32), nullable=False))
    event_id: str | None = Field(default=None, sa_column=Column(String(36)))
    event_type: str | None = Field(default=None, sa_column=Column(String(255)))
    case_id: str | None = Field(default=None, sa_column=Column(String(255)))
    failed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    fingerprint: str | None = Field(default=None, sa_column=Column(String(64)))
    redrive_of: int | None = Field(default=None, sa_column=Column(BigInteger))
    redriven_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    outcome: str | None = Field(default=None, sa_column=Column(String(32)))
    redrive_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
