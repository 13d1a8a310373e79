"""Intake HTTP API (受理接口) for the hall's comprehensive window, the portal, the app, kiosks and 12345.

Routes are on one ``APIRouter``; the database and the catalogue, calendar, pseudonyms and licence verifier come in as
dependencies. They change state through use cases (``service_layer``), opening the transaction a use case runs in
(``intake_work``) or handing one that opens its own the opener (``partial(intake_work, database)``), and read the
read side (``adapters.views``) themselves, after the use case has returned.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from contracts.canonical import canonical_json
from contracts.days import china_date, china_today
from contracts.departments import department
from contracts.intake.v1 import MaterialProvision
from contracts.sharing.v1 import Registry
from contracts.workdays import PROVISIONAL_NOTE_EN, PROVISIONAL_NOTE_ZH, WorkingCalendar, national_calendar
from credentials.verify import Verification
from exchange.access.http import ACCESS_RESPONSES, Allow
from exchange.access.roles import Caller, Role
from exchange.db.database import Database
from exchange.http_edge import ServiceDatabase, service_app
from intake.adapters import views
from intake.adapters.tables import IntakeCase, IntakeTimeline
from intake.domain.case import CASE_STATUS_ZH, ITEM_STATUS_ZH, CaseStatus, Due, ItemStatus, case_due
from intake.domain.errors import (
    ApplicationInvalid,
    CaseNotFound,
    DelegationNotFound,
    DelegationRefused,
    DraftNotFound,
    FieldProblem,
    NotOneself,
    UnknownOneThing,
)
from intake.domain.materials import Submitted
from intake.domain.messages import MESSAGES
from intake.domain.model import HANDED_OVER
from intake.domain.notice import one_time_notice
from intake.domain.origin import Refusal, application_origin, may_follow
from intake.domain.pseudonyms import Pseudonyms
from intake.entrypoints.errors import answer_refusals, origin_refused
from intake.entrypoints.examples import (
    BLACKLIST_EXAMPLES,
    CASE_EXAMPLES,
    CORRECTION_EXAMPLES,
    DRAFT_EXAMPLES,
    SUPPLEMENT_EXAMPLES,
)
from intake.entrypoints.hall import mount_hall
from intake.entrypoints.notice_page import render_notice
from intake.entrypoints.portal_page import mount_portal
from intake.entrypoints.schemas import (
    BlacklistCreate,
    CaseCreate,
    CasePublic,
    CaseSummary,
    CorrectionCreate,
    DelegationCreate,
    DelegationPublic,
    DraftCreate,
    DraftPublic,
    ErrorPublic,
    HandOverCreate,
    ItemPublic,
    MaterialCreate,
    SupplementCreate,
    TimelinePublic,
)
from intake.entrypoints.window_page import mount_window
from intake.service_layer import blacklist, delegations
from intake.service_layer.applications import (
    ApplicantIn,
    Application,
    IdempotencyKey,
    ProxyRequest,
    accept_application,
    resolve_selection,
)
from intake.service_layer.catalogues import CatalogueStore
from intake.service_layer.corrections import supply_correction, supply_supplement
from intake.service_layer.drafts import Authorisation, create_draft, prefilled_values
from intake.service_layer.hand_over import hand_over
from intake.service_layer.unit_of_work import intake_work

_IDEMPOTENCY_KEY = (
    "幂等键：重试同一申请时原样重发同一键和同一内容，得到同一办件（200）；同一键配不同内容答 422。"
    " A key for retries: the same key with the same body gets the same case back (200); the same key with another "
    "body is refused with 422 (draft-ietf-httpapi-idempotency-key-header). Keys do not expire."
)
_INVALID: dict[int | str, dict[str, Any]] = {422: {"model": ErrorPublic, "description": "内容有误 The request has errors"},
                                           **ACCESS_RESPONSES}

# Who may do what here (角色). A case or draft that is not the caller's own answers 404, as an unknown one does.
Applicant = Annotated[Caller, Depends(Allow(Role.APPLICANT))]
Acceptor = Annotated[Caller, Depends(Allow(Role.CLERK, Role.KIOSK, Role.APPLICANT))]
CaseReader = Annotated[Caller, Depends(Allow(Role.APPLICANT, Role.CLERK, Role.KIOSK, Role.SUPERVISOR, Role.OPERATOR))]
DraftReader = Annotated[Caller, Depends(Allow(Role.APPLICANT, Role.CLERK))]
Supervisor = Annotated[Caller, Depends(Allow(Role.SUPERVISOR))]
Clerk = Annotated[Caller, Depends(Allow(Role.CLERK))]


def _accepted_on(case: IntakeCase) -> date:
    # SQLite hands the instant back without its zone; it was stored in UTC.
    return china_date(case.accepted_at if case.accepted_at.tzinfo else case.accepted_at.replace(tzinfo=UTC))


def _due(case: IntakeCase, calendar: WorkingCalendar) -> Due | None:
    """The case's due date: supervision's once its case clock has started (R-05: its calendar, suspensions,
    extensions); until then intake's own estimate, counted the same way."""
    accepted_on = _accepted_on(case)
    if case.supervised_due_on is not None:
        return Due(case.supervised_due_on, calendar.is_provisional(accepted_on, case.supervised_due_on))
    return case_due(calendar, accepted_on, case.limit_days, case.paused_days) if case.due_on is not None else None


def _public(case: IntakeCase, entries: list[IntakeTimeline], calendar: WorkingCalendar) -> CasePublic:
    accepted_on = _accepted_on(case)

    def provisional(due_on: str | date | None) -> bool:
        return due_on is not None and calendar.is_provisional(accepted_on, date.fromisoformat(str(due_on)))

    due = _due(case, calendar)
    items = []
    for row in case.items:
        dept = department(row["department"])
        status = ItemStatus(row["status"])
        items.append(ItemPublic(
            item_code=row["item_code"], name_zh=row["name_zh"], name_en=row["name_en"], department=dept.code,
            department_name_zh=dept.name_zh, department_name_en=dept.name_en, status=status.value,
            status_zh=ITEM_STATUS_ZH[status], attempt=row["attempt"], document_no=row.get("document_no"),
            licence_id=row.get("licence_id"), due_on=row.get("due_on"),
            due_on_provisional=provisional(row.get("due_on")), time_limit_days=row.get("statutory_days"),
            promised_limit_days=row.get("promised_days"),
        ))
    commitments = [{**c, "due_on_provisional": provisional(c.get("due_on"))} for c in case.commitments]
    any_provisional = (due is not None and due.provisional) or any(i.due_on_provisional for i in items) or any(
        c["due_on_provisional"] for c in commitments)
    return CasePublic(
        case_id=case.case_id, bundle_code=case.bundle_code, catalogue_version=case.catalogue_version,
        status=case.status, status_zh=CASE_STATUS_ZH[CaseStatus(case.status)], channel=case.channel,
        delivery_method=case.delivery_method, accepted_at=case.accepted_at, delivered_at=case.delivered_at,
        handed_over_at=next((e.at for e in entries if e.kind == HANDED_OVER), None),
        correction_round=case.correction_round, correction=case.correction, window_id=case.window_id,
        staff_id=case.staff_id, proxy=case.proxy, fast_track=case.fast_track,
        fast_track_note_zh=case.fast_track_note_zh, fast_track_note_en=case.fast_track_note_en,
        materials=case.materials, commitments=commitments, limit_days=case.limit_days,
        due_on=due.on if due else None, due_on_provisional=due is not None and due.provisional,
        due_on_supervised=case.supervised_due_on is not None,
        calendar_note_zh=PROVISIONAL_NOTE_ZH if any_provisional else None,
        calendar_note_en=PROVISIONAL_NOTE_EN if any_provisional else None,
        paused_days=case.paused_days, notice_zh=case.notice_zh, notice_en=case.notice_en, items=items,
        timeline=[TimelinePublic.model_validate(e, from_attributes=True) for e in entries],
    )


def _fingerprint(body: BaseModel) -> str:
    """sha256 of the request as validated, in canonical JSON; defaults left out, so a field sent with its default
    and the same field left out are one request."""
    return hashlib.sha256(canonical_json(body.model_dump(mode="json", exclude_defaults=True))).hexdigest()


def _submitted(materials: dict[str, MaterialCreate]) -> dict[str, Submitted]:
    return {code: Submitted(MaterialProvision(m.provision), m.document) for code, m in materials.items()}


@dataclass(frozen=True, slots=True)
class IntakeEdge:
    """What intake's routes work with beside the database: the catalogue, the working-day calendar due dates are
    counted on (supervision's), the applicants' pseudonyms on the case stream, and the e-licence verifier."""

    catalogues: CatalogueStore
    calendar: WorkingCalendar
    pseudonyms: Pseudonyms
    verify_licence: Callable[[Any], Verification] | None


async def _edge(request: Request) -> IntakeEdge:
    edge: IntakeEdge = request.app.state.intake
    return edge


TheIntake = Annotated[IntakeEdge, Depends(_edge)]

router = APIRouter()


@router.get("/catalogue", summary="一件事目录 The one-thing catalogue")
async def get_catalogue(edge: TheIntake) -> dict[str, Any]:
    return edge.catalogues.current.summary()


@router.get("/catalogue/{code}", summary="一件事详情 One one-thing, as published")
async def get_bundle(code: str, edge: TheIntake) -> dict[str, Any]:
    bundle = edge.catalogues.current.bundle(code)
    if bundle is None:
        raise UnknownOneThing(code)
    return {"version": edge.catalogues.current.version, **bundle.model_dump(mode="json")}


@router.get("/catalogue/{code}/notice", responses={200: {"content": {"text/html": {}}}, **_INVALID},
            summary="一次性告知单 The one-time notice (JSON, or a printable zh-CN page with format=html)")
async def get_notice(code: str, edge: TheIntake, items: Annotated[list[str] | None, Query()] = None,
                     format: Annotated[str, Query(pattern="^(json|html)$")] = "json") -> Any:
    catalogue = edge.catalogues.current
    if catalogue.bundle(code) is None:
        raise UnknownOneThing(code)
    bundle, selection = resolve_selection(catalogue, code, items)
    notice = one_time_notice(catalogue, bundle, selection, china_today(), edge.calendar)
    return HTMLResponse(render_notice(notice)) if format == "html" else notice


@router.post("/delegations", status_code=201, response_model=DelegationPublic, responses=_INVALID,
             summary="委托授权 Authorise a person to apply for you online (帮办代办)")
async def post_delegation(body: DelegationCreate, applicant: Applicant, database: ServiceDatabase,
                          edge: TheIntake) -> DelegationPublic:
    principal_id = body.principal_id or applicant.id_number
    if not applicant.speaks_for(principal_id):
        raise NotOneself("delegation")
    if body.bundle_code is not None and edge.catalogues.current.bundle(body.bundle_code) is None:
        raise ApplicationInvalid([FieldProblem.said("bundle_code", "unknown_bundle",
                                                    MESSAGES.text("no_such_one_thing"))])
    try:
        async with intake_work(database) as uow:
            row = await delegations.grant(uow, principal_id=str(principal_id), proxy_id=body.proxy_id_number,
                                          bundle_code=body.bundle_code, valid_days=body.valid_days)
    except DelegationRefused as exc:
        raise ApplicationInvalid([FieldProblem("proxy_id_number", "delegation_refused", exc.message_zh,
                                               exc.message_en)]) from None
    return DelegationPublic.model_validate(row, from_attributes=True)


@router.get("/delegations", response_model=list[DelegationPublic], responses=ACCESS_RESPONSES,
            summary="我的委托授权 The authorisations you granted or were given")
async def list_delegations(applicant: Applicant, database: ServiceDatabase) -> list[DelegationPublic]:
    ids = {i for i in (applicant.id_number, applicant.organisation) if i}
    return [DelegationPublic.model_validate(r, from_attributes=True)
            for r in await views.delegations_visible_to(database, ids)]


@router.delete("/delegations/{delegation_id}", response_model=DelegationPublic, responses=ACCESS_RESPONSES,
               summary="撤销委托授权 Revoke an authorisation you granted")
async def revoke_delegation(delegation_id: Annotated[str, Path(max_length=64)], applicant: Applicant,
                            database: ServiceDatabase) -> DelegationPublic:
    async with intake_work(database) as uow:
        row = await delegations.revoke(uow, delegation_id,
                                       principal_ids={i for i in (applicant.id_number, applicant.organisation) if i})
    if row is None:
        raise DelegationNotFound(delegation_id)
    return DelegationPublic.model_validate(row, from_attributes=True)


@router.post("/drafts", status_code=201, response_model=DraftPublic, responses=_INVALID,
             summary="授权预填 Record the authorisation and look up shared data for the one form")
async def post_draft(body: Annotated[DraftCreate, Body(openapi_examples=DRAFT_EXAMPLES)], applicant: Applicant,
                     database: ServiceDatabase, edge: TheIntake) -> DraftPublic:
    # 授权预填: the applicant's own token is the authorisation, and only for their own data.
    subject_id = body.id_number or applicant.organisation or applicant.id_number
    if not applicant.speaks_for(subject_id):
        raise NotOneself("lookup")
    catalogue = edge.catalogues.current
    bundle, selection = resolve_selection(catalogue, body.bundle_code, body.items)
    async with intake_work(database) as uow:
        draft = await create_draft(uow, catalogue, bundle, selection.codes, str(subject_id),
                                   Authorisation(body.authorisation.granted, body.authorisation.statement_zh,
                                                 body.channel, applicant.subject))
    return await get_draft(draft.draft_id, applicant, database, edge)


@router.get("/drafts/{draft_id}", response_model=DraftPublic, summary="预填结果 The pre-filled form so far",
            responses=ACCESS_RESPONSES)
async def get_draft(draft_id: str, caller: DraftReader, database: ServiceDatabase, edge: TheIntake
                    ) -> DraftPublic:
    draft = await views.draft(database, draft_id)
    if draft is None or not may_follow(caller, draft.subject_id, None):
        raise DraftNotFound(draft_id)
    catalogue = await edge.catalogues.version(draft.authorisation["catalogue_version"])
    bundle = catalogue.bundle(draft.bundle_code)
    assert bundle is not None, "a recorded catalogue version holds the draft's one-thing"
    licences = draft.answers.get(Registry.LICENCE.value, {}).get("licences", {})
    return DraftPublic(
        draft_id=draft.draft_id, bundle_code=draft.bundle_code, items=draft.items,
        subject_kind=draft.subject_kind, authorisation=draft.authorisation,
        registries_answered=sorted(draft.answers), ready=draft.ready,
        prefilled=prefilled_values(catalogue, bundle, draft.items, draft), held_licences=licences,
    )


@router.post(
    "/cases",
    status_code=201,
    response_model=CasePublic,
    responses={200: {"model": CasePublic, "description": "同一幂等键的重复提交 A retry with the same key"},
               **_INVALID},
    summary="受理一件事 Accept an application (a clerk for anyone present; an applicant as themselves)",
)
async def create_case(
    body: Annotated[CaseCreate, Body(openapi_examples=CASE_EXAMPLES)],
    response: Response,
    caller: Acceptor,
    database: ServiceDatabase,
    edge: TheIntake,
    idempotency_key: Annotated[str | None, Header(max_length=128, description=_IDEMPOTENCY_KEY,
                                                  examples=["W01-20260110-0001"])] = None,
) -> CasePublic:
    origin = application_origin(caller, channel=body.channel, window_id=body.window_id, staff_id=body.staff_id,
                                applicant_id=body.applicant.id_number,
                                proxy_id=body.proxy.id_number if body.proxy else None)
    if isinstance(origin, Refusal):
        raise origin_refused(origin)
    application = Application(
        bundle_code=body.bundle_code, items=body.items,
        applicant=ApplicantIn(body.applicant.name, body.applicant.id_number, body.applicant.phone),
        form=body.form, channel=origin.channel, delivery_method=body.delivery.method,
        delivery_address=body.delivery.address,
        idempotency_key=IdempotencyKey(caller.subject, idempotency_key) if idempotency_key else None,
        materials=_submitted(body.materials), window_id=origin.window_id, staff_id=origin.staff_id,
        proxy=ProxyRequest(body.proxy.name, body.proxy.id_number, body.proxy.role, list(body.proxy.circumstances))
        if body.proxy else None,
        fast_track=body.fast_track, draft_id=body.draft_id, prefill_confirmed=body.prefill_confirmed,
        reuse_licences=body.reuse_licences, request_digest=_fingerprint(body) if idempotency_key else None,
        online_proxy=origin.online_proxy,
    )
    case_id, created = await accept_application(partial(intake_work, database), edge.catalogues.current, application,
                                                edge.calendar, pseudonyms=edge.pseudonyms,
                                                verify_licence=edge.verify_licence)
    if not created:
        response.status_code = 200
    case, entries = await _case(database, case_id)
    return _public(case, entries, edge.calendar)


async def _case(database: Database, case_id: str) -> tuple[IntakeCase, list[IntakeTimeline]]:
    """The case and its timeline, as they stand; 404 if there is no such case."""
    found = await views.case_with_timeline(database, case_id)
    if found is None:
        raise CaseNotFound(case_id)
    return found


async def _followed(database: Database, case_id: str, caller: Caller) -> tuple[IntakeCase, list[IntakeTimeline]]:
    """The case and its timeline; 404 unless it exists and ``caller`` may follow it (no difference between
    the two)."""
    case, entries = await _case(database, case_id)
    if not may_follow(caller, str(case.applicant.get("id_number")), (case.proxy or {}).get("id_number"),
                      accepted_at=case.window_id):
        raise CaseNotFound(case_id)
    return case, entries


@router.get("/my/cases", response_model=list[CaseSummary], responses=ACCESS_RESPONSES,
            summary="我的办件 The signed-in applicant's own cases, newest first (as applicant or proxy, or for "
                    "their 法人 account's enterprise)")
async def my_cases(applicant: Applicant, database: ServiceDatabase, edge: TheIntake) -> list[CaseSummary]:
    # Whom the token speaks for, and nobody else: the list never takes an ID number from the request.
    ids = {i for i in (applicant.id_number, applicant.organisation) if i}
    summaries = []
    for case in await views.cases_of(database, ids):
        bundle = edge.catalogues.current.bundle(case.bundle_code)
        summaries.append(CaseSummary(
            case_id=case.case_id, bundle_code=case.bundle_code,
            name_zh=bundle.name_zh if bundle else case.bundle_code, name_en=bundle.name_en if bundle else case.bundle_code,
            status=case.status, status_zh=CASE_STATUS_ZH[CaseStatus(case.status)], channel=case.channel,
            accepted_at=case.accepted_at, delivered_at=case.delivered_at,
            due_on=due.on if (due := _due(case, edge.calendar)) else None, awaiting_correction=case.correction is not None,
            as_proxy=str(case.applicant.get("id_number")) not in ids,
        ))
    return summaries


@router.get("/cases/{case_id}", response_model=CasePublic, summary="办件进度 A case, its items and timeline",
            responses=ACCESS_RESPONSES)
async def get_case(case_id: str, caller: CaseReader, database: ServiceDatabase, edge: TheIntake) -> CasePublic:
    case, entries = await _followed(database, case_id, caller)
    return _public(case, entries, edge.calendar)


@router.post("/cases/{case_id}/corrections", response_model=CasePublic, responses=_INVALID,
             summary="一次补正 Answer the consolidated correction notice")
async def correct_case(case_id: str, body: Annotated[CorrectionCreate, Body(openapi_examples=CORRECTION_EXAMPLES)],
                       caller: Acceptor, database: ServiceDatabase, edge: TheIntake) -> CasePublic:
    await _followed(database, case_id, caller)
    async with intake_work(database) as uow:
        await supply_correction(uow, edge.catalogues, case_id, body.form, _submitted(body.materials), edge.calendar)
    return _public(*await _case(database, case_id), edge.calendar)


@router.post("/cases/{case_id}/supplements", response_model=CasePublic, responses=_INVALID,
             summary="容缺补齐 Supply materials accepted missing")
async def supplement_case(case_id: str, body: Annotated[SupplementCreate, Body(openapi_examples=SUPPLEMENT_EXAMPLES)],
                          caller: Acceptor, database: ServiceDatabase, edge: TheIntake) -> CasePublic:
    await _followed(database, case_id, caller)
    async with intake_work(database) as uow:
        await supply_supplement(uow, case_id, _submitted(body.materials))
    return _public(*await _case(database, case_id), edge.calendar)


@router.post("/cases/{case_id}/handover", response_model=CasePublic,
             responses={409: {"model": ErrorPublic, "description": "尚未送达或结果已寄递 Not delivered yet, or mailed"},
                        **_INVALID},
             summary="窗口出件 Record that the results were handed over at the window (clerks)")
async def hand_over_case(case_id: str, body: HandOverCreate, clerk: Clerk, database: ServiceDatabase,
                         edge: TheIntake) -> CasePublic:
    """For a case delivered for collection at the window (窗口领取): the clerk hands every result over at once,
    to the applicant or the case's proxy, and records it; the window and staff are the clerk's token's. A repeat
    records nothing more and answers the case as it stands."""
    case, _ = await _followed(database, case_id, clerk)
    async with intake_work(database) as uow:
        await hand_over(uow, case_id, body.collector, (case.proxy or {}).get("name"), clerk.window_id,
                        clerk.staff_id)
    return _public(*await _case(database, case_id), edge.calendar)


@router.post("/blacklist", status_code=201, responses=_INVALID,
             summary="列入黑名单 Blacklist an applicant for false materials (R-22; supervisors)")
async def post_blacklist(body: Annotated[BlacklistCreate, Body(openapi_examples=BLACKLIST_EXAMPLES)],
                         supervisor: Supervisor, database: ServiceDatabase) -> dict[str, Any]:
    entry = await blacklist.list_applicant(partial(intake_work, database), body.id_number, body.reason_zh,
                                           body.reason_en, body.case_id, listed_by=supervisor.subject)
    return {"id_number": entry.id_number, "reason_zh": entry.reason_zh, "listed_at": entry.listed_at}


def create_app(database: Database, catalogues: CatalogueStore,
               verify_licence: Callable[[Any], Verification] | None = None, *,
               calendar: WorkingCalendar | None = None, pseudonyms: Pseudonyms | None = None) -> FastAPI:
    """``calendar``: the working days due dates are counted on (supervision's); the national one when unset.
    ``pseudonyms``: the applicants' pseudonyms on the case stream; unset, a key of this process's own (tests)."""
    calendar = calendar or national_calendar()
    pseudonyms = pseudonyms or Pseudonyms(secrets.token_bytes(32))
    app = service_app(
        title="OneThing intake 受理服务",
        version="1.1.0",
        description=(
            "一件事一次办：一次告知、一表申请、一套材料、一次补正、一窗受理、一次送达。\n\n"
            "One application for a life or business event; many departments behind it; one result, once."
        ),
    )
    answer_refusals(app)
    app.state.database = database
    app.state.intake = IntakeEdge(catalogues, calendar, pseudonyms, verify_licence)
    app.include_router(router)
    mount_hall(app)
    mount_window(app)
    mount_portal(app)
    return app
