"""Events owned by the rating service (好差评服务), version 1."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime

from contracts.envelope import EventPayload

__all__ = ["RatingLevel", "RatingSubmitted"]


class RatingLevel(StrEnum):
    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意


class RatingSubmitted(EventPayload):
    """The applicant rated a delivered case (办完即评)."""

    event_type: ClassVar[str] = "rating.rating.submitted"

    rating_id: str
    case_id: str
    level: RatingLevel
    tags: tuple[str, ...] = ()
    submitted_at: AwareDatetime
