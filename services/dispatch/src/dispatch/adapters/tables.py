"""Dispatch's own tables (persistence only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Integer, String
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
    yields_licence: bool = False
    licence_type: str | None = Field(default=None, sa_column=Column(String(64)))
    status: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    attempt: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    request_id: str | None = Field(default=None, sa_column=Column(String(36)))
    document_no: str | None = Field(default=None, sa_column=Column(String(128)))
    reason_zh: str | None = Field(default=None, sa_column=Column(String(500)))
    released_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    concluded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    materials: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    review_status: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    review_request_id: str | None = Field(default=None, sa_column=Column(String(36)))
    deficiencies: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
