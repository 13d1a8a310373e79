"""Rating rules (好差评规则). Pure: no I/O, driven directly by unit tests.

* Only a delivered case can be rated (办完即评), and only once (一事一评): its rating id is derived
  from the case id.
* A rating is one of the five national levels, with at most 10 tags of at most 32 characters each
  and an optional comment of at most 500 characters. Surrounding blanks are dropped; a blank tag is
  refused, a repeated tag kept once, a blank comment is no comment.
"""

from __future__ import annotations

from typing import Annotated
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from contracts.rating.v1 import RatingLevel

__all__ = ["MAX_COMMENT_CHARS", "MAX_TAGS", "MAX_TAG_CHARS", "RatingInput", "rating_id_for"]

MAX_TAGS = 10
MAX_TAG_CHARS = 32
MAX_COMMENT_CHARS = 500

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG_CHARS)]


def rating_id_for(case_id: str) -> str:
    """Deterministic: one case has one rating."""
    return str(uuid5(NAMESPACE_URL, f"onething:rating:{case_id}"))


class RatingInput(BaseModel):
    """What an applicant submits to rate a case (评价)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    level: RatingLevel
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT_CHARS)] | None = None

    @field_validator("tags")
    @classmethod
    def _once_each(cls, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(tags))

    @field_validator("comment")
    @classmethod
    def _blank_is_none(cls, comment: str | None) -> str | None:
        return comment or None
