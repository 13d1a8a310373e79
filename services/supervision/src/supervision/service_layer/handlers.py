"""Supervision use cases on the case stream: every case, every released task and every rectification order of
a bad review (差评整改) gets a clock; the applicant's waiting time is suspended and recorded; conclusions, the
delivery and the closing of the order stop the clocks, each announced once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Literal
from uuid import NAMESPACE_URL, uuid5

from sqlmodel import col, select

from contracts.days import china_date
from contracts.departments import department
from contracts.dispatch.v1 import (
    FindingBeyondList,
    RequestUndeliverable,
    ReviewConcluded,
    TaskReleased,
)
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope
from contracts.gateway.v1 import CallbackParked, callback_parked_event_id
from contracts.intake.v1 import CaseDelivered, CaseRegistered, CorrectionFiled
from contracts.rating.v1 import RectificationClosed, RectificationOpened
from contracts.supervision.v1 import ClockAdjusted, ClockStarted, ClockStopped, RepeatFlagged
from contracts.workdays import WorkingCalendar
from exchange.db.unit_of_work import UnitOfWork
from supervision.adapters.tables import SupervisionCase, SupervisionClock, SupervisionFlag
from supervision.domain.clocks import Clock
from supervision.service_layer.ledger import store, to_clock
from supervision.service_layer.scan import Card, Order, card_exists, issue_card

__all__ = ["CaseStream", "case_clock_id", "clock_id_for", "rectification_clock_id", "stop_clock"]

logger = logging.getLogger(__name__)


def clock_id_for(task_id: str, attempt: int) -> str:
    """Deterministic: a redelivered release finds the clock it already started."""
    return str(uuid5(NAMESPACE_URL, f"onething:clock:{task_id}:{attempt}"))


def case_clock_id(case_id: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"onething:case-clock:{case_id}"))


def rectification_clock_id(rectification_id: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"onething:rectification-clock:{rectification_id}"))


def _started(uow: UnitOfWork, row: SupervisionClock) -> None:
    uow.emit(
        ClockStarted(
            case_id=row.case_id, task_id=row.task_id, item_code=row.item_code, department=row.department,
            limit_working_days=row.limit_working_days, started_on=row.started_on, due_on=row.due_on,
            clock_id=row.clock_id, kind=row.kind, statutory_working_days=row.statutory_working_days,
        ),
        subject=row.case_id,
        event_id=uuid5(NAMESPACE_URL, f"onething:clock-started:{row.clock_id}"),
    )


def stop_clock(uow: UnitOfWork, row: SupervisionClock, on: date, calendar: WorkingCalendar) -> None:
    """Finish ``row`` on ``on`` and announce it with its verdict, once: a finished clock is left alone, and the
    event id is the clock's, so a replay downstream is deduplicated too."""
    if row.finished_on is not None:
        return
    clock = to_clock(row).finish(on)
    store(row, clock)
    row.due_on = clock.due_on(calendar, on)  # as judged: the ledger and today's calendar at the finish
    uow.session.add(row)
    on_time, handling_days = clock.on_time(calendar), clock.handling_days(calendar)
    assert on_time is not None and handling_days is not None  # finished just above
    uow.emit(
        ClockStopped(
            case_id=row.case_id, clock_id=row.clock_id, kind=row.kind, task_id=row.task_id,
            item_code=row.item_code or None, department=row.department, due_on=row.due_on, finished_on=on,
            on_time=on_time, handling_days=handling_days,
        ),
        subject=row.case_id,
        event_id=uuid5(NAMESPACE_URL, f"onething:clock-stopped:{row.clock_id}"),
    )


def _flag(uow: UnitOfWork, case_id: str, kind: Literal["resubmitted", "asked_again"], item_codes: list[str],
          on: date, text_zh: str, *, other_case_id: str | None = None, department: str | None = None,
          material_code: str | None = None) -> None:
    flag_id = str(uuid5(NAMESPACE_URL, f"onething:flag:{case_id}:{kind}:{other_case_id}:{material_code}"))
    uow.session.add(SupervisionFlag(flag_id=flag_id, case_id=case_id, kind=kind, item_codes=item_codes,
                                    other_case_id=other_case_id, department=department, material_code=material_code,
                                    flagged_on=on, text_zh=text_zh))
    uow.emit(RepeatFlagged(flag_id=flag_id, case_id=case_id, kind=kind, item_codes=tuple(item_codes),
                           other_case_id=other_case_id, department=department, material_code=material_code,
                           flagged_on=on, text_zh=text_zh),
             subject=case_id, event_id=uuid5(NAMESPACE_URL, f"onething:flagged:{flag_id}"))


class CaseStream:
    """Handlers for the case-stream facts supervision watches, on one working-day calendar."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar

    async def case_registered(self, uow: UnitOfWork, envelope: Envelope, payload: CaseRegistered) -> None:
        """受理即计时: the case's own clock runs on the bundle limit (R-05) from the day of acceptance; each item is
        planned on its promised limit (承诺时限)."""
        if await uow.session.get(SupervisionCase, payload.case_id) is not None:
            return
        await self._flag_resubmission(uow, payload)
        uow.session.add(SupervisionCase(
            case_id=payload.case_id, bundle_code=payload.bundle_code, lead_department=payload.lead_department,
            applicant_id=payload.applicant_ref,  # intake's pseudonym: the same applicant, not who
            window_id=payload.window_id, staff_id=payload.staff_id, accepted_on=payload.accepted_on,
            items=[{"item_code": i.item_code, "department": i.department, "requires": list(i.requires),
                    "limit_days": i.promised_days, "status": "waiting", "concluded_on": None}
                   for i in payload.items],
        ))
        limit = payload.limit_days if payload.limit_days is not None else max(
            (i.time_limit_days for i in payload.items), default=0)
        uow.session.add(SupervisionClock(
            clock_id=case_clock_id(payload.case_id), case_id=payload.case_id, task_id=payload.case_id, attempt=0,
            item_code="", kind="case", department=payload.lead_department, limit_working_days=limit,
            started_at=payload.accepted_at, started_on=payload.accepted_on,
            due_on=self.calendar.add_working_days(payload.accepted_on, limit), staff_id=payload.staff_id,
        ))

    async def task_released(self, uow: UnitOfWork, envelope: Envelope, payload: TaskReleased) -> None:
        """推送即计时: each release of a task starts its own clock, on the item's promised limit (承诺时限): the
        statutory one may be longer than the whole compressed chain it is on (R-05)."""
        clock_id = clock_id_for(payload.task_id, payload.attempt)
        if await uow.session.get(SupervisionClock, clock_id) is not None:
            logger.info("clock of %s attempt %d already started", payload.task_id, payload.attempt)
            return
        started_on = china_date(payload.released_at)
        clock = SupervisionClock(
            clock_id=clock_id, case_id=payload.case_id, task_id=payload.task_id, attempt=payload.attempt,
            item_code=payload.item_code, kind="item", department=payload.department,
            limit_working_days=payload.promised_days, statutory_working_days=payload.time_limit_days,
            started_at=payload.released_at, started_on=started_on,
            due_on=self.calendar.add_working_days(started_on, payload.promised_days),
        )
        uow.session.add(clock)
        await self._item(uow, payload.case_id, payload.item_code, status="released")
        _started(uow, clock)

    async def task_concluded(self, uow: UnitOfWork, envelope: Envelope, payload: TaskConcluded) -> None:
        on = china_date(payload.concluded_at)
        row = await uow.get_for_update(SupervisionClock, clock_id_for(payload.task_id, payload.attempt))
        if row is not None:
            stop_clock(uow, row, on, self.calendar)
        await self._item(uow, payload.case_id, payload.item_code, status=payload.outcome.value, concluded_on=on)

    async def review_concluded(self, uow: UnitOfWork, envelope: Envelope, payload: ReviewConcluded) -> None:
        """一次性告知补正: the case clock waits for the applicant, recorded with the reason."""
        if not payload.deficiencies:
            return
        on = china_date(payload.concluded_at)
        reason = f"等待申请人补正（第 {payload.round} 轮，{len(payload.deficiencies)} 处）"
        await self._adjust(uow, payload.case_id, on, lambda c: c.suspend(on, reason), "suspended", reason)

    async def correction_filed(self, uow: UnitOfWork, envelope: Envelope, payload: CorrectionFiled) -> None:
        on = china_date(envelope.time)
        await self._adjust(uow, payload.case_id, on, lambda c: c.resume(on), "resumed", "申请人已补正，恢复计时")

    async def _flag_resubmission(self, uow: UnitOfWork, payload: CaseRegistered) -> None:
        """SUP-05: the same applicant's open case already holds some of these items (重复申请)."""
        codes = {i.item_code for i in payload.items}
        others = (await uow.session.exec(select(SupervisionCase).where(
            col(SupervisionCase.applicant_id) == payload.applicant_ref,
            col(SupervisionCase.delivered_on).is_(None)))).all()
        for other in others:
            shared = sorted(codes & {i["item_code"] for i in other.items})
            if shared:
                _flag(uow, payload.case_id, "resubmitted", shared, payload.accepted_on,
                      f"重复申请：申请人已有未办结的办件 {other.case_id} 含相同事项 {'、'.join(shared)}",
                      other_case_id=other.case_id)

    async def finding_beyond_list(self, uow: UnitOfWork, envelope: Envelope, payload: FindingBeyondList) -> None:
        """R-04: a request beyond the published list earns a red card and a forced stop (强制停止实施)."""
        key = str(uuid5(NAMESPACE_URL, f"onething:beyond-list:{payload.case_id}:{payload.item_code}:{payload.code}"))
        if await card_exists(uow, key, "red"):
            return
        on = china_date(payload.found_at)
        dept = department(payload.department)
        what = "材料" if payload.kind == "material" else "表单字段"
        if payload.already_held:  # SUP-05 / R-13: the platform holds it already; asking again is flagged too
            _flag(uow, payload.case_id, "asked_again", [payload.item_code], on,
                  f"重复索要：{dept.name_zh}要求申请人提交平台已共享获取的材料「{payload.code}」",
                  department=payload.department, material_code=payload.code)
        case = await uow.session.get(SupervisionCase, payload.case_id)
        issue_card(uow, Card(
            key, payload.case_id, payload.item_code, payload.department, case.staff_id if case else None, "red",
            "beyond_list", on, 0,
            f"红牌：{dept.name_zh}在事项 {payload.item_code} 预审中要求清单外{what}「{payload.code}」（{payload.reason_zh}）",
            f"Red card: {dept.name_en} asked for {payload.kind} '{payload.code}' beyond the published list of "
            f"{payload.item_code}"), on,
            order=Order("forced_stop", on,
                        f"强制停止：{dept.name_zh}不得在事项 {payload.item_code} 中要求清单外{what}「{payload.code}」，"
                        "该要求已撤销，办件按清单继续办理",
                        f"Forced stop: {dept.name_en} may not ask for '{payload.code}' on {payload.item_code}; the "
                        "request is withdrawn and the case continues by the published list"))

    async def request_undeliverable(self, uow: UnitOfWork, envelope: Envelope, payload: RequestUndeliverable) -> None:
        """无法送达: dispatch parked a department request nobody receipted; the department gets a yellow card (预警),
        one per parking of the request however often the fact is repeated, naming the request an operator
        re-drives."""
        dept = department(payload.department)
        what_zh, what_en = _request_kind(payload.kind)
        await _undeliverable_card(
            uow, str(uuid5(NAMESPACE_URL, f"onething:undeliverable:{payload.request_id}:{payload.parking}")), payload,
            f"无法送达：{dept.name_zh}未签收办件 {payload.case_id} 事项 {payload.item_code} 的{what_zh}（已发送 "
            f"{payload.sends} 次），请核查部门系统并人工重发（请求编号 {payload.request_id}）",
            f"Undeliverable: {dept.name_en} did not receipt the {what_en} of case {payload.case_id} item "
            f"{payload.item_code} (sent {payload.sends} times); check the department's system and re-drive request "
            f"{payload.request_id}")

    async def callback_parked(self, uow: UnitOfWork, envelope: Envelope, payload: CallbackParked) -> None:
        """回调无法送达: the gateway holds the request, but the department's system took none of its pushes."""
        dept = department(payload.department)
        what_zh, what_en = _request_kind(payload.kind)
        await _undeliverable_card(
            uow, str(callback_parked_event_id(str(payload.request_id), payload.parked_at.isoformat())), payload,
            f"回调无法送达：接入网关推送{dept.name_zh}办件 {payload.case_id} 事项 {payload.item_code} 的{what_zh}"
            f"（{payload.attempts} 次）均失败，请部门核查其接收接口并在网关重投（请求编号 {payload.request_id}）",
            f"Callback undeliverable: the gateway's {payload.attempts} pushes of the {what_en} of case "
            f"{payload.case_id} item {payload.item_code} to {dept.name_en} all failed; the department should check "
            f"its endpoint and re-drive request {payload.request_id} at the gateway")

    async def case_delivered(self, uow: UnitOfWork, envelope: Envelope, payload: CaseDelivered) -> None:
        on = china_date(payload.delivered_at)
        row = await uow.get_for_update(SupervisionClock, case_clock_id(payload.case_id))
        if row is not None:
            stop_clock(uow, row, on, self.calendar)
        case = await uow.get_for_update(SupervisionCase, payload.case_id)
        if case is not None and case.delivered_on is None:
            case.delivered_on = on
            uow.session.add(case)

    async def rectification_opened(self, uow: UnitOfWork, envelope: Envelope, payload: RectificationOpened) -> None:
        """差评整改时限: the order's limit counted on supervision's calendar, carded and ordered like an item's."""
        clock_id = rectification_clock_id(payload.rectification_id)
        if await uow.session.get(SupervisionClock, clock_id) is not None:
            return  # redelivered
        clock = SupervisionClock(
            clock_id=clock_id, case_id=payload.case_id, task_id=payload.rectification_id, attempt=0,
            item_code=payload.item_code or "", kind="rectification", department=payload.department,
            limit_working_days=payload.limit_working_days,
            started_at=envelope.time,  # the payload carries only the day the order was opened
            started_on=payload.opened_on,
            due_on=self.calendar.add_working_days(payload.opened_on, payload.limit_working_days),
        )
        uow.session.add(clock)
        _started(uow, clock)

    async def rectification_closed(self, uow: UnitOfWork, envelope: Envelope, payload: RectificationClosed) -> None:
        row = await uow.get_for_update(SupervisionClock, rectification_clock_id(payload.rectification_id))
        if row is None:
            logger.warning("rectification %s closed without a clock", payload.rectification_id)
            return
        stop_clock(uow, row, payload.closed_on, self.calendar)

    async def _adjust(self, uow: UnitOfWork, case_id: str, on: date, change: Callable[[Clock], Clock],
                      kind: Literal["suspended", "resumed"], reason: str) -> None:
        row = await uow.get_for_update(SupervisionClock, case_clock_id(case_id))
        if row is None:
            return
        before = to_clock(row)
        after = change(before)
        if after == before:
            return  # redelivered, or nothing to suspend or resume
        store(row, after)
        row.due_on = after.due_on(self.calendar, on)
        uow.session.add(row)
        days = after.suspensions[-1].working_days(self.calendar, on) if kind == "resumed" else 0
        uow.emit(ClockAdjusted(case_id=case_id, clock_id=row.clock_id, kind=kind, days=days, reason_zh=reason,
                               due_on=row.due_on, on=on),
                 subject=case_id, event_id=uuid5(NAMESPACE_URL, f"onething:clock:{row.clock_id}:{kind}:"
                                                                 f"{len(after.suspensions)}"))

    async def _item(self, uow: UnitOfWork, case_id: str, item_code: str, **changes: object) -> None:
        case = await uow.get_for_update(SupervisionCase, case_id)
        if case is None:
            return
        case.items = [{**i, **{k: v.isoformat() if isinstance(v, date) else v for k, v in changes.items()}}
                      if i["item_code"] == item_code else i for i in case.items]
        uow.session.add(case)


def _request_kind(kind: str) -> tuple[str, str]:
    return ("预审请求", "review request") if kind == "review" else ("办理请求", "handling request")


async def _undeliverable_card(uow: UnitOfWork, key: str, fact: RequestUndeliverable | CallbackParked,
                              text_zh: str, text_en: str) -> None:
    """One yellow ``undeliverable`` card per parking (``key``) of a department request, for its case's staff."""
    if await card_exists(uow, key, "yellow"):
        return
    on = china_date(fact.parked_at)
    case = await uow.session.get(SupervisionCase, fact.case_id)
    issue_card(uow, Card(key, fact.case_id, fact.item_code, fact.department, case.staff_id if case else None,
                         "yellow", "undeliverable", on, 0, text_zh, text_en), on)
