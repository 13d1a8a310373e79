"""The case as dispatch keeps it (分办中的办件): one aggregate, the case and its department tasks.

Every decision dispatch takes about a case is a method here: open the preliminary review (同步预审; a department
that entrusted it to the window, 委托窗口初审, is not asked), take a department's review or result, apply the one
correction (一次补正), and release what may run next (:mod:`dispatch.domain.sequencing`). An on-the-spot item
(即办件) that waits for no other item is decided with its review when nothing of the case is missing (即审即办): its
release concludes it with the department's decision, and no handling request crosses the bus. The methods change
the case and record what happened as events (:class:`CaseEvent`); they do no I/O. ``adapters.repositories`` loads
and saves a case; ``adapters.messages`` turns its events into the contract payloads that go out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.department.v2 import Decision, DecisionAtReview, Finding
from contracts.departments import department_principal
from contracts.dispatch.v1 import Deficiency, Evidence, Outcome
from contracts.intake.v1 import Applicant, MaterialProvision, MaterialRef
from dispatch.domain.errors import ForeignResult, UnknownTask
from dispatch.domain.messages import MESSAGES
from dispatch.domain.minimisation import form_for_item
from dispatch.domain.review import (
    NO_WINDOW_REVIEW,
    Phase,
    ReviewStatus,
    ReviewView,
    WindowReview,
    merged_deficiencies,
    review_complete,
)
from dispatch.domain.sequencing import TaskStatus, TaskView, releasable, unreachable
from exchange.aggregates import Aggregate

__all__ = [
    "Case",
    "CaseEvent",
    "Concluded",
    "FindingOutsideList",
    "Released",
    "ReviewAsked",
    "ReviewRoundConcluded",
    "Task",
    "request_id_for",
    "review_id_for",
    "task_id_for",
]


def task_id_for(case_id: str, item_code: str) -> str:
    return f"{case_id}/{item_code}"


def request_id_for(task_id: str, attempt: int) -> UUID:
    """Deterministic: a redelivered release yields the same request, which departments dedupe."""
    return uuid5(NAMESPACE_URL, f"onething:request:{task_id}:{attempt}")


def review_id_for(task_id: str, round_: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"onething:review:{task_id}:{round_}")


_HELD_BY_THE_PLATFORM = (MaterialProvision.SHARING, MaterialProvision.LICENCE)


@dataclass(slots=True)
class Task:
    """One department task for one selected item (部门子任务)."""

    task_id: str
    item_code: str
    item_name_zh: str
    department: str
    requires: tuple[str, ...]
    time_limit_days: int  # 法定办结时限
    promised_limit_days: int | None  # 承诺时限; None: the statutory limit
    form_fields: tuple[str, ...] | None  # 表单字段 the item takes; None (older tasks): the whole form
    yields_licence: bool
    licence_type: str | None
    materials: tuple[MaterialRef, ...]
    status: TaskStatus = TaskStatus.WAITING
    attempt: int = 0
    request_id: str | None = None
    document_no: str | None = None
    reason_zh: str | None = None
    released_at: datetime | None = None
    concluded_at: datetime | None = None
    review_status: ReviewStatus = ReviewStatus.PENDING
    review_request_id: str | None = None
    deficiencies: tuple[Deficiency, ...] = ()
    review_decide: bool = False  # 即审即办: this round's review request asked for a decision
    decision_at_review: DecisionAtReview | None = None  # 即审即办: kept until the round concludes with nothing missing

    @property
    def sequencing(self) -> TaskView:
        return TaskView(self.item_code, self.status, self.requires)

    @property
    def review(self) -> ReviewView:
        return ReviewView(self.item_code, self.review_status, self.deficiencies)

    def split_findings(self, found: tuple[Deficiency, ...], form: dict[str, str]
                       ) -> tuple[list[Deficiency], list[tuple[Deficiency, bool]]]:
        """Findings on what the applicant submitted, and findings beyond that (R-04) with whether the platform
        already holds the thing asked for (a shared material, or one an e-licence proves (免提交)): neither could
        be answered by the applicant."""
        held = {m.code for m in self.materials if m.provision in _HELD_BY_THE_PLATFORM}
        submitted = {m.code for m in self.materials} - held
        listed: list[Deficiency] = []
        beyond: list[tuple[Deficiency, bool]] = []
        for d in found:
            if d.code in (submitted if d.kind == "material" else set(form)):
                listed.append(d)
            else:
                beyond.append((d, d.kind == "material" and d.code in held))
        return listed, beyond


# What happened to a case (领域事件). Each carries the task as it stood then.


@dataclass(frozen=True, slots=True)
class ReviewAsked:
    """The task's department is asked to review the item's materials and its part of the form."""

    task: Task
    request_id: UUID
    round: int
    form: dict[str, str]
    decide: bool = False  # 即审即办: the department is asked for its decision with the review


@dataclass(frozen=True, slots=True)
class Released:
    """The task is pushed to its department (推送), with the documents of its prerequisites as evidence; or, decided
    at review (即审即办), released and concluded at once, with no request to send."""

    task: Task
    request_id: UUID
    evidence: tuple[Evidence, ...]
    form: dict[str, str]
    released_at: datetime
    decided_at_review: bool = False


@dataclass(frozen=True, slots=True)
class Concluded:
    """The task is final: approved, rejected, or not processed because a prerequisite failed."""

    task: Task
    outcome: Outcome
    reason_en: str | None
    concluded_at: datetime
    decided_at_review: bool = False


@dataclass(frozen=True, slots=True)
class FindingOutsideList:
    """A department asked for something the published list does not name, or the platform already holds (R-04):
    dropped here, carded at supervision."""

    finding: Deficiency
    already_held: bool
    found_at: datetime
    review_request_id: UUID


@dataclass(frozen=True, slots=True)
class ReviewRoundConcluded:
    """Every department asked has reviewed (the window reviewed the items of those that entrusted it): one merged list
    of deficiencies (empty: handling starts)."""

    round: int
    deficiencies: tuple[Deficiency, ...]
    concluded_at: datetime
    window_reviewed: tuple[str, ...] = ()  # 委托窗口初审: the items the window reviewed, no department asked


CaseEvent = ReviewAsked | Released | Concluded | FindingOutsideList | ReviewRoundConcluded


@dataclass
class Case(Aggregate[CaseEvent]):
    """What dispatch keeps of an accepted case to address departments (no re-asking the applicant), and its tasks
    by item code."""

    case_id: str
    bundle_code: str
    applicant: Applicant
    form: dict[str, str]
    accepted_at: datetime
    fast_track: bool
    tasks: dict[str, Task]
    phase: Phase = Phase.REVIEW
    review_round: int = 1

    # -- 一次性分办: every department reviews at once (同步预审), or the window for it (委托窗口初审) ----------------

    def open_review(self, now: datetime, window: WindowReview = NO_WINDOW_REVIEW) -> None:
        """Ask every task's department for its preliminary review, sequential items too: every deficiency of the
        submission is found in one round (R-14). A department that entrusted its review to the window (委托窗口初审)
        is not asked: the window's checks at acceptance passed its item. If no department is asked, the round
        concludes at once and handling starts."""
        for task in self.tasks.values():
            if window.covers(task.department):
                task.review_status, task.review_request_id, task.deficiencies = ReviewStatus.PASSED, None, ()
                task.review_decide, task.decision_at_review = False, None
                continue
            request_id = review_id_for(task.task_id, self.review_round)
            task.review_status, task.review_request_id, task.deficiencies = (
                ReviewStatus.PENDING, str(request_id), ())
            task.review_decide, task.decision_at_review = self.decides_at_review(task), None
            self.record(ReviewAsked(replace(task), request_id, self.review_round, self._form_for(task),
                                    decide=task.review_decide))
        self._conclude_round_if_complete(now)

    def answered_by(self, item_code: str, principal: str) -> Task:
        """The task a department answers for, which must be that department's own."""
        task = self.tasks.get(item_code)
        if task is None:
            raise UnknownTask(f"no task {item_code} in case {self.case_id}")
        if principal != department_principal(task.department):
            raise ForeignResult(f"{principal} answered for {task.task_id}, which belongs to {task.department}")
        return task

    def take_review(self, task: Task, *, request_id: UUID, findings: tuple[Finding, ...],
                    reviewed_at: datetime, now: datetime, decision: DecisionAtReview | None = None) -> bool:
        """A department's preliminary review of its item; the last one in concludes the round with one merged
        notice. ``decision`` (即审即办) is kept for an item that was asked for it, and taken if the round finds
        nothing missing anywhere. False: a stale review (another round's, or a repeat), which changes nothing."""
        if task.review_request_id != str(request_id) or task.review_status is not ReviewStatus.PENDING:
            return False
        deficiencies = tuple(Deficiency(item_code=task.item_code, department=task.department, kind=f.kind, code=f.code,
                                        reason_zh=f.reason_zh, reason_en=f.reason_en) for f in findings)
        listed, beyond = task.split_findings(deficiencies, self.form)
        for finding, held in beyond:  # 清单之外 or already held: a red card and a forced stop at supervision
            self.record(FindingOutsideList(finding, held, reviewed_at, request_id))
        task.review_status = ReviewStatus.DEFICIENT if listed else ReviewStatus.PASSED
        task.deficiencies = tuple(listed)
        task.decision_at_review = decision if task.review_decide and not listed else None
        self._conclude_round_if_complete(now)
        return True

    def _conclude_round_if_complete(self, now: datetime) -> None:
        """The last review in (or none to wait for) concludes the round: one merged notice, or handling starts."""
        reviews = [t.review for t in self.tasks.values()]
        if not review_complete(reviews):
            return
        merged = merged_deficiencies(reviews)
        by_window = tuple(t.item_code for t in self.tasks.values() if t.review_request_id is None)
        self.record(ReviewRoundConcluded(self.review_round, merged, now, window_reviewed=by_window))
        self.phase = Phase.AWAITING_CORRECTION if merged else Phase.HANDLING
        if not merged:
            self._advance(now)

    def decides_at_review(self, task: Task) -> bool:
        """即审即办: an on-the-spot item (即办件, statutory limit 0 days) that waits for no other item of the case (a
        prerequisite the applicant holds already does not count, as in sequencing) is asked to be decided with its
        review."""
        return task.time_limit_days == 0 and not any(code in self.tasks for code in task.requires)

    # -- 一次补正 ----------------------------------------------------------------------------------------------

    def correct(self, *, round_: int, form: dict[str, str], materials: tuple[MaterialRef, ...], now: datetime) -> bool:
        """The applicant's one correction: the supplied values and documents go with the requests, and handling
        starts. False: this round's correction is applied already."""
        if self.phase is not Phase.AWAITING_CORRECTION or round_ != self.review_round:
            return False
        self.form = {**self.form, **form}
        self.phase = Phase.HANDLING
        supplied = {m.code: m for m in materials}
        for task in self.tasks.values():
            task.materials = tuple(supplied.get(m.code, m) for m in task.materials)
            task.review_status = ReviewStatus.PASSED
            task.decision_at_review = None  # given on what the correction may have changed: handled as usual
        self._advance(now)
        return True

    # -- 结果实时回传 ------------------------------------------------------------------------------------------

    def take_result(self, task: Task, *, request_id: UUID, decision: Decision, document_no: str | None,
                    reason_zh: str | None, reason_en: str | None, now: datetime) -> bool:
        """Record a department's decision, then release what it unblocks. False: a stale result (an earlier
        attempt's, or a repeat), which changes nothing. (A correction is never asked for here: the contract has
        no such decision, R-14.)"""
        if task.request_id != str(request_id) or task.status is not TaskStatus.RELEASED:
            return False
        task.status = TaskStatus(decision.value)
        task.document_no, task.reason_zh, task.concluded_at = document_no, reason_zh, now
        self.record(Concluded(replace(task), Outcome(decision.value), reason_en, now))
        self._advance(now)
        return True

    # -- 并联/串联: release what may run, mark what never can --------------------------------------------------

    def _advance(self, now: datetime) -> None:
        """Mark what can never run, release what may; again while a release concluded at once (即审即办) unblocks
        or rules out more."""
        not_processed = MESSAGES.text("prerequisite_not_approved")
        while True:
            for code in unreachable([t.sequencing for t in self.tasks.values()]):
                task = self.tasks[code]
                task.status, task.concluded_at, task.reason_zh = TaskStatus.NOT_PROCESSED, now, not_processed.zh
                self.record(Concluded(replace(task), Outcome.NOT_PROCESSED, not_processed.en, now))
            decided = [self._release(self.tasks[code], now)
                       for code in releasable([t.sequencing for t in self.tasks.values()])]
            if not any(decided):
                return

    def _release(self, task: Task, now: datetime) -> bool:
        """Release the task; True when it was decided at review and is concluded with it (即审即办)."""
        task.attempt += 1
        task.status, task.released_at = TaskStatus.RELEASED, now
        request_id = request_id_for(task.task_id, task.attempt)
        task.request_id = str(request_id)
        evidence = tuple(
            Evidence(item_code=c, department=self.tasks[c].department, document_no=self.tasks[c].document_no)
            for c in task.requires if c in self.tasks)
        decision, task.decision_at_review = task.decision_at_review, None
        self.record(Released(replace(task), request_id, evidence, self._form_for(task), now,
                             decided_at_review=decision is not None))
        if decision is None:
            return False
        task.status = TaskStatus(decision.outcome.value)
        task.document_no, task.reason_zh, task.concluded_at = decision.document_no, decision.reason_zh, now
        self.record(Concluded(replace(task), Outcome(decision.outcome.value), decision.reason_en, now,
                              decided_at_review=True))
        return True

    def _form_for(self, task: Task) -> dict[str, str]:
        """数据最小化: the fields of the one form that the task's item takes, and no others."""
        return form_for_item(self.form, task.form_fields)
