"""Supervision's own tables (persistence only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from contracts.supervision.v1 import ClockKind
from exchange.db.timestamps import UtcDateTime


class SupervisionClock(SQLModel, table=True):
    """A clock (计时): of one release of a department task (``item``), of the whole case (``case``), or of a
    bad review's rectification order (``rectification``, 差评整改时限; ``task_id`` is the rectification id).

    An item clock runs on the item's promised limit (承诺时限) and records its statutory limit (法定时限) beside it.
    ``suspensions`` and ``extensions`` are the ledger (计时台账): who waited, why, and who approved more time.
    """

    __tablename__ = "supervision_clock"
    __table_args__ = (UniqueConstraint("task_id", "attempt", name="uq_supervision_clock_task_attempt"),)

    clock_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    task_id: str = Field(sa_column=Column(String(96), nullable=False))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))  # "" when the clock is of no one item
    kind: ClockKind = Field(sa_column=Column(String(16), nullable=False))
    department: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    limit_working_days: int = Field(sa_column=Column(Integer, nullable=False))  # an item's promised limit (承诺时限)
    statutory_working_days: int | None = Field(default=None, sa_column=Column(Integer))  # an item's 法定时限
    started_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    due_on: date = Field(sa_column=Column(Date, nullable=False, index=True))
    finished_on: date | None = Field(default=None, sa_column=Column(Date, index=True))
    staff_id: str | None = Field(default=None, sa_column=Column(String(64)))
    # default=[] (pydantic copies it for each row), not default_factory=list: a factory costs ~150 µs per row
    # built, pydantic inspecting its signature every time (docs/performance.md)
    suspensions: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))
    extensions: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))


class SupervisionCase(SQLModel, table=True):
    """What supervision keeps of a case to project its completion (items, prerequisites, limits)."""

    __tablename__ = "supervision_case"

    case_id: str = Field(sa_column=Column(String(64), primary_key=True))
    bundle_code: str = Field(sa_column=Column(String(32), nullable=False))
    lead_department: str = Field(sa_column=Column(String(64), nullable=False))
    # intake's pseudonym of the applicant (HMAC, 64 hex digits): the same applicant across cases, not who (SUP-05)
    applicant_id: str = Field(default="", sa_column=Column(String(64), nullable=False, index=True))
    window_id: str | None = Field(default=None, sa_column=Column(String(64)))
    staff_id: str | None = Field(default=None, sa_column=Column(String(64)))
    accepted_on: date = Field(sa_column=Column(Date, nullable=False))
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    delivered_on: date | None = Field(default=None, sa_column=Column(Date))


class SupervisionCard(SQLModel, table=True):
    """A yellow or red card (红黄牌); one per clock and colour."""

    __tablename__ = "supervision_card"
    __table_args__ = (UniqueConstraint("clock_id", "colour", name="uq_supervision_card_clock_colour"),)

    card_id: str = Field(sa_column=Column(String(36), primary_key=True))
    clock_id: str = Field(sa_column=Column(String(36), nullable=False))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))
    department: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    staff_id: str | None = Field(default=None, sa_column=Column(String(64)))
    colour: str = Field(sa_column=Column(String(8), nullable=False))
    reason: str = Field(sa_column=Column(String(32), nullable=False))
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    issued_on: date = Field(sa_column=Column(Date, nullable=False))
    text_zh: str = Field(sa_column=Column(Text, nullable=False))


class SupervisionOrder(SQLModel, table=True):
    """A supervision order (督办单) raised with a red card."""

    __tablename__ = "supervision_order"

    order_id: str = Field(sa_column=Column(String(36), primary_key=True))
    kind: str = Field(default="overdue", sa_column=Column(String(16), nullable=False))  # overdue | forced_stop
    card_id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))
    department: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    respond_by: date = Field(sa_column=Column(Date, nullable=False))
    issued_on: date = Field(sa_column=Column(Date, nullable=False))
    text_zh: str = Field(sa_column=Column(Text, nullable=False))


class SupervisionAudit(SQLModel, table=True):
    """Every fact of a case as it crossed the bus (全程留痕): when, who, what, and the sha256 of the signed
    envelope as evidence."""

    __tablename__ = "supervision_audit"

    event_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    event_type: str = Field(sa_column=Column(String(64), nullable=False))
    actor: str = Field(sa_column=Column(String(64), nullable=False))
    item_code: str | None = Field(default=None, sa_column=Column(String(32)))
    evidence_sha256: str = Field(sa_column=Column(String(64), nullable=False))


class SupervisionFlag(SQLModel, table=True):
    """A repetition flagged for inspection (SUP-05)."""

    __tablename__ = "supervision_flag"

    flag_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    item_codes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    other_case_id: str | None = Field(default=None, sa_column=Column(String(64)))
    department: str | None = Field(default=None, sa_column=Column(String(64)))
    material_code: str | None = Field(default=None, sa_column=Column(String(64)))
    flagged_on: date = Field(sa_column=Column(Date, nullable=False))
    text_zh: str = Field(sa_column=Column(Text, nullable=False))
