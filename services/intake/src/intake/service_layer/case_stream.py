"""Folding the unified case stream into the case, and the one delivery (一次送达).

Facts from every service about a case arrive in order on one partition (key = case id); each is
applied in the consumer's transaction together with its inbox record, so the delivery and the
notice are emitted exactly once, whatever is redelivered. The case decides (``domain/model.py``); these load it,
hand it the fact and, when it is ready, the names its notice needs from the catalogue it was accepted under.
:func:`event_use_cases` is the table of what intake does with each event it subscribes to (these, and a registry's
answer to a pre-fill lookup); the consumer runs it (``entrypoints/consumers.py``), the handler tests run it in memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from onething_catalogue.model import CatalogueError

from contracts.days import china_date
from contracts.dispatch.v1 import ReviewConcluded, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope, EventPayload
from contracts.licence.v1 import CaseLicenceIssued
from contracts.licence.v2 import LicenceStatusChanged
from contracts.sharing.v1 import LookupAnswered
from contracts.supervision.clocks import item_clock
from contracts.supervision.v1 import ClockAdjusted, ClockStarted
from contracts.workdays import WorkingCalendar
from exchange.kafka.subscriptions import handles
from intake.domain.errors import UnknownCase
from intake.domain.model import Case
from intake.service_layer.catalogues import CatalogueStore
from intake.service_layer.drafts import apply_answer
from intake.service_layer.unit_of_work import IntakeUnitOfWork

__all__ = ["CaseStreamFolder", "EventUseCase", "event_use_cases"]


class CaseStreamFolder:
    """Handlers for the case-stream facts intake cares about, with the working-day calendar supervision counts on."""

    def __init__(self, catalogues: CatalogueStore, calendar: WorkingCalendar) -> None:
        self.catalogues = catalogues
        self.calendar = calendar

    @staticmethod
    async def _case(uow: IntakeUnitOfWork, case_id: str) -> Case:
        case = await uow.cases.get_for_update(case_id)
        if case is None:
            raise UnknownCase(f"case {case_id} was never accepted here")
        return case

    async def review_concluded(self, uow: IntakeUnitOfWork, envelope: Envelope, payload: ReviewConcluded) -> None:
        case = await self._case(uow, payload.case_id)
        case.review_concluded(payload.round, payload.deficiencies, china_date(payload.concluded_at),
                              payload.window_reviewed)

    async def task_released(self, uow: IntakeUnitOfWork, envelope: Envelope, payload: TaskReleased) -> None:
        """推送即计时: the release starts the item's clock at supervision, which does not announce it; intake derives
        the same clock (its id, its due date) to show the applicant and to follow its adjustments."""
        case = await self._case(uow, payload.case_id)
        clock = item_clock(payload.task_id, payload.attempt, payload.released_at, payload.promised_days,
                           self.calendar)
        case.released(payload.item_code, payload.attempt, payload.department, payload.time_limit_days,
                      payload.promised_days, clock.due_on, clock.clock_id)

    async def task_concluded(self, uow: IntakeUnitOfWork, envelope: Envelope, payload: TaskConcluded) -> None:
        case = await self._case(uow, payload.case_id)
        if case.concluded(payload.item_code, payload.attempt, payload.outcome.value, payload.document_no,
                          payload.reason_zh, payload.reason_en, payload.department, payload.decided_at_review):
            await self._deliver_if_ready(case)

    async def licence_issued(self, uow: IntakeUnitOfWork, envelope: Envelope, payload: CaseLicenceIssued) -> None:
        case = await self._case(uow, payload.case_id)
        if case.licence_issued(payload.item_code, payload.licence_id, payload.number, payload.issuer_department):
            await self._deliver_if_ready(case)

    async def licence_status_changed(self, uow: IntakeUnitOfWork, envelope: Envelope,
                                     payload: LicenceStatusChanged) -> None:
        case = await uow.cases.get_for_update(payload.case_id)
        if case is None:
            return  # another intake instance's case
        case.licence_status_changed(payload.state.value, payload.reason_zh, payload.item_code,
                                    payload.issuer_department)

    async def clock_started(self, uow: IntakeUnitOfWork, envelope: Envelope, payload: ClockStarted) -> None:
        """The case's own clock (R-05). A rectification order's (差评整改) is the department's, not the case's; an
        item's is derived from its release (streams from before 2026-12 also announced it, with the same date)."""
        if payload.kind != "case":
            return
        case = await self._case(uow, payload.case_id)
        case.case_clock_started(payload.clock_id or "", payload.due_on)

    async def clock_adjusted(self, uow: IntakeUnitOfWork, envelope: Envelope, payload: ClockAdjusted) -> None:
        case = await uow.cases.get_for_update(payload.case_id)
        if case is None:
            return  # another intake instance's case
        case.clock_moved(payload.clock_id, payload.kind, payload.due_on, payload.days, payload.reason_zh)

    async def _deliver_if_ready(self, case: Case) -> None:
        if not case.ready_for_delivery:
            return
        try:
            bundle = (await self.catalogues.version(case.catalogue_version)).bundle(case.bundle_code)
        except CatalogueError:  # an old version that no longer loads must not hold the delivery
            bundle = None
        name_zh, name_en = (bundle.name_zh, bundle.name_en) if bundle else (case.bundle_code, case.bundle_code)
        case.deliver(datetime.now(UTC), name_zh, name_en)


EventUseCase = Callable[[IntakeUnitOfWork, Envelope, EventPayload], Awaitable[None]]


def event_use_cases(folder: CaseStreamFolder) -> dict[str, EventUseCase]:
    """What intake does with each event it subscribes to, by event type, in the unit of work it is handed."""
    return dict([
        handles(ReviewConcluded, folder.review_concluded),
        handles(TaskReleased, folder.task_released),
        handles(TaskConcluded, folder.task_concluded),
        handles(CaseLicenceIssued, folder.licence_issued),
        handles(LicenceStatusChanged, folder.licence_status_changed),
        handles(ClockStarted, folder.clock_started),
        handles(ClockAdjusted, folder.clock_adjusted),
        handles(LookupAnswered, apply_answer),
    ])
