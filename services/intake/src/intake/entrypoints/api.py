"""Intake HTTP API (受理接口) for the hall's comprehensive window and the online portal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Response
from fastapi.exceptions import RequestValidationError

from contracts.departments import department
from contracts.intake.v1 import Applicant
from exchange.db.database import Database
from intake.adapters.tables import IntakeCase, IntakeTimeline
from intake.catalogue.model import Catalogue
from intake.domain.case import CASE_STATUS_ZH, ITEM_STATUS_ZH, CaseStatus, ItemStatus
from intake.domain.errors import ApplicationInvalid, CaseNotFound, NothingToCorrect
from intake.entrypoints.errors import on_application_invalid, on_request_invalid
from intake.entrypoints.schemas import (
    CaseCreate,
    CasePublic,
    CorrectionCreate,
    ErrorPublic,
    ItemPublic,
    TimelinePublic,
)
from intake.service_layer.applications import Application, accept_application, load_case, supply_correction

_NOT_FOUND = {"message_zh": "未找到该办件", "message_en": "case not found"}


def _public(case: IntakeCase, entries: list[IntakeTimeline]) -> CasePublic:
    items = []
    for row in case.items:
        dept = department(row["department"])
        status = ItemStatus(row["status"])
        items.append(ItemPublic(
            item_code=row["item_code"], name_zh=row["name_zh"], name_en=row["name_en"], department=dept.code,
            department_name_zh=dept.name_zh, department_name_en=dept.name_en, status=status.value,
            status_zh=ITEM_STATUS_ZH[status], attempt=row["attempt"], document_no=row.get("document_no"),
            licence_id=row.get("licence_id"), due_on=row.get("due_on"),
        ))
    return CasePublic(
        case_id=case.case_id, bundle_code=case.bundle_code, catalogue_version=case.catalogue_version,
        status=case.status, status_zh=CASE_STATUS_ZH[CaseStatus(case.status)], channel=case.channel,
        delivery_method=case.delivery_method, accepted_at=case.accepted_at, delivered_at=case.delivered_at,
        correction_round=case.correction_round, notice_zh=case.notice_zh, notice_en=case.notice_en, items=items,
        timeline=[TimelinePublic.model_validate(e, from_attributes=True) for e in entries],
    )


def create_app(database: Database, catalogue: Catalogue) -> FastAPI:
    app = FastAPI(
        title="OneThing intake 受理服务",
        version="1.0.0",
        description=(
            "一件事一次办：一次告知、一表申请、一套材料、一窗受理、一次送达。\n\n"
            "One application for a life or business event; many departments behind it; one result, once."
        ),
    )
    app.add_exception_handler(RequestValidationError, on_request_invalid)
    app.add_exception_handler(ApplicationInvalid, on_application_invalid)

    @app.get("/catalogue", summary="一件事目录 The one-thing catalogue")
    async def get_catalogue() -> dict[str, Any]:
        return {
            "version": catalogue.version,
            "bundles": [
                {"code": b.code, "name_zh": b.name_zh, "name_en": b.name_en, "life_cycle": b.life_cycle,
                 "lead": b.lead, "co": list(b.co), "items": [i.code for i in b.items]}
                for b in catalogue.bundles
            ],
        }

    @app.post(
        "/cases",
        status_code=201,
        response_model=CasePublic,
        responses={200: {"model": CasePublic, "description": "同一幂等键的重复提交 A retry with the same key"},
                   422: {"model": ErrorPublic, "description": "申请内容有误 The application has errors"}},
        summary="受理一件事 Accept an application",
    )
    async def create_case(
        body: CaseCreate,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    ) -> CasePublic:
        application = Application(
            bundle_code=body.bundle_code, items=body.items,
            applicant=Applicant(name=body.applicant.name, id_type="resident_id",
                                id_number=body.applicant.id_number, phone=body.applicant.phone),
            form=body.form, channel=body.channel, delivery_method=body.delivery.method,
            delivery_address=body.delivery.address, idempotency_key=idempotency_key,
        )
        case, created = await accept_application(database, catalogue, application)
        if not created:
            response.status_code = 200
        case, entries = await load_case(database, case.case_id)
        return _public(case, entries)

    @app.get("/cases/{case_id}", response_model=CasePublic, summary="办件进度 A case, its items and timeline")
    async def get_case(case_id: str) -> CasePublic:
        try:
            case, entries = await load_case(database, case_id)
        except CaseNotFound:
            raise HTTPException(404, detail=_NOT_FOUND) from None
        return _public(case, entries)

    @app.post(
        "/cases/{case_id}/corrections",
        response_model=CasePublic,
        responses={422: {"model": ErrorPublic, "description": "补正内容有误 The corrections have errors"}},
        summary="一次补正 Supply corrections",
    )
    async def correct_case(case_id: str, body: CorrectionCreate) -> CasePublic:
        try:
            await supply_correction(database, catalogue, case_id, body.form)
            case, entries = await load_case(database, case_id)
        except CaseNotFound:
            raise HTTPException(404, detail=_NOT_FOUND) from None
        except NothingToCorrect:
            raise HTTPException(409, detail={"message_zh": "该办件没有需要补正的事项",
                                             "message_en": "no item of this case waits for correction"}) from None
        return _public(case, entries)

    return app
