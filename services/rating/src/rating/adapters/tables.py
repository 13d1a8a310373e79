"""Rating's own tables (persistence only). No names, ID numbers or phones: raters are kept as digests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Float, Integer, String, Text
from sqlmodel import Field, SQLModel

from exchange.db.timestamps import UtcDateTime


class RatingCase(SQLModel, table=True):
    """An accepted case as rating needs it: who may rate, and what each touchpoint is about."""

    __tablename__ = "rating_case"

    case_id: str = Field(sa_column=Column(String(64), primary_key=True))
    bundle_code: str = Field(sa_column=Column(String(32), nullable=False))
    lead_department: str = Field(sa_column=Column(String(64), nullable=False))
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    window_id: str | None = Field(default=None, sa_column=Column(String(64)))
    staff_id: str | None = Field(default=None, sa_column=Column(String(64)))
    rater_digests: list[str] = Field(sa_column=Column(JSON, nullable=False))
    accepted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class RatingInvitation(SQLModel, table=True):
    """An invitation to rate (评价邀请) and the touchpoints it opened."""

    __tablename__ = "rating_invitation"

    invitation_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    moment: str = Field(sa_column=Column(String(16), nullable=False))  # acceptance | delivery
    touchpoints: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    invited_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class RatingRow(SQLModel, table=True):
    """One rating of one touchpoint (一事一号一评价); the id derives from (case, touchpoint, item)."""

    __tablename__ = "rating_rating"

    rating_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    touchpoint: str = Field(sa_column=Column(String(16), nullable=False))
    item_code: str | None = Field(default=None, sa_column=Column(String(32)))
    department: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    level: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    tags: list[str] = Field(sa_column=Column(JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    rated_via: str = Field(sa_column=Column(String(16), nullable=False))
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    removed: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))  # 申诉成立，已剔除


class RectificationRow(SQLModel, table=True):
    """A rectification order (整改单) opened by a bad review, and its life: report, call-backs, closure,
    the supervision clock and any escalation (督办)."""

    __tablename__ = "rating_rectification"

    rectification_id: str = Field(sa_column=Column(String(36), primary_key=True))
    rating_id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    department: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    touchpoint: str = Field(sa_column=Column(String(16), nullable=False))
    item_code: str | None = Field(default=None, sa_column=Column(String(32)))
    level: str = Field(sa_column=Column(String(32), nullable=False))
    limit_working_days: int = Field(sa_column=Column(Integer, nullable=False))
    opened_on: date = Field(sa_column=Column(Date, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    reopened: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    unreachable_since_report: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    appeal: str | None = Field(default=None, sa_column=Column(String(16)))
    measures_zh: str | None = Field(default=None, sa_column=Column(Text))
    # default=[] (pydantic copies it for each row), not default_factory=list: a factory costs ~150 µs per row
    # built, pydantic inspecting its signature every time (docs/performance.md)
    evidence: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))
    reported_on: date | None = Field(default=None, sa_column=Column(Date))
    callbacks: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))
    closed_on: date | None = Field(default=None, sa_column=Column(Date))
    closed_how: str | None = Field(default=None, sa_column=Column(String(16)))
    clock_id: str | None = Field(default=None, sa_column=Column(String(36), index=True))
    due_on: date | None = Field(default=None, sa_column=Column(Date))  # from supervision's clock
    red_card_id: str | None = Field(default=None, sa_column=Column(String(36), index=True))
    escalated_on: date | None = Field(default=None, sa_column=Column(Date))
    order_id: str | None = Field(default=None, sa_column=Column(String(36)))  # supervision's 督办单
    respond_by: date | None = Field(default=None, sa_column=Column(Date))


class AppealRow(SQLModel, table=True):
    """A department's appeal against a review (申诉), and the decision with its reason (复核结论)."""

    __tablename__ = "rating_appeal"

    appeal_id: str = Field(sa_column=Column(String(36), primary_key=True))
    rectification_id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    rating_id: str = Field(sa_column=Column(String(36), nullable=False))
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    department: str = Field(sa_column=Column(String(64), nullable=False))
    grounds: str = Field(sa_column=Column(String(16), nullable=False))
    reason_zh: str = Field(sa_column=Column(Text, nullable=False))
    evidence: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))
    filed_on: date = Field(sa_column=Column(Date, nullable=False))
    upheld: bool | None = Field(default=None, sa_column=Column(Boolean))
    decision_zh: str | None = Field(default=None, sa_column=Column(Text))
    decided_by: str | None = Field(default=None, sa_column=Column(String(64)))
    decided_on: date | None = Field(default=None, sa_column=Column(Date))


class RatingFigureRow(SQLModel, table=True):
    """The latest value of one satisfaction figure, as the stream processor published it (for the API)."""

    __tablename__ = "rating_figure"

    period: str = Field(sa_column=Column(String(8), primary_key=True))
    period_start: date = Field(sa_column=Column(Date, primary_key=True))
    by: str = Field(sa_column=Column(String(16), primary_key=True))
    key: str = Field(sa_column=Column(String(64), primary_key=True))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    figures: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    good_rate: float | None = Field(default=None, sa_column=Column(Float))
