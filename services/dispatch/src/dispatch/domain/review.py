"""Preliminary review (同步预审) and the one consolidated correction (R-14). Pure.

At acceptance every department (but those below) reviews its item's materials and form at the same time, parallel
and sequential items alike, so that every deficiency of the submission is found in one round and
the applicant gets one notice. A department's later handling approves or rejects; it does not ask
for corrections again.

A department may instead entrust its preliminary review to the window (委托窗口初审, :class:`WindowReview`): the
seeds have 「“一窗”……进行一次性初审」 and 「前台综合受理、后台分类审批」 (003), and departments 「委托综合窗口进行实质审查」
(INT-14). Its items are then reviewed by the window's checks at acceptance (one set of materials, 容缺, 告知承诺), and
no review request crosses the bus: the department only handles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from contracts.departments import department_codes
from contracts.dispatch.v1 import Deficiency

__all__ = ["NO_WINDOW_REVIEW", "Phase", "ReviewStatus", "ReviewView", "WindowReview", "merged_deficiencies",
           "review_complete"]


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


@dataclass(frozen=True, slots=True)
class WindowReview:
    """Which departments entrusted their preliminary review to the window (委托窗口初审): a local agreement between a
    service centre and its departments, so a setting of the centre, not catalogue data. Empty: every department
    reviews its own items (the default)."""

    departments: frozenset[str] = frozenset()
    every: bool = False  # every department: the window does the one preliminary review of the whole case

    @classmethod
    def parse(cls, text: str) -> Self:
        """``""`` (none), ``*`` (every department) or known department codes separated by commas
        (:func:`contracts.departments.department_codes`); ValueError for anything else."""
        codes = department_codes(text)
        return cls(every=True) if codes is None else cls(departments=codes)

    def covers(self, department: str) -> bool:
        return self.every or department in self.departments


NO_WINDOW_REVIEW = WindowReview()  # every department reviews its own items (the default)


def review_complete(reviews: Iterable[ReviewView]) -> bool:
    return all(r.status is not ReviewStatus.PENDING for r in reviews)


def merged_deficiencies(reviews: Iterable[ReviewView]) -> tuple[Deficiency, ...]:
    """Every department's findings in one list, in item order, a repeated finding listed once."""
    seen: dict[tuple[str, str, str], Deficiency] = {}
    for review in reviews:
        for d in review.deficiencies:
            seen.setdefault((d.item_code, d.kind, d.code), d)
    return tuple(seen.values())
