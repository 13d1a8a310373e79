"""The case view (办件视图) folded from the unified case stream, and when to deliver. Pure rules.

A case is delivered exactly once (一次送达), when every selected item has concluded (approved,
rejected, or not processed because a prerequisite failed) and every approved item that yields a
licence has its licence. Corrections are asked before handling, in preliminary review (预审).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from contracts.progress import ItemStatus
from contracts.workdays import WorkingCalendar
from exchange.messages import Text, listed
from intake.domain.messages import MESSAGES

__all__ = ["CaseState", "CaseStatus", "Due", "ItemState", "ItemStatus", "case_due", "item_status_text", "notice_texts"]


def item_status_text(status: ItemStatus) -> Text:
    """An item's status as the applicant reads it (the English is the status code)."""
    return MESSAGES.text(f"item_status_{status.value}")


ITEM_STATUS_ZH = {status: item_status_text(status).zh for status in ItemStatus}


class CaseStatus(StrEnum):
    ACCEPTED = "accepted"  # 已受理
    IN_PROGRESS = "in_progress"  # 办理中
    AWAITING_CORRECTION = "awaiting_correction"  # 待补正
    DELIVERED = "delivered"  # 已送达


CASE_STATUS_ZH = {status: MESSAGES.text(f"case_status_{status.value}").zh for status in CaseStatus}


@dataclass
class ItemState:
    item_code: str
    name_zh: str
    name_en: str
    department: str
    yields_licence: bool
    statutory_days: int | None = None  # 法定时限（工作日）; None in cases accepted before promises were kept
    promised_days: int | None = None  # 承诺时限: the item's share of the case's R-05 limit, what its clock runs on
    status: ItemStatus = ItemStatus.WAITING
    attempt: int = 0
    document_no: str | None = None
    licence_id: str | None = None
    due_on: str | None = None
    clock_id: str | None = None  # supervision's clock of the item's latest release: what moves its due date
    reason_zh: str | None = None

    @property
    def settled(self) -> bool:
        """Final, with its licence when it yields one."""
        if not self.status.final:
            return False
        return not (self.status is ItemStatus.APPROVED and self.yields_licence and self.licence_id is None)


@dataclass
class CaseState:
    case_id: str
    items: dict[str, ItemState]
    delivered: bool = False
    correction_open: bool = False  # a consolidated correction notice waits for the applicant

    @classmethod
    def from_rows(cls, case_id: str, items: list[dict[str, Any]], delivered: bool,
                  correction_open: bool = False) -> CaseState:
        return cls(
            case_id,
            {i["item_code"]: ItemState(**{**i, "status": ItemStatus(i["status"])}) for i in items},
            delivered,
            correction_open,
        )

    def item_rows(self) -> list[dict[str, Any]]:
        """The items as their rows hold them, built field by field (``dataclasses.asdict`` deep-copies each value
        and was 6.6% of intake's busy CPU in a profile): a field added to :class:`ItemState` goes here too."""
        return [{
            "item_code": i.item_code, "name_zh": i.name_zh, "name_en": i.name_en, "department": i.department,
            "yields_licence": i.yields_licence, "statutory_days": i.statutory_days, "promised_days": i.promised_days,
            "status": i.status.value, "attempt": i.attempt, "document_no": i.document_no, "licence_id": i.licence_id,
            "due_on": i.due_on, "clock_id": i.clock_id, "reason_zh": i.reason_zh,
        } for i in self.items.values()]

    @property
    def status(self) -> CaseStatus:
        if self.delivered:
            return CaseStatus.DELIVERED
        if self.correction_open:
            return CaseStatus.AWAITING_CORRECTION
        if all(i.status is ItemStatus.WAITING for i in self.items.values()):
            return CaseStatus.ACCEPTED
        return CaseStatus.IN_PROGRESS

    def released(self, item_code: str, attempt: int) -> bool:
        item = self.items[item_code]
        if attempt < item.attempt or item.status.final:
            return False  # a stale or repeated fact
        item.status, item.attempt = ItemStatus.RELEASED, attempt
        return True

    def concluded(
        self, item_code: str, attempt: int, outcome: str, document_no: str | None, reason_zh: str | None
    ) -> bool:
        item = self.items[item_code]
        if attempt < item.attempt or item.status.final:
            return False
        item.status, item.attempt = ItemStatus(outcome), attempt
        item.document_no, item.reason_zh = document_no, reason_zh
        return True

    def licence_issued(self, item_code: str, licence_id: str) -> bool:
        item = self.items[item_code]
        if item.licence_id == licence_id:
            return False
        item.licence_id = licence_id
        return True

    def clock_started(self, item_code: str, due_on: str, clock_id: str | None) -> None:
        item = self.items[item_code]
        item.due_on, item.clock_id = due_on, clock_id

    def clock_moved(self, clock_id: str, due_on: str) -> bool:
        """An item's clock moved (an extension, a re-projection); False when it is no item's current clock."""
        for item in self.items.values():
            if item.clock_id == clock_id:
                item.due_on = due_on
                return True
        return False

    def ready_for_delivery(self) -> bool:
        return not self.delivered and all(i.settled for i in self.items.values())


@dataclass(frozen=True, slots=True)
class Due:
    on: date
    provisional: bool  # counted over a year whose holiday arrangement is not yet published (暂定)


def case_due(calendar: WorkingCalendar, accepted_on: date, limit_days: int, paused_days: int) -> Due:
    """Intake's estimate of the case's due date (R-05): its limit plus the working days paused for corrections,
    after the day of acceptance, on the calendar supervision's case clock runs on. Shown only until that clock has
    started: from then on the date is supervision's (``Case.supervised_due_on``), extensions included."""
    on = calendar.add_working_days(accepted_on, limit_days + paused_days)
    return Due(on, calendar.is_provisional(accepted_on, on))


def notice_texts(state: CaseState, bundle_name_zh: str, bundle_name_en: str, method: str) -> tuple[str, str]:
    """The one notice (统一反馈): every item's outcome and how the result reaches the applicant."""
    done = [i for i in state.items.values() if i.status is ItemStatus.APPROVED]
    not_done = [i for i in state.items.values() if i.status is not ItemStatus.APPROVED]
    how = MESSAGES.text("result_mailed" if method == "mail" else "result_at_window")
    key = "notice_some_not_approved" if not_done else "notice_all_approved"
    not_approved = listed(MESSAGES.text("notice_item_outcome", item=Text(i.name_zh, i.name_en),
                                        status=item_status_text(i.status)) for i in not_done)
    text = MESSAGES.text(key, bundle=Text(bundle_name_zh, bundle_name_en), case_id=state.case_id, approved=len(done),
                         not_approved=not_approved, how=how)
    return text.zh, text.en
