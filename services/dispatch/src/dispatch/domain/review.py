"""Preliminary review (同步预审) and the one consolidated correction (R-14). Pure.

At acceptance every department reviews its item's materials and form at the same time, parallel
and sequential items alike, so that every deficiency of the submission is found in one round and
the applicant gets one notice. A department's later handling approves or rejects; it does not ask
for corrections again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from contracts.dispatch.v1 import Deficiency

__all__ = ["Phase", "ReviewStatus", "ReviewView", "merged_deficiencies", "review_complete"]


class Phase(StrEnum):
    REVIEW = "review"  # 预审中
    AWAITING_CORRECTION = "awaiting_correction"  # 待申请人一次补正
    HANDLING = "handling"  # 办理中


class ReviewStatus(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    DEFICIENT = "deficient"


@dataclass(frozen=True, slots=True)
class ReviewView:
    item_code: str
    status: ReviewStatus
    deficiencies: tuple[Deficiency, ...] = ()


def review_complete(reviews: Iterable[ReviewView]) -> bool:
    return all(r.status is not ReviewStatus.PENDING for r in reviews)


def merged_deficiencies(reviews: Iterable[ReviewView]) -> tuple[Deficiency, ...]:
    """Every department's findings in one list, in item order, a repeated finding listed once."""
    seen: dict[tuple[str, str, str], Deficiency] = {}
    for review in reviews:
        for d in review.deficiencies:
            seen.setdefault((d.item_code, d.kind, d.code), d)
    return tuple(seen.values())
