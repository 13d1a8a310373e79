"""Folding the unified case stream into the case view, and the one delivery (一次送达).

Facts from every service about a case arrive in order on one partition (key = case id); each is
applied in the consumer's transaction together with its inbox record, so the delivery and the
notice are emitted exactly once, whatever is redelivered.
"""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.days import china_date
from contracts.departments import department
from contracts.dispatch.v1 import ReviewConcluded, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope
from contracts.intake.v1 import CaseDelivered, CaseNotified, Channel, DeliveredItem, DeliveryMethod
from contracts.licence.v1 import CaseLicenceIssued
from contracts.licence.v2 import LicenceStatusChanged
from contracts.supervision.v1 import ClockStarted
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.tables import IntakeCase
from intake.catalogue.model import CatalogueError
from intake.domain.case import ITEM_STATUS_ZH, CaseState, notice_texts
from intake.domain.errors import UnknownCase
from intake.service_layer.applications import timeline
from intake.service_layer.catalogues import CatalogueStore

__all__ = ["CaseStreamFolder"]


def _name_zh(code: str) -> str:
    try:
        return department(code).name_zh
    except KeyError:
        return code


class CaseStreamFolder:
    """Handlers for the case-stream facts intake cares about."""

    def __init__(self, catalogues: CatalogueStore) -> None:
        self.catalogues = catalogues

    async def _load(self, uow: UnitOfWork, case_id: str) -> tuple[IntakeCase, CaseState]:
        case = await uow.get_for_update(IntakeCase, case_id)
        if case is None:
            raise UnknownCase(f"case {case_id} was never accepted here")
        return case, CaseState.from_rows(case.case_id, case.items, case.delivered_at is not None,
                                         case.correction is not None)

    def _save(self, uow: UnitOfWork, case: IntakeCase, state: CaseState) -> None:
        case.items = state.item_rows()
        case.status = state.status
        uow.session.add(case)

    async def review_concluded(self, uow: UnitOfWork, envelope: Envelope, payload: ReviewConcluded) -> None:
        """Every department's preliminary review is in: one consolidated correction notice, or handling starts."""
        case, state = await self._load(uow, payload.case_id)
        if payload.round <= case.correction_round or case.correction is not None:
            return  # this round was answered already, or its notice is open
        if not payload.deficiencies:
            timeline(uow, case.case_id, "reviewed", "各部门预审通过，进入办理", "Every department's review passed")
            return
        requested_on = china_date(payload.concluded_at)
        case.correction = {"round": payload.round, "requested_on": requested_on.isoformat(),
                           "deficiencies": [d.model_dump(mode="json") for d in payload.deficiencies]}
        state.correction_open = True
        lines_zh = "；".join(f"{d.code}（{_name_zh(d.department)}）：{d.reason_zh}" for d in payload.deficiencies)
        lines_en = "; ".join(f"{d.code} ({d.department}): {d.reason_en}" for d in payload.deficiencies)
        timeline(uow, case.case_id, "correction_requested",
                 f"一次性补正告知（第 {payload.round} 轮，共 {len(payload.deficiencies)} 处）：{lines_zh}。办理时限暂停。",
                 f"One correction notice (round {payload.round}, {len(payload.deficiencies)} point(s)): {lines_en}. "
                 "The clock is paused.")
        self._save(uow, case, state)

    async def task_released(self, uow: UnitOfWork, envelope: Envelope, payload: TaskReleased) -> None:
        case, state = await self._load(uow, payload.case_id)
        if state.released(payload.item_code, payload.attempt):
            dept = department(payload.department)
            item = state.items[payload.item_code]
            timeline(uow, case.case_id, "released",
                     f"「{item.name_zh}」已推送{dept.name_zh}办理（法定时限 {payload.time_limit_days} 个工作日 / "
                     f"承诺时限 {payload.promised_days} 个工作日）",
                     f"'{item.name_en}' sent to {dept.name_en} (statutory limit {payload.time_limit_days} working "
                     f"days / promised {payload.promised_days})", item_code=item.item_code, department=dept.code)
            self._save(uow, case, state)

    async def task_concluded(self, uow: UnitOfWork, envelope: Envelope, payload: TaskConcluded) -> None:
        case, state = await self._load(uow, payload.case_id)
        if state.concluded(payload.item_code, payload.attempt, payload.outcome.value, payload.document_no,
                           payload.reason_zh):
            item = state.items[payload.item_code]
            reason = f"：{payload.reason_zh}" if payload.reason_zh else ""
            timeline(uow, case.case_id, f"concluded.{payload.outcome.value}",
                     f"「{item.name_zh}」{ITEM_STATUS_ZH[item.status]}{reason}",
                     f"'{item.name_en}' {payload.outcome.value}" + (f": {payload.reason_en}" if payload.reason_en else ""),
                     item_code=item.item_code, department=payload.department)
            await self._deliver_if_ready(uow, case, state)
            self._save(uow, case, state)

    async def licence_issued(self, uow: UnitOfWork, envelope: Envelope, payload: CaseLicenceIssued) -> None:
        case, state = await self._load(uow, payload.case_id)
        if state.licence_issued(payload.item_code, payload.licence_id):
            item = state.items[payload.item_code]
            timeline(uow, case.case_id, "licence", f"电子证照已签发：{payload.number}",
                     f"Electronic licence issued: {payload.number}", item_code=item.item_code,
                     department=payload.issuer_department)
            await self._deliver_if_ready(uow, case, state)
            self._save(uow, case, state)

    async def licence_status_changed(self, uow: UnitOfWork, envelope: Envelope, payload: LicenceStatusChanged) -> None:
        """撤销/暂停/恢复 after delivery: the case's history says so; the delivered result itself stands."""
        if await uow.session.get(IntakeCase, payload.case_id) is None:
            return  # another intake instance's case
        words = {"revoked": ("已被撤销", "revoked"), "suspended": ("已被暂停", "suspended"),
                 "active": ("已恢复有效", "reinstated")}[payload.state.value]
        timeline(uow, payload.case_id, f"licence_{payload.state.value}",
                 f"电子证照{words[0]}：{payload.reason_zh}", f"Electronic licence {words[1]}: {payload.reason_zh}",
                 item_code=payload.item_code, department=payload.issuer_department)

    async def clock_started(self, uow: UnitOfWork, envelope: Envelope, payload: ClockStarted) -> None:
        if payload.kind != "item":
            return  # a case's or a rectification order's (差评整改) clock is no item's due date
        case, state = await self._load(uow, payload.case_id)
        state.clock_started(payload.item_code, payload.due_on.isoformat())
        self._save(uow, case, state)

    async def _deliver_if_ready(self, uow: UnitOfWork, case: IntakeCase, state: CaseState) -> None:
        if not state.ready_for_delivery():
            return
        now = datetime.now(UTC)
        state.delivered = True
        try:
            bundle = (await self.catalogues.version(case.catalogue_version)).bundle(case.bundle_code)
        except CatalogueError:  # an old version that no longer loads must not hold the delivery
            bundle = None
        name_zh, name_en = (bundle.name_zh, bundle.name_en) if bundle else (case.bundle_code, case.bundle_code)
        zh, en = notice_texts(state, name_zh, name_en, case.delivery_method)
        case.delivered_at, case.notice_zh, case.notice_en = now, zh, en
        uow.emit(
            CaseDelivered(
                case_id=case.case_id, method=DeliveryMethod(case.delivery_method),
                items=tuple(
                    DeliveredItem(item_code=i.item_code, department=i.department,
                                  outcome=i.status.value,
                                  document_no=i.document_no, licence_id=i.licence_id)
                    for i in state.items.values()
                ),
                delivered_at=now,
            ),
            subject=case.case_id,
        )
        uow.emit(CaseNotified(case_id=case.case_id, channel=Channel(case.channel), text_zh=zh, text_en=en),
                 subject=case.case_id)
        how = ("免费寄递", "free mail") if case.delivery_method == DeliveryMethod.MAIL else ("窗口领取", "window pick-up")
        timeline(uow, case.case_id, "delivered", f"办理结果已一次送达（{how[0]}）", f"Result delivered once ({how[1]})")
