"""Intake's own tables (persistence only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, String, Text
from sqlmodel import Field, SQLModel


class IntakeCase(SQLModel, table=True):
    """The case aggregate (办件): one number for the whole bundle (一事一号)."""

    __tablename__ = "intake_case"

    case_id: str = Field(sa_column=Column(String(64), primary_key=True))
    idempotency_key: str | None = Field(default=None, sa_column=Column(String(128), unique=True))
    bundle_code: str = Field(sa_column=Column(String(32), nullable=False))
    catalogue_version: str = Field(sa_column=Column(String(32), nullable=False))
    status: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    applicant: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    delivery_method: str = Field(sa_column=Column(String(16), nullable=False))
    delivery_address: str | None = Field(default=None, sa_column=Column(String(500)))
    form: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    correction_round: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    accepted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    notice_zh: str | None = Field(default=None, sa_column=Column(Text))
    notice_en: str | None = Field(default=None, sa_column=Column(Text))


class IntakeTimeline(SQLModel, table=True):
    """Every step of a case as the applicant sees it (全程留痕、进度可查)."""

    __tablename__ = "intake_timeline"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    item_code: str | None = Field(default=None, sa_column=Column(String(32)))
    department: str | None = Field(default=None, sa_column=Column(String(64)))
    text_zh: str = Field(sa_column=Column(Text, nullable=False))
    text_en: str = Field(sa_column=Column(Text, nullable=False))
    event_id: str | None = Field(default=None, sa_column=Column(String(36)))
