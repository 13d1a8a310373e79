"""The bad-review loop (差评整改闭环, R-38). Pure: no I/O, driven directly by unit tests.

open (整改中) --report with evidence--> reported (待回访) --call-back--> closed (办结)
  * call-back ``satisfied``: closed, rectified (整改到位);
  * ``not_satisfied``: back to open (整改不到位，重新整改), on the same deadline;
  * ``unreachable``: stays reported; after ``max_unreachable`` unreachable calls since the report it closes
    as unreachable (无法联系), with the evidence on record.
An appeal (申诉) may be filed once, by the department, while the order is not closed. Upheld: the order is
withdrawn (closed, appeal_upheld; an order that closed meanwhile keeps its closure) and the review leaves the
figures; rejected: the order goes on.

Who: the department the order is addressed to reports and appeals; a supervisor (政务服务监督机构) calls
back and decides appeals, never on its own department's order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from contracts.departments import department_principal
from rating.domain.errors import NotAnswerable, NotSupervisor, OwnOrder, WrongState
from rating.domain.messages import MESSAGES

__all__ = ["AppealStatus", "CallbackOutcome", "Closure", "Rectification", "State", "check_supervisor"]

CallbackOutcome = Literal["satisfied", "not_satisfied", "unreachable"]
Closure = Literal["rectified", "unreachable", "appeal_upheld"]


class State(StrEnum):
    OPEN = "open"  # 整改中
    REPORTED = "reported"  # 已反馈，待回访
    CLOSED = "closed"  # 已办结


class AppealStatus(StrEnum):
    PENDING = "pending"  # 申诉待复核
    UPHELD = "upheld"  # 申诉成立
    REJECTED = "rejected"  # 申诉不成立


@dataclass(frozen=True, slots=True)
class Rectification:
    rectification_id: str
    department: str
    state: State = State.OPEN
    unreachable_since_report: int = 0
    reopened: int = 0
    appeal: AppealStatus | None = None
    closed_how: Closure | None = None

    def _answerable(self, principal: str) -> None:
        if principal != department_principal(self.department):
            raise NotAnswerable(self.rectification_id)

    def report(self, principal: str) -> Rectification:
        """整改反馈: the department says what it put right, with evidence (the caller keeps the evidence)."""
        self._answerable(principal)
        if self.state is not State.OPEN:
            raise WrongState(self.rectification_id, MESSAGES.text("report_order_not_open"))
        return replace(self, state=State.REPORTED, unreachable_since_report=0)

    def call_back(self, principal: str, supervisors: frozenset[str], outcome: CallbackOutcome,
                  max_unreachable: int) -> Rectification:
        """回访: by a supervisor of another department, only after a report; the applicant's answer decides."""
        self._independent(principal, supervisors)
        if self.state is not State.REPORTED:
            raise WrongState(self.rectification_id, MESSAGES.text("call_back_before_report"))
        if outcome == "satisfied":
            return replace(self, state=State.CLOSED, closed_how="rectified")
        if outcome == "not_satisfied":
            return replace(self, state=State.OPEN, reopened=self.reopened + 1)
        tries = self.unreachable_since_report + 1
        if tries >= max_unreachable:
            return replace(self, state=State.CLOSED, closed_how="unreachable", unreachable_since_report=tries)
        return replace(self, unreachable_since_report=tries)

    def file_appeal(self, principal: str) -> Rectification:
        self._answerable(principal)
        if self.state is State.CLOSED:
            raise WrongState(self.rectification_id, MESSAGES.text("appeal_order_closed"))
        if self.appeal is not None:
            raise WrongState(self.rectification_id, MESSAGES.text("appeal_filed_already"))
        return replace(self, appeal=AppealStatus.PENDING)

    def decide_appeal(self, principal: str, supervisors: frozenset[str], upheld: bool) -> Rectification:
        self._independent(principal, supervisors)
        if self.appeal is not AppealStatus.PENDING:
            raise WrongState(self.rectification_id, MESSAGES.text("no_appeal_pending"))
        if not upheld:
            return replace(self, appeal=AppealStatus.REJECTED)
        if self.state is State.CLOSED:  # closed while the appeal waited: the review still leaves the figures
            return replace(self, appeal=AppealStatus.UPHELD)
        return replace(self, appeal=AppealStatus.UPHELD, state=State.CLOSED, closed_how="appeal_upheld")

    def _independent(self, principal: str, supervisors: frozenset[str]) -> None:
        """A supervisor, and not of the department the order is addressed to (no one checks their own work)."""
        check_supervisor(principal, supervisors)
        if principal == department_principal(self.department):
            raise OwnOrder(self.rectification_id)


def check_supervisor(principal: str, supervisors: frozenset[str]) -> None:
    if principal not in supervisors:
        raise NotSupervisor(principal)
