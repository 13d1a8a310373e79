"""Gateway's own tables (persistence only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from exchange.db.timestamps import UtcDateTime


class DepartmentCursorRow(SQLModel, table=True):
    """The next position (``seq``) of a department's queue. Taken under a row lock by the transaction that stores a
    request, so positions are handed out in commit order and a poller's cursor never skips a request."""

    __tablename__ = "gateway_department"

    code: str = Field(sa_column=Column(String(64), primary_key=True))
    next_seq: int = Field(sa_column=Column(Integer, nullable=False))


class RequestRow(SQLModel, table=True):
    """One request addressed to a department (预审 or 办理), its delivery to the department and its answer."""

    __tablename__ = "gateway_request"
    __table_args__ = (
        UniqueConstraint("department", "seq", name="uq_gateway_request_department_seq"),
        Index("ix_gateway_request_delivery", "delivery", "next_delivery_at"),
    )

    request_id: str = Field(sa_column=Column(String(36), primary_key=True))
    department: str = Field(sa_column=Column(String(64), nullable=False))
    seq: int = Field(sa_column=Column(Integer, nullable=False))  # position in the department's queue (poll cursor)
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # review | handling
    case_id: str = Field(sa_column=Column(String(64), nullable=False))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))
    envelope: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # as dispatch signed it
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    receipt_event_id: str = Field(sa_column=Column(String(36), nullable=False))
    delivery: str = Field(sa_column=Column(String(16), nullable=False))  # pending | delivered | undeliverable
    delivery_attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_delivery_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    last_delivery_error: str | None = Field(default=None, sa_column=Column(Text))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # the decision, as the department gave it
    answer_event_id: str | None = Field(default=None, sa_column=Column(String(36)))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class NoticeRow(SQLModel, table=True):
    """A refusal notice (拒收通知) dispatch sent the department about one of its answers, kept for it to read."""

    __tablename__ = "gateway_notice"

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                          primary_key=True, autoincrement=True))
    event_id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    department: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    case_id: str | None = Field(default=None, sa_column=Column(String(64)))
    notice: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the payload, as dispatch signed it
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
