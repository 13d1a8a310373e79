"""Licence's own tables (persistence only)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class LicenceRow(SQLModel, table=True):
    """An issued electronic licence: its canonical signed record plus the columns it is found by."""

    __tablename__ = "licence_record"
    __table_args__ = (UniqueConstraint("case_id", "item_code", name="uq_licence_record_case_item"),)

    licence_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False))
    item_code: str = Field(sa_column=Column(String(32), nullable=False))
    licence_type: str = Field(sa_column=Column(String(64), nullable=False))
    number: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    holder_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    holder_name: str = Field(sa_column=Column(String(255), nullable=False))
    issuer_department: str = Field(sa_column=Column(String(64), nullable=False))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date | None = Field(default=None, sa_column=Column(Date))
    record: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, exactly the signed bytes
    record_digest: str = Field(sa_column=Column(String(64), nullable=False))
    record_signature: str = Field(sa_column=Column(String(128), nullable=False))
    signer: str = Field(sa_column=Column(String(255), nullable=False))
