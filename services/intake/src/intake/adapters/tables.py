"""Intake's own tables (persistence only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Integer, String, Text
from sqlmodel import Field, SQLModel

from exchange.db.timestamps import UtcDateTime


class IntakeCase(SQLModel, table=True):
    """The case aggregate (办件): one number for the whole bundle (一事一号)."""

    __tablename__ = "intake_case"

    case_id: str = Field(sa_column=Column(String(64), primary_key=True))
    idempotency_key: str | None = Field(default=None, sa_column=Column(String(128), unique=True))
    # sha256 of the request body sent with the key: a retry must send the same body (None before revision 0003)
    request_digest: str | None = Field(default=None, sa_column=Column(String(64)))
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
    accepted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    notice_zh: str | None = Field(default=None, sa_column=Column(Text))
    notice_en: str | None = Field(default=None, sa_column=Column(Text))
    window_id: str | None = Field(default=None, sa_column=Column(String(64)))
    staff_id: str | None = Field(default=None, sa_column=Column(String(64)))
    proxy: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    fast_track: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    fast_track_note_zh: str | None = Field(default=None, sa_column=Column(Text))
    fast_track_note_en: str | None = Field(default=None, sa_column=Column(Text))
    # default=[] (pydantic copies it for each row), not default_factory=list: a factory costs ~150 µs per row
    # built, pydantic inspecting its signature every time (docs/performance.md)
    materials: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))
    commitments: list[dict[str, Any]] = Field(default=[], sa_column=Column(JSON, nullable=False))
    limit_days: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    due_on: date | None = Field(default=None, sa_column=Column(Date))  # intake's estimate at acceptance
    supervised_due_on: date | None = Field(default=None, sa_column=Column(Date))  # supervision's case clock
    case_clock_id: str | None = Field(default=None, sa_column=Column(String(64)))
    # 补正: the open correction notice (round, deficiencies, requested_on) and the working days paused so far
    correction: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    paused_days: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    draft_id: str | None = Field(default=None, sa_column=Column(String(64)))


class IntakeTimeline(SQLModel, table=True):
    """Every step of a case as the applicant sees it (全程留痕、进度可查)."""

    __tablename__ = "intake_timeline"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    case_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    item_code: str | None = Field(default=None, sa_column=Column(String(32)))
    department: str | None = Field(default=None, sa_column=Column(String(64)))
    text_zh: str = Field(sa_column=Column(Text, nullable=False))
    text_en: str = Field(sa_column=Column(Text, nullable=False))
    event_id: str | None = Field(default=None, sa_column=Column(String(36)))


class IntakeCatalogue(SQLModel, table=True):
    """Every catalogue version intake has served: a case keeps the version it was accepted under."""

    __tablename__ = "intake_catalogue"

    version: str = Field(sa_column=Column(String(32), primary_key=True))
    digest: str = Field(sa_column=Column(String(64), nullable=False))
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    loaded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class IntakeBlacklist(SQLModel, table=True):
    """Applicants found to have given false materials or information (失信黑名单, R-22)."""

    __tablename__ = "intake_blacklist"

    id_number: str = Field(sa_column=Column(String(18), primary_key=True))
    reason_zh: str = Field(sa_column=Column(Text, nullable=False))
    reason_en: str = Field(sa_column=Column(Text, nullable=False))
    case_id: str | None = Field(default=None, sa_column=Column(String(64)))
    listed_by: str = Field(sa_column=Column(String(64), nullable=False))
    listed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class IntakeDraft(SQLModel, table=True):
    """An application being prepared: the recorded authorisation and the pre-filled form (R-11, R-12)."""

    __tablename__ = "intake_draft"

    draft_id: str = Field(sa_column=Column(String(64), primary_key=True))
    bundle_code: str = Field(sa_column=Column(String(32), nullable=False))
    items: list[str] = Field(sa_column=Column(JSON, nullable=False))
    subject_kind: str = Field(sa_column=Column(String(16), nullable=False))
    subject_id: str = Field(sa_column=Column(String(18), nullable=False, index=True))
    authorisation: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # registry → answer
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    case_id: str | None = Field(default=None, sa_column=Column(String(64)))


class IntakeDelegation(SQLModel, table=True):
    """委托授权: the applicant's own authorisation of an online proxy (:mod:`intake.domain.delegation`)."""

    __tablename__ = "intake_delegation"

    delegation_id: str = Field(sa_column=Column(String(64), primary_key=True))
    principal_id: str = Field(sa_column=Column(String(18), nullable=False, index=True))
    proxy_id: str = Field(sa_column=Column(String(18), nullable=False, index=True))
    bundle_code: str | None = Field(default=None, sa_column=Column(String(32)))
    granted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
