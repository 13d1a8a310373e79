"""Dispatch's own tables (persistence only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from exchange.db.timestamps import UtcDateTime


class DispatchCase(SQLModel, table=True):
    """What dispatch keeps of an accepted case to address departments (no re-asking the applicant)."""

    __tablename__ = "dispatch_case"

    case_id: str = Field(sa_column=Column(String(64), primary_key=True))
    bundle_code: str = Field(sa_column=Column(String(32), nullable=False))
    applicant: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    form: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    accepted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    phase: str = Field(default="review", sa_column=Column(String(32), nullable=False))
    review_round: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    fast_track: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))


class DispatchTask(SQLModel, table=True):
    """One department task for one selected item (部门子任务)."""

    __tablename__ = "dispatch_task"

    task_id: str = Field(sa_column=Column(String(96), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))
    item_name_zh: str = Field(sa_column=Column(String(255), nullable=False))
    department: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    requires: list[str] = Field(sa_column=Column(JSON, nullable=False))
    time_limit_days: int = Field(sa_column=Column(Integer, nullable=False))  # 法定办结时限
    promised_limit_days: int | None = Field(default=None, sa_column=Column(Integer))  # 承诺时限; None: statutory
    # 表单字段 the item takes: its department is sent these of the one form; None (older tasks): the whole form
    form_fields: list[str] | None = Field(default=None, sa_column=Column(JSON))
    yields_licence: bool = False
    licence_type: str | None = Field(default=None, sa_column=Column(String(64)))
    status: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    attempt: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    request_id: str | None = Field(default=None, sa_column=Column(String(36)))
    document_no: str | None = Field(default=None, sa_column=Column(String(128)))
    reason_zh: str | None = Field(default=None, sa_column=Column(String(500)))
    released_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    concluded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    # default=[] (pydantic copies it for each row), not default_factory=list: a factory costs ~150 µs per row
    # built, pydantic inspecting its signature every time (docs/performance.md)
    materials: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))
    review_status: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    review_request_id: str | None = Field(default=None, sa_column=Column(String(36)))
    deficiencies: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))
    # 即审即办: whether the round's review request asked for a decision, and the department's decision given with its
    # review, kept until the round concludes with nothing missing
    review_decide: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    decision_at_review: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class DispatchRequest(SQLModel, table=True):
    """One department request, review or handling, and its answer deadline (应答时限): when it was sent, how
    often, whether the department receipted or answered it, and whether it is parked as undeliverable."""

    __tablename__ = "dispatch_request"
    __table_args__ = (Index("ix_dispatch_request_open", "state", "last_sent_at"),)

    request_id: str = Field(sa_column=Column(String(36), primary_key=True))  # also the request's envelope id
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    task_id: str = Field(sa_column=Column(String(96), nullable=False))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))
    department: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # review | handling
    state: str = Field(sa_column=Column(String(16), nullable=False))  # domain.deadlines.RequestState
    sends: int = Field(default=1, sa_column=Column(Integer, nullable=False))  # since the first send or a re-drive
    total_sends: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    first_sent_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    last_sent_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    received_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    parked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    parkings: int = Field(default=0, sa_column=Column(Integer, nullable=False))
