"""Supervision use cases on the case stream: every case, every released task and every rectification order of
a bad review (差评整改) gets a clock; the applicant's waiting time is suspended and recorded; conclusions, the
delivery and the closing of the order stop the clocks, each announced once. The clocks decide
(``domain/model.py``); these load them, hand them the fact and keep what they issue."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from uuid import NAMESPACE_URL, uuid5

from contracts.days import china_date
from contracts.departments import department
from contracts.dispatch.v1 import (
    FindingBeyondList,
    RequestUndeliverable,
    ReviewConcluded,
    TaskReleased,
)
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope, EventPayload
from contracts.gateway.v1 import CallbackParked, callback_parked_event_id
from contracts.intake.v1 import CaseDelivered, CaseRegistered, CorrectionFiled
from contracts.rating.v1 import RectificationClosed, RectificationOpened
from contracts.supervision.clocks import case_clock_id, item_clock_id, rectification_clock_id
from contracts.topics import CASE_STREAM
from contracts.workdays import WorkingCalendar
from exchange.kafka.subscriptions import handles
from exchange.messages import Text
from supervision.domain.messages import MESSAGES
from supervision.domain.model import (
    Card,
    Flag,
    ItemProgress,
    Order,
    SupervisedCase,
    SupervisedClock,
    resubmission_flags,
)
from supervision.service_layer.audit import audited, record_fact
from supervision.service_layer.unit_of_work import SupervisionUnitOfWork

__all__ = ["CaseStream", "StreamUseCase", "case_stream_use_cases"]

logger = logging.getLogger(__name__)


class CaseStream:
    """Handlers for the case-stream facts supervision watches, on one working-day calendar."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar

    async def case_registered(self, uow: SupervisionUnitOfWork, envelope: Envelope, payload: CaseRegistered) -> None:
        """受理即计时: the case's own clock runs on the bundle limit (R-05) from the day of acceptance; each item is
        planned on its promised limit (承诺时限)."""
        if await uow.cases.exists(payload.case_id):
            return
        case = SupervisedCase(
            payload.case_id, payload.bundle_code, payload.lead_department,
            payload.applicant_ref,  # intake's pseudonym: the same applicant, not who
            payload.window_id, payload.staff_id, payload.accepted_on,
            [ItemProgress(i.item_code, i.department, tuple(i.requires), i.promised_days) for i in payload.items])
        for flag in resubmission_flags(case, await uow.cases.open_of_applicant(payload.applicant_ref)):
            uow.flags.add(flag)
        uow.cases.add(case)
        limit = payload.limit_days if payload.limit_days is not None else max(
            (i.time_limit_days for i in payload.items), default=0)
        uow.clocks.add(SupervisedClock.of_case(payload.case_id, payload.lead_department, limit, payload.accepted_at,
                                               payload.accepted_on, payload.staff_id, self.calendar))

    async def task_released(self, uow: SupervisionUnitOfWork, envelope: Envelope, payload: TaskReleased) -> None:
        if await uow.clocks.exists(item_clock_id(payload.task_id, payload.attempt)):
            logger.info("clock of %s attempt %d already started", payload.task_id, payload.attempt)
            return
        uow.clocks.add(SupervisedClock.of_release(
            payload.case_id, payload.task_id, payload.attempt, payload.item_code, payload.department,
            payload.promised_days, payload.time_limit_days, payload.released_at, self.calendar))
        if (case := await uow.cases.get_for_update(payload.case_id)) is not None:
            case.released(payload.item_code)

    async def task_concluded(self, uow: SupervisionUnitOfWork, envelope: Envelope, payload: TaskConcluded) -> None:
        on = china_date(payload.concluded_at)
        if (clock := await uow.clocks.get_for_update(item_clock_id(payload.task_id, payload.attempt))) is not None:
            clock.stop(on, self.calendar)
        if (case := await uow.cases.get_for_update(payload.case_id)) is not None:
            case.concluded(payload.item_code, payload.outcome.value, on)

    async def review_concluded(self, uow: SupervisionUnitOfWork, envelope: Envelope, payload: ReviewConcluded) -> None:
        """一次性告知补正: the case clock waits for the applicant, recorded with the reason."""
        if not payload.deficiencies:
            return
        if (clock := await uow.clocks.get_for_update(case_clock_id(payload.case_id))) is not None:
            reason = MESSAGES.text("awaiting_correction", round=payload.round, count=len(payload.deficiencies))
            clock.suspend(china_date(payload.concluded_at), reason.zh, self.calendar)

    async def correction_filed(self, uow: SupervisionUnitOfWork, envelope: Envelope, payload: CorrectionFiled) -> None:
        if (clock := await uow.clocks.get_for_update(case_clock_id(payload.case_id))) is not None:
            clock.resume(china_date(envelope.time), self.calendar)

    async def finding_beyond_list(self, uow: SupervisionUnitOfWork, envelope: Envelope,
                                  payload: FindingBeyondList) -> None:
        """R-04: a request beyond the published list earns a red card and a forced stop (强制停止实施)."""
        key = str(uuid5(NAMESPACE_URL, f"onething:beyond-list:{payload.case_id}:{payload.item_code}:{payload.code}"))
        if await uow.cards.exists(key, "red"):
            return
        on = china_date(payload.found_at)
        dept = department(payload.department)
        name = Text(dept.name_zh, dept.name_en)
        what = MESSAGES.text("material" if payload.kind == "material" else "form_field")
        if payload.already_held:  # SUP-05 / R-13: the platform holds it already; asking again is flagged too
            uow.flags.add(Flag.raise_(
                payload.case_id, "asked_again", (payload.item_code,), on,
                MESSAGES.text("asked_again", department=name, code=payload.code).zh,
                department=payload.department, material_code=payload.code))
        case = await uow.cases.get(payload.case_id)
        reason = Text(MESSAGES.text("beyond_list_reason", reason=payload.reason_zh).zh, "")  # given in Chinese only
        card = MESSAGES.text("beyond_list_card", department=name, item_code=payload.item_code, what=what,
                             code=payload.code, reason=reason)
        order = MESSAGES.text("beyond_list_order", department=name, item_code=payload.item_code,
                              what=Text(what.zh, ""), code=payload.code)  # the English names no material or field
        uow.cards.add(Card.issue(
            key, payload.case_id, payload.item_code, payload.department, case.staff_id if case else None, "red",
            "beyond_list", on, 0, on, card.zh, card.en, order=Order("forced_stop", on, order.zh, order.en)))

    async def request_undeliverable(self, uow: SupervisionUnitOfWork, envelope: Envelope,
                                    payload: RequestUndeliverable) -> None:
        """无法送达: dispatch parked a department request nobody receipted; the department gets a yellow card (预警),
        one per parking of the request however often the fact is repeated, naming the request an operator
        re-drives."""
        dept = department(payload.department)
        await _undeliverable_card(
            uow, str(uuid5(NAMESPACE_URL, f"onething:undeliverable:{payload.request_id}:{payload.parking}")), payload,
            MESSAGES.text("request_undeliverable", department=Text(dept.name_zh, dept.name_en),
                          case_id=payload.case_id, item_code=payload.item_code, what=_request_kind(payload.kind),
                          sends=payload.sends, request_id=payload.request_id))

    async def callback_parked(self, uow: SupervisionUnitOfWork, envelope: Envelope, payload: CallbackParked) -> None:
        """回调无法送达: the gateway holds the request, but the department's system took none of its pushes."""
        dept = department(payload.department)
        await _undeliverable_card(
            uow, str(callback_parked_event_id(str(payload.request_id), payload.parked_at.isoformat())), payload,
            MESSAGES.text("callback_parked", department=Text(dept.name_zh, dept.name_en), case_id=payload.case_id,
                          item_code=payload.item_code, what=_request_kind(payload.kind), attempts=payload.attempts,
                          request_id=payload.request_id))

    async def case_delivered(self, uow: SupervisionUnitOfWork, envelope: Envelope, payload: CaseDelivered) -> None:
        on = china_date(payload.delivered_at)
        if (clock := await uow.clocks.get_for_update(case_clock_id(payload.case_id))) is not None:
            clock.stop(on, self.calendar)
        if (case := await uow.cases.get_for_update(payload.case_id)) is not None:
            case.deliver(on)

    async def rectification_opened(self, uow: SupervisionUnitOfWork, envelope: Envelope,
                                   payload: RectificationOpened) -> None:
        if await uow.clocks.exists(rectification_clock_id(payload.rectification_id)):
            return  # redelivered
        uow.clocks.add(SupervisedClock.of_rectification(
            payload.case_id, payload.rectification_id, payload.item_code, payload.department,
            payload.limit_working_days,
            envelope.time,  # the payload carries only the day the order was opened
            payload.opened_on, self.calendar))

    async def rectification_closed(self, uow: SupervisionUnitOfWork, envelope: Envelope,
                                   payload: RectificationClosed) -> None:
        clock = await uow.clocks.get_for_update(rectification_clock_id(payload.rectification_id))
        if clock is None:
            logger.warning("rectification %s closed without a clock", payload.rectification_id)
            return
        clock.stop(payload.closed_on, self.calendar)


def _request_kind(kind: str) -> Text:
    return MESSAGES.text("review_request" if kind == "review" else "handling_request")


async def _undeliverable_card(uow: SupervisionUnitOfWork, key: str, fact: RequestUndeliverable | CallbackParked,
                              text: Text) -> None:
    """One yellow ``undeliverable`` card per parking (``key``) of a department request, for its case's staff."""
    if await uow.cards.exists(key, "yellow"):
        return
    on = china_date(fact.parked_at)
    case = await uow.cases.get(fact.case_id)
    uow.cards.add(Card.issue(key, fact.case_id, fact.item_code, fact.department, case.staff_id if case else None,
                             "yellow", "undeliverable", on, 0, on, text.zh, text.en))


StreamUseCase = Callable[[SupervisionUnitOfWork, Envelope, EventPayload], Awaitable[None]]


def case_stream_use_cases(stream: CaseStream) -> dict[str, StreamUseCase]:
    """What supervision does with each case-stream fact, by event type: every fact goes into the audit trail, and
    these also move clocks and cards, in the same unit of work as their record. The consumer runs this table
    (``entrypoints/consumers.py``); the handler tests run it on the unit of work in memory."""
    acting = dict([
        handles(CaseRegistered, audited(stream.case_registered)),
        handles(ReviewConcluded, audited(stream.review_concluded)),
        handles(CorrectionFiled, audited(stream.correction_filed)),
        handles(TaskReleased, audited(stream.task_released)),
        handles(TaskConcluded, audited(stream.task_concluded)),
        handles(CaseDelivered, audited(stream.case_delivered)),
        handles(FindingBeyondList, audited(stream.finding_beyond_list)),
        handles(RequestUndeliverable, audited(stream.request_undeliverable)),
        handles(CallbackParked, audited(stream.callback_parked)),
        handles(RectificationOpened, audited(stream.rectification_opened)),
        handles(RectificationClosed, audited(stream.rectification_closed)),
    ])
    return {event_type: acting.get(event_type, record_fact) for event_type in CASE_STREAM.event_types}
