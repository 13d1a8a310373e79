"""Licence's own tables (persistence only)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from exchange.db.timestamps import UtcDateTime


class LicenceRow(SQLModel, table=True):
    """An issued electronic licence: its signed credential plus the columns it is found by."""

    __tablename__ = "licence_record"
    __table_args__ = (
        UniqueConstraint("case_id", "item_code", name="uq_licence_record_case_item"),
        UniqueConstraint("issuer_department", "status_index", name="uq_licence_record_status_index"),
    )

    licence_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))
    licence_type: str = Field(sa_column=Column(String(64), nullable=False))
    number: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    holder_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    holder_name: str = Field(sa_column=Column(String(255), nullable=False))
    issuer_department: str = Field(sa_column=Column(String(64), nullable=False))
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date | None = Field(default=None, sa_column=Column(Date))
    credential: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, exactly as signed
    record_digest: str = Field(sa_column=Column(String(64), nullable=False))
    signer: str = Field(sa_column=Column(String(255), nullable=False))  # verification method
    status_index: int = Field(sa_column=Column(Integer, nullable=False))
    state: str = Field(default="active", sa_column=Column(String(16), nullable=False, server_default="active"))
    state_reason: str | None = Field(default=None, sa_column=Column(Text))
    state_changed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class StatusCounterRow(SQLModel, table=True):
    """The next free status-list index of each issuing department."""

    __tablename__ = "licence_status_counter"

    issuer_department: str = Field(sa_column=Column(String(64), primary_key=True))
    next_index: int = Field(sa_column=Column(Integer, nullable=False))


class StatusChangeRow(SQLModel, table=True):
    """Every revocation, suspension and reinstatement, with its reason and who asked (状态变更记录)."""

    __tablename__ = "licence_status_change"

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                          primary_key=True, autoincrement=True))
    licence_id: str = Field(sa_column=Column(String(36), nullable=False, index=True))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    reason_zh: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(sa_column=Column(String(255), nullable=False))
    changed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ArchiveReadRow(SQLModel, table=True):
    """Who read whose archive, when and why (档案查阅记录): personal data is read only with a purpose."""

    __tablename__ = "licence_archive_read"

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                          primary_key=True, autoincrement=True))
    holder_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    licence_id: str | None = Field(default=None, sa_column=Column(String(36)))
    principal: str = Field(sa_column=Column(String(255), nullable=False))
    purpose: str = Field(sa_column=Column(Text, nullable=False))
    read_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
