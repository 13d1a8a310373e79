"""Rating's own tables (persistence only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class RatingDeliveredCase(SQLModel, table=True):
    """A case whose one result was delivered: from then on it may be rated (办完即评)."""

    __tablename__ = "rating_delivered_case"

    case_id: str = Field(sa_column=Column(String(64), primary_key=True))
    delivered_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class RatingRow(SQLModel, table=True):
    """The one rating of a case (一事一评)."""

    __tablename__ = "rating_rating"
    __table_args__ = (UniqueConstraint("case_id", name="uq_rating_rating_case"),)

    rating_id: str = Field(sa_column=Column(String(36), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), nullable=False))
    level: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    tags: list[str] = Field(sa_column=Column(JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
