"""Use cases behind the HTTP edge: accept an application, supply corrections, read a case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from contracts.days import china_date
from contracts.intake.v1 import Applicant, CaseAccepted, CaseCorrected, CaseItem, Channel, DeliveryMethod
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.tables import IntakeCase, IntakeTimeline
from intake.catalogue.model import Bundle, Catalogue
from intake.domain.application import check_form, normalise_form, select_items
from intake.domain.case import CaseState, CaseStatus, ItemState, ItemStatus
from intake.domain.errors import ApplicationInvalid, CaseNotFound, FieldProblem, NothingToCorrect

__all__ = ["Application", "accept_application", "load_case", "supply_correction"]

_CASE_NAMESPACE = uuid.UUID("6f1c2a8e-3b0d-4c9e-9a57-0e1d5b7c9f11")


@dataclass(frozen=True)
class Application:
    """What the window or portal submitted, already shape-checked at the HTTP edge."""

    bundle_code: str
    items: list[str] | None
    applicant: Applicant
    form: dict[str, str]
    channel: Channel
    delivery_method: DeliveryMethod
    delivery_address: str | None
    idempotency_key: str | None


def new_case_id(now: datetime, idempotency_key: str | None) -> str:
    """一事一号: one number per case; a retried request with the same key gets the same number."""
    suffix = uuid.uuid5(_CASE_NAMESPACE, idempotency_key) if idempotency_key else uuid.uuid4()
    return f"OT{now:%Y%m%d}{suffix.hex[:12].upper()}"


def timeline(uow: UnitOfWork, case_id: str, kind: str, zh: str, en: str, *, item_code: str | None = None,
             department: str | None = None) -> None:
    uow.session.add(
        IntakeTimeline(
            case_id=case_id, at=datetime.now(UTC), kind=kind, item_code=item_code, department=department,
            text_zh=zh, text_en=en, event_id=str(uow.cause.id) if uow.cause else None,
        )
    )


async def accept_application(db: Database, catalogue: Catalogue, app: Application) -> tuple[IntakeCase, bool]:
    """Accept (受理) one application as one case; returns the case and whether it is new."""
    bundle = catalogue.bundle(app.bundle_code)
    if bundle is None:
        raise ApplicationInvalid([FieldProblem("bundle_code", "unknown_bundle", f"没有编号为 {app.bundle_code} 的一件事",
                                               f"there is no one-thing with code {app.bundle_code}")])
    selected, problems = select_items(bundle, app.items)
    fields = bundle.fields_for(set(selected))
    form = normalise_form(fields, app.form)
    problems += check_form(fields, form)
    if app.delivery_method is DeliveryMethod.MAIL and not (app.delivery_address or "").strip():
        problems.append(FieldProblem("delivery.address", "missing", "选择免费寄递时请填写寄递地址",
                                     "a mailing address is required for free mail delivery"))
    if problems:
        raise ApplicationInvalid(problems)

    if app.idempotency_key:
        existing = await _by_idempotency_key(db, app.idempotency_key)
        if existing is not None:
            return existing, False
    try:
        return await _accept(db, catalogue, bundle, selected, form, app), True
    except IntegrityError:
        # The same key submitted twice at once: the other request created the case first.
        existing = await _by_idempotency_key(db, app.idempotency_key) if app.idempotency_key else None
        if existing is None:
            raise
        return existing, False


async def _by_idempotency_key(db: Database, key: str) -> IntakeCase | None:
    async with db.sessions() as session:
        query = select(IntakeCase).where(col(IntakeCase.idempotency_key) == key)
        return (await session.exec(query)).first()


async def _accept(db: Database, catalogue: Catalogue, bundle: Bundle, selected: list[str], form: dict[str, str],
                  app: Application) -> IntakeCase:
    now = datetime.now(UTC)
    async with db.unit_of_work() as uow:
        case_id = new_case_id(now, app.idempotency_key)
        items = [bundle.item(code) for code in selected]
        state = CaseState(case_id, {
            i.code: ItemState(i.code, i.name_zh, i.name_en, i.department, i.yields_licence) for i in items
        })
        case = IntakeCase(
            case_id=case_id, idempotency_key=app.idempotency_key, bundle_code=bundle.code,
            catalogue_version=catalogue.version, status=CaseStatus.ACCEPTED,
            applicant=app.applicant.model_dump(mode="json"), channel=app.channel,
            delivery_method=app.delivery_method, delivery_address=app.delivery_address, form=form,
            items=state.item_rows(), accepted_at=now,
        )
        uow.session.add(case)
        timeline(uow, case_id, "accepted", f"「{bundle.name_zh}」已受理，共 {len(items)} 项",
                 f"'{bundle.name_en}' accepted with {len(items)} item(s)")
        uow.emit(
            CaseAccepted(
                case_id=case_id, bundle_code=bundle.code, bundle_name_zh=bundle.name_zh,
                bundle_name_en=bundle.name_en, catalogue_version=catalogue.version, lead_department=bundle.lead,
                applicant=app.applicant, channel=app.channel, delivery_method=app.delivery_method,
                items=tuple(
                    CaseItem(item_code=i.code, name_zh=i.name_zh, name_en=i.name_en, department=i.department,
                             time_limit_days=i.time_limit_days, requires=tuple(r for r in i.requires if r in selected),
                             yields_licence=i.yields_licence, licence_type=i.licence_type)
                    for i in items
                ),
                form=form, accepted_at=now, accepted_on=china_date(now),
            ),
            subject=case_id,
        )
    return case


async def supply_correction(db: Database, catalogue: Catalogue, case_id: str, form: dict[str, str]) -> IntakeCase:
    """一次补正: the applicant supplies what was asked; only the items sent back are redone.

    The corrected values are checked like the first submission: the merged form must still be a
    valid one form for the case's items.
    """
    async with db.unit_of_work() as uow:
        case = await uow.get_for_update(IntakeCase, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        state = CaseState.from_rows(case.case_id, case.items, case.delivered_at is not None)
        codes = state.correction_requested_items()
        if not codes:
            raise NothingToCorrect(case_id)
        bundle = catalogue.bundle(case.bundle_code)
        fields = bundle.fields_for(set(state.items)) if bundle else []
        supplied = normalise_form(fields, form)
        problems = check_form(fields, {**case.form, **supplied}) if bundle else []
        if problems:
            raise ApplicationInvalid(problems)
        for code in codes:
            state.items[code].status = ItemStatus.WAITING
        case.correction_round += 1
        case.form = {**case.form, **supplied}
        case.items = state.item_rows()
        case.status = state.status
        uow.session.add(case)
        timeline(uow, case_id, "corrected", f"申请人已补正：{'、'.join(codes)}",
                 f"Applicant supplied corrections: {', '.join(codes)}")
        uow.emit(CaseCorrected(case_id=case_id, item_codes=tuple(codes), round=case.correction_round, form=supplied),
                 subject=case_id)
    return case


async def load_case(db: Database, case_id: str) -> tuple[IntakeCase, list[IntakeTimeline]]:
    async with db.sessions() as session:
        case = await session.get(IntakeCase, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        query = select(IntakeTimeline).where(col(IntakeTimeline.case_id) == case_id)
        entries = (await session.exec(query.order_by(col(IntakeTimeline.id)))).all()
    return case, list(entries)
