"""Rating HTTP API (好差评服务).

Public (the rating channels: hall devices, portal, app): open touchpoints of a case, submit a rating.
Signed (exchange.http_identity): the answerable department reports rectification and appeals; a supervisor
(政务服务监督机构) records call-backs and decides appeals. Figures: the current satisfaction figures.

Routes read through ``adapters.views`` and change state through the rating loop's use cases; refusals become HTTP
answers in ``entrypoints.errors``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request
from fastapi.openapi.models import Example
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from contracts.days import week_start
from contracts.departments import department_principal, principal_department
from contracts.rating.tags import REASON_TAGS
from contracts.rating.v1 import (
    Evidence,
    FigureBy,
    FigurePeriod,
    RatingFigures,
    RatingLevel,
)
from exchange.access.http import ACCESS_RESPONSES, Allow
from exchange.access.roles import Caller, Role
from exchange.db.database import Database
from exchange.http_edge import ServiceDatabase, refused, service_app
from exchange.http_identity import SIGNED_RESPONSES, UNSIGNED, SignedCaller, accept_signed_requests
from exchange.signing import KeyRing
from rating.adapters import views
from rating.adapters.tables import AppealRow, RectificationRow
from rating.domain.errors import AlreadyRated, CaseUnknown, NotAnswerable, OrderUnknown
from rating.domain.messages import MESSAGES
from rating.domain.ratings import RatingInput
from rating.entrypoints.errors import answer_refusals
from rating.service_layer.handlers import RatingLoop
from rating.service_layer.unit_of_work import RatingUnitOfWork, rating_work

__all__ = ["OpenTouchpoint", "RatingPublic", "create_app", "router"]

# What a person types by hand at /docs; test_rating_api posts it for a delivered case of that number.
RATING_EXAMPLES = {"delivery_very_satisfied": Example(
    summary="办结送达后，申请人评价整件事：非常满意 The applicant rates the whole one-thing after delivery",
    description="case_id 换成受理返回的办件号；touchpoint 取 acceptance、item（须带 item_code）或 delivery，"
                "GET /cases/{id}/touchpoints 列出可评环节；以申请人本人令牌提交。 Put the case id intake returned in "
                "case_id; touchpoint is acceptance, item (with item_code) or delivery; GET /cases/{id}/touchpoints lists"
                " them. Sent with the applicant's own token.",
    value={"case_id": "OT20260110A1B2C3D4E5F6", "touchpoint": "delivery", "level": "very_satisfied",
           "tags": ["efficient"], "comment": "一次办好，不用来回跑", "rated_via": "portal"},
)}


class RatingPublic(BaseModel):
    """A rating as anyone may see it: no rater, no comment."""

    rating_id: str
    case_id: str
    touchpoint: str
    item_code: str | None
    department: str
    level: RatingLevel
    tags: list[str]
    submitted_at: datetime
    removed: bool


class OpenTouchpoint(BaseModel):
    touchpoint: str
    item_code: str | None
    department: str
    rated: bool


class Report(BaseModel):
    measures_zh: str = Field(min_length=1, max_length=2000, examples=["已约谈窗口人员并优化出生登记流程"])
    evidence: list[Evidence] = Field(min_length=1, max_length=20)


class CallBack(BaseModel):
    outcome: Literal["satisfied", "not_satisfied", "unreachable"]
    note_zh: str | None = Field(default=None, max_length=500)


class Appeal(BaseModel):
    grounds: Literal["untrue", "mistaken", "not_answerable"]
    reason_zh: str = Field(min_length=1, max_length=2000)
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)


class Decision(BaseModel):
    upheld: bool
    reason_zh: str = Field(min_length=1, max_length=2000, examples=["经核实，办理未超时，差评与事实不符"])


_ERRORS: dict[int | str, dict[str, Any]] = {
    **SIGNED_RESPONSES,
    404: {"description": "未找到 / not found"},
    409: {"description": "状态不允许 / not allowed in this state"},
}


def _order_view(row: RectificationRow, appeal: AppealRow | None) -> dict[str, Any]:
    view = row.model_dump(mode="json")
    view["appeal"] = None if appeal is None else appeal.model_dump(mode="json")
    return view


# Who may do what here (角色). Rectification work is signed by departments and supervisors (SignedCaller).
Rater = Annotated[Caller, Depends(Allow(Role.APPLICANT))]
CaseReader = Annotated[Caller, Depends(Allow(Role.APPLICANT, Role.SUPERVISOR, Role.OPERATOR))]
FigureReader = Annotated[Caller, Depends(Allow(Role.SUPERVISOR, Role.ANALYST, Role.OPERATOR))]


async def _loop(request: Request) -> RatingLoop:
    loop: RatingLoop = request.app.state.rating_loop
    return loop


TheLoop = Annotated[RatingLoop, Depends(_loop)]

T = TypeVar("T")


async def _in_order(database: Database, step: Callable[[RatingUnitOfWork], Awaitable[T]]) -> T:
    async with rating_work(database) as uow:
        return await step(uow)


async def _followed(database: Database, loop: RatingLoop, case_id: str, caller: Caller) -> None:
    """404 unless ``caller`` serves cases or may rate this one (the same answer for an unknown case)."""
    if caller.has(Role.SUPERVISOR, Role.OPERATOR):
        return
    if not await views.may_rate(database, case_id, (caller.id_number, caller.organisation), loop.policy.rater_key):
        raise CaseUnknown(case_id)


async def _order_detail(database: Database, loop: RatingLoop, rectification_id: str,
                        principal: str | None = None) -> dict[str, Any]:
    """An order with its appeal and the review it answers; ``principal`` must be allowed to read it."""
    found = await views.order(database, rectification_id)
    if found is None:
        raise OrderUnknown(rectification_id)
    row, appeal, rating = found
    if principal is not None and principal not in loop.policy.supervisors and \
            principal != department_principal(row.department):
        raise NotAnswerable(rectification_id)
    view = _order_view(row, appeal)
    view["review"] = None if rating is None else {"level": rating.level, "tags": rating.tags,
                                                  "comment": rating.comment}
    return view


async def _appeal_view(database: Database, appeal_id: str) -> dict[str, Any]:
    row = await views.appeal(database, appeal_id)
    if row is None:
        raise OrderUnknown(appeal_id)
    return dict(row.model_dump(mode="json"))


router = APIRouter()


@router.get("/tags", summary="评价标签 Reason tags")
async def tags() -> list[dict[str, Any]]:
    return [{"code": t.code, "name_zh": t.name_zh, "name_en": t.name_en, "positive": t.positive}
            for t in REASON_TAGS]


@router.get("/cases/{case_id}/touchpoints", response_model=list[OpenTouchpoint], responses=ACCESS_RESPONSES,
            summary="可评价环节 Touchpoints of a case open for rating")
async def touchpoints(case_id: str, caller: CaseReader, database: ServiceDatabase, loop: TheLoop
                      ) -> list[OpenTouchpoint]:
    await _followed(database, loop, case_id, caller)
    return [OpenTouchpoint(touchpoint=t.touchpoint.value, item_code=t.item_code, department=t.department,
                           rated=rated) for t, rated in await views.touchpoints(database, case_id)]


@router.post("/ratings", response_model=RatingPublic, status_code=201,
             summary="提交评价 Rate a touchpoint (the applicant, or a relative or agent acting for them)",
             responses={**_ERRORS, **ACCESS_RESPONSES})
async def rate(body: Annotated[RatingInput, Body(openapi_examples=RATING_EXAMPLES)], rater: Rater,
               database: ServiceDatabase, loop: TheLoop) -> RatingPublic:
    rater_id = body.rater_id_number or rater.organisation or rater.id_number
    if not rater.speaks_for(rater_id):
        raise refused(403, MESSAGES.text("rate_as_yourself"))
    body = body.model_copy(update={"rater_id_number": rater_id})
    try:
        rated = await _in_order(database, lambda uow: loop.submit_rating(uow, body))
    except IntegrityError as exc:  # a concurrent rating of the same touchpoint won the race
        raise AlreadyRated(body.case_id) from exc
    return RatingPublic.model_validate({**asdict(rated), "case_id": body.case_id, "tags": list(rated.tags)})


@router.get("/cases/{case_id}/ratings", response_model=list[RatingPublic], summary="办件的评价 Ratings of a case",
            responses=ACCESS_RESPONSES)
async def case_ratings(case_id: str, caller: CaseReader, database: ServiceDatabase, loop: TheLoop
                       ) -> list[RatingPublic]:
    await _followed(database, loop, case_id, caller)
    return [RatingPublic.model_validate(r, from_attributes=True) for r in await views.case_ratings(database, case_id)]


@router.get("/rectifications", summary="整改单 Rectification orders (the caller's department; all for supervisors)",
            responses={401: UNSIGNED})
async def rectifications(caller: SignedCaller, database: ServiceDatabase, loop: TheLoop,
                         state: str | None = None) -> list[dict[str, Any]]:
    department = None if caller.principal in loop.policy.supervisors else principal_department(caller.principal)
    return [_order_view(r, a) for r, a in await views.orders(database, department=department, state=state)]


@router.get("/rectifications/{rectification_id}", summary="整改单详情 One rectification order", responses=_ERRORS)
async def rectification(rectification_id: str, caller: SignedCaller, database: ServiceDatabase, loop: TheLoop
                        ) -> dict[str, Any]:
    return await _order_detail(database, loop, rectification_id, caller.principal)


@router.post("/rectifications/{rectification_id}/report", summary="整改反馈（附证据）Report the rectification",
             responses=_ERRORS)
async def report(rectification_id: str, body: Report, caller: SignedCaller, database: ServiceDatabase,
                 loop: TheLoop) -> dict[str, Any]:
    await _in_order(database, lambda uow: loop.report(uow, rectification_id, caller.principal, body.measures_zh,
                                                      tuple(body.evidence)))
    return await _order_detail(database, loop, rectification_id)


@router.post("/rectifications/{rectification_id}/callback", summary="回访申请人 Record a call-back",
             responses=_ERRORS)
async def callback(rectification_id: str, body: CallBack, caller: SignedCaller, database: ServiceDatabase,
                   loop: TheLoop) -> dict[str, Any]:
    await _in_order(database, lambda uow: loop.call_back(uow, rectification_id, caller.principal, body.outcome,
                                                         body.note_zh))
    return await _order_detail(database, loop, rectification_id)


@router.post("/rectifications/{rectification_id}/appeal", status_code=201, summary="申诉 Appeal the review",
             responses=_ERRORS)
async def appeal(rectification_id: str, body: Appeal, caller: SignedCaller, database: ServiceDatabase,
                 loop: TheLoop) -> dict[str, Any]:
    filed = await _in_order(database, lambda uow: loop.file_appeal(
        uow, rectification_id, caller.principal, body.grounds, body.reason_zh, tuple(body.evidence)))
    return await _appeal_view(database, filed.appeal_id)


@router.post("/appeals/{appeal_id}/decision", summary="申诉复核结论 Decide an appeal", responses=_ERRORS)
async def decide(appeal_id: str, body: Decision, caller: SignedCaller, database: ServiceDatabase,
                 loop: TheLoop) -> dict[str, Any]:
    await _in_order(database, lambda uow: loop.decide_appeal(uow, appeal_id, caller.principal, body.upheld,
                                                             body.reason_zh))
    return await _appeal_view(database, appeal_id)


@router.get("/figures", response_model=list[RatingFigures], summary="满意度指标 Current satisfaction figures",
            responses=ACCESS_RESPONSES)
async def figures(
    _: FigureReader,
    database: ServiceDatabase,
    by: FigureBy = FigureBy.DEPARTMENT,
    period: FigurePeriod = FigurePeriod.DAY,
    on: Annotated[date | None, Query(description="该日（或该日所在周）；缺省为最近一期 / default: latest")] = None,
) -> list[RatingFigures]:
    start = None if on is None else (week_start(on) if period is FigurePeriod.WEEK else on)
    return await views.current_figures(database, period, by, start)


def create_app(database: Database, keyring: KeyRing, loop: RatingLoop) -> FastAPI:
    app = service_app(
        title="OneThing rating 好差评服务",
        version="2.0.0",
        description="一事多评、一事一号一评价；差评整改、回访、办结与申诉复核；满意度统计 / "
                    "Ratings per touchpoint, the bad-review loop with call-back and appeals, satisfaction figures",
    )
    accept_signed_requests(app, keyring)
    answer_refusals(app)
    app.state.database = database
    app.state.rating_loop = loop
    app.include_router(router)
    return app
