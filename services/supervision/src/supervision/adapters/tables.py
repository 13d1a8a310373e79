"""Supervision's own tables (persistence only)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel


class SupervisionClock(SQLModel, table=True):
    """The statutory clock of one release (attempt) of one department task (办结时限计时)."""

    __tablename__ = "supervision_clock"
    __table_args__ = (UniqueConstraint("task_id", "attempt", name="uq_supervision_clock_task_attempt"),)

    clock_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    task_id: str = Field(sa_column=Column(String(96), nullable=False))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))
    department: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    limit_working_days: int = Field(sa_column=Column(Integer, nullable=False))
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    due_on: date = Field(sa_column=Column(Date, nullable=False, index=True))
