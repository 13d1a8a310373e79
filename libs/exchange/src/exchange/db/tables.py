"""Plumbing tables every stateful service has: outbox, processed events (inbox), chain head.

They are created by each service's first migration through :func:`exchange.db.migrations.create_exchange_tables`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from exchange.db.timestamps import UtcDateTime

__all__ = ["ChainHeadRow", "OutboxMessage", "ProcessedEvent"]


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
