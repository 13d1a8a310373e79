"""Gateway HTTP API (部门接入网关): a department system polls for its requests, acknowledges or answers them.

Every route is signed (签名调用, docs/signing.md) with the department's own key ``dept.<code>``: 401 unsigned or
signed wrong, 403 signed by someone else, 404 a department this gateway does not serve or a request that was not
addressed to it. Each answer is published on the bus signed as the department, once.

Routes read through ``adapters.views`` and change state through use cases, each in a transaction the route opens
(``gateway_work``); a route that answers with the request reads it after the use case's transaction committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.department.v1 import RequestKind
from contracts.departments import department, department_principal
from exchange.db.database import Database
from exchange.http_edge import ServiceDatabase, refused, service_app
from exchange.http_identity import SIGNED_RESPONSES, SignedCaller, accept_signed_requests
from exchange.runtime import answer_unavailable
from exchange.signing import KeyRing
from gateway.adapters import views
from gateway.adapters.requests_json import as_json
from gateway.domain.messages import MESSAGES
from gateway.domain.requests import RequestState
from gateway.entrypoints.errors import INVALID, UNAVAILABLE, answer_refusals, on_request_invalid
from gateway.service_layer import answering, queue
from gateway.service_layer.unit_of_work import gateway_work

__all__ = ["create_app", "router"]

REQUEST_ID = "5b0e3c1e-6a53-5b8e-9d43-0c1d0f6f2a11"


class Message(BaseModel):
    message_zh: str
    message_en: str


class Refused(BaseModel):
    detail: Message


def _refused(description: str) -> dict[str, Any]:
    return {"model": Refused, "description": description}


_NOT_FOUND = _refused("本网关不服务该部门，或没有该请求 / the gateway does not serve this department, or no such "
                      "request was addressed to it")
_ROUTES: dict[int | str, dict[str, Any]] = {**SIGNED_RESPONSES, 404: _NOT_FOUND, 422: INVALID, 503: UNAVAILABLE}
_ANSWER_ROUTES: dict[int | str, dict[str, Any]] = {
    **_ROUTES,
    200: {"description": "同一答复重复提交：返回首次答复的事件，不再发布 / the same answer again: the first answer's "
                         "event, nothing published again"},
    409: _refused("该请求已有不同的答复，或答复的接口不对（预审/办理）/ the request was answered differently, or this "
                  "is the wrong route for its kind (review or handling)"),
}


class QueuedRequest(BaseModel):
    """A request addressed to the department, as it polls it or is called back with it."""

    request_id: str = Field(examples=[REQUEST_ID])
    seq: int = Field(description="在本部门队列中的位置：轮询游标 / position in the department's queue (the poll cursor)",
                     examples=[42])
    kind: RequestKind = Field(description="review 预审 | handling 办理")
    state: RequestState
    department: str = Field(examples=["police"])
    case_id: str = Field(examples=["OT20261204000123"])
    item_code: str = Field(examples=["P-01-03"])
    event_type: str = Field(examples=["dispatch.request.sent"])
    event_id: str
    received_at: datetime
    request: dict[str, Any] = Field(description="请求内容，即事件载荷（contracts/asyncapi.yaml）/ the request: the "
                                                "event's payload as published (contracts/asyncapi.yaml)")
    delivery_attempts: int
    last_delivery_error: str | None
    next_delivery_at: datetime | None
    answer: dict[str, Any] | None
    answer_event_id: str | None
    answered_at: datetime | None


class RequestPage(BaseModel):
    requests: list[QueuedRequest]
    next_after: int = Field(description="下次轮询的 after 参数 / pass as `after` on the next poll", examples=[42])


class DepartmentView(BaseModel):
    department: str = Field(examples=["police"])
    name_zh: str = Field(examples=["公安局"])
    name_en: str = Field(examples=["Public Security Bureau"])
    callback_url: str | None = Field(description="登记的回调地址；无则只能轮询 / registered callback, none: poll")
    requests: dict[str, int] = Field(description="各状态请求数 / requests in each state",
                                     examples=[{"pending": 1, "delivered": 3, "undeliverable": 0, "answered": 17}])


class HandlingDecision(BaseModel):
    """办理决定：准予或不予 / a department's decision: approved or rejected (a rejection states its reason). The
    whole of a handling result, and of the decision an on-the-spot item's review may carry (即审即办)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approved", "rejected"]
    reason_zh: str | None = Field(default=None, min_length=1, max_length=500)
    reason_en: str | None = Field(default=None, min_length=1, max_length=500)
    document_no: str | None = Field(default=None, min_length=1, max_length=128,
                                    description="结果文书或证照编号 / number of the result document or licence")

    @model_validator(mode="after")
    def _reason_for_a_rejection(self) -> HandlingDecision:
        if self.outcome == "rejected" and not self.reason_zh:
            # A value error is answered with one message for both languages (entrypoints.errors).
            text = MESSAGES.text("rejection_needs_reason")
            raise ValueError(f"{text.zh}/ {text.en}")
        return self


class ResultAnswer(HandlingDecision):
    """办理结果：准予或不予（补正只在预审时提出，R-14）/ a handling result: approved or rejected."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"request_id": REQUEST_ID, "outcome": "approved", "document_no": "POLICE-P-01-03-2026-000123"},
        {"request_id": REQUEST_ID, "outcome": "rejected", "reason_zh": "申请人不符合落户条件",
         "reason_en": "the applicant does not meet the conditions for household registration"},
    ]})

    request_id: UUID
    decided_at: AwareDatetime | None = Field(default=None, description="默认为收到答复之时 / default: when received")


class DeficiencyAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["material", "field"] = Field(description="material 材料 | field 表单字段")
    code: str = Field(min_length=1, max_length=64, description="材料编码或表单字段名 / material code or form field",
                      examples=["M1"])
    reason_zh: str = Field(min_length=1, max_length=500, examples=["材料不清晰，请重新提交"])
    reason_en: str = Field(min_length=1, max_length=500, examples=["the material is not legible; please resubmit it"])


class ReviewAnswer(BaseModel):
    """预审结论：没有问题（空列表），或须补正之处（一次性告知）；即办件可一并给出办理决定 / a preliminary review:
    nothing, or what to correct; for an on-the-spot item asked to be decided at review, the decision too."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"request_id": REQUEST_ID, "deficiencies": []},
        {"request_id": REQUEST_ID, "deficiencies": [
            {"kind": "material", "code": "M1", "reason_zh": "材料不清晰，请重新提交",
             "reason_en": "the material is not legible; please submit it again"}]},
        {"request_id": REQUEST_ID, "deficiencies": [],
         "decision": {"outcome": "approved", "document_no": "HEALTH-P-09-01-2026-000123"}},
    ]})

    request_id: UUID
    deficiencies: list[DeficiencyAnswer] = Field(default_factory=list, max_length=100)
    reviewed_at: AwareDatetime | None = Field(default=None, description="默认为收到答复之时 / default: when received")
    decision: HandlingDecision | None = Field(
        default=None, description="即审即办：仅当请求注明 decide 且无缺项 / only for a request that says decide, with no "
                                  "deficiencies (the platform refuses it beside deficiencies)")

    @model_validator(mode="after")
    def _decided_only_when_nothing_is_missing(self) -> ReviewAnswer:
        if self.decision is not None and self.deficiencies:
            text = MESSAGES.text("decision_beside_deficiencies")
            raise ValueError(f"{text.zh}/ {text.en}")
        return self


class AnswerAccepted(BaseModel):
    request_id: str = Field(examples=[REQUEST_ID])
    event_id: str = Field(description="总线上答复事件的编号（同一答复总是同一编号）/ the answer's envelope id on the "
                                      "bus (the same answer always has the same id)")
    event_type: str = Field(examples=["department.result.returned"])
    answered_at: datetime
    duplicate: bool = Field(description="此前已答复过，本次未再发布 / answered before: nothing published again")


class Notice(BaseModel):
    """拒收通知: dispatch refused an answer given in the department's name (``docs/signing.md`` §4)."""

    id: int = Field(description="轮询游标 / the cursor for `after`")
    event_id: str
    case_id: str | None
    received_at: datetime
    notice: dict[str, Any] = Field(description="dispatch.answer.refused 的载荷 / the notice's payload: reason, "
                                               "message_zh, message_en, refused_event_id, …")


class NoticePage(BaseModel):
    notices: list[Notice]
    next_after: int


async def served_department(code: str, request: Request, identity: SignedCaller) -> str:
    """The department in the path, once the caller proved it is that department (403 otherwise)."""
    if identity.principal != department_principal(code):
        raise refused(403, MESSAGES.text("not_the_department", caller=identity.principal, department=code))
    if code not in request.app.state.served:
        raise refused(404, MESSAGES.text("department_not_served", department=code))
    return code


Department = Annotated[str, Depends(served_department)]


router = APIRouter()


@router.get("/key-list", summary="公钥清单 The platform's signed key list: every principal's public keys, with key ids "
                                 "and periods of service (public; verify it with the key-list anchor)",
            response_class=Response, responses={200: {"content": {"application/json": {}},
                                                      "description": "the list as published (docs/signing.md §6)"}})
async def key_list(request: Request) -> Response:
    keyring: KeyRing = request.app.state.keyring
    return Response(keyring.published_key_list(), media_type="application/json")


@router.get("/departments/{code}", response_model=DepartmentView, responses=_ROUTES,
            summary="本部门接入情况 The department's registration and queue counts")
async def registration(code: Department, request: Request, database: ServiceDatabase) -> DepartmentView:
    known = department(code)
    return DepartmentView(department=code, name_zh=known.name_zh, name_en=known.name_en,
                          callback_url=request.app.state.served[code], requests=await views.counts(database, code))


@router.get("/departments/{code}/requests", response_model=RequestPage, responses=_ROUTES,
            summary="轮询请求（最早的在前）Poll the department's requests, oldest first, from a cursor")
async def poll(
    code: Department,
    database: ServiceDatabase,
    state: Annotated[RequestState, Query(description="open 未答复（默认）| pending 未取 | delivered 已送达 | "
                                                     "undeliverable 投递搁置 | answered 已答复")] = RequestState.OPEN,
    after: Annotated[int, Query(ge=0, le=2**62, description="只返回位置大于此值的请求 / only requests past this "
                                                           "position (the previous page's next_after)")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RequestPage:
    rows = await views.poll(database, code, state=state, after=after, limit=limit)
    return RequestPage(requests=[QueuedRequest.model_validate(as_json(r)) for r in rows],
                       next_after=rows[-1].seq if rows else after)


@router.get("/departments/{code}/requests/{request_id}", response_model=QueuedRequest, responses=_ROUTES,
            summary="一个请求 One request, with its delivery and answer")
async def one(code: Department, request_id: UUID, database: ServiceDatabase) -> QueuedRequest:
    return await _as_it_stands(database, code, request_id)


async def _as_it_stands(database: Database, code: str, request_id: UUID) -> QueuedRequest:
    return QueuedRequest.model_validate(as_json(await views.one(database, code, request_id)))


@router.post("/departments/{code}/requests/{request_id}/ack", response_model=QueuedRequest, responses=_ROUTES,
             summary="确认已取走（可选）Acknowledge a request: it leaves state=pending (optional)")
async def ack(code: Department, request_id: UUID, database: ServiceDatabase) -> QueuedRequest:
    async with gateway_work(database) as uow:
        await queue.acknowledge(uow, code, request_id)
    return await _as_it_stands(database, code, request_id)


@router.post("/departments/{code}/requests/{request_id}/redrive", response_model=QueuedRequest,
             responses={**_ROUTES, 409: _refused("投递未搁置，或已答复 / the delivery is not parked, or answered")},
             summary="重投搁置的回调 Re-drive a parked callback delivery (attempts start afresh)")
async def redrive(code: Department, request_id: UUID, database: ServiceDatabase) -> QueuedRequest:
    async with gateway_work(database) as uow:
        await queue.redrive(uow, code, request_id)
    return await _as_it_stands(database, code, request_id)


@router.get("/departments/{code}/notices", response_model=NoticePage, responses=_ROUTES,
            summary="拒收通知（最早的在前）Refusal notices about the department's answers, oldest first")
async def notices(
    code: Department,
    database: ServiceDatabase,
    after: Annotated[int, Query(ge=0, le=2**62, description="上一页的 next_after / the previous page's next_after")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> NoticePage:
    rows = await views.notices(database, code, after=after, limit=limit)
    return NoticePage(notices=[Notice.model_validate(r, from_attributes=True) for r in rows],
                      next_after=(rows[-1].id or after) if rows else after)


async def _answer(database: Database, code: str, kind: RequestKind, request_id: UUID, decision: dict[str, Any],
                  response: Response) -> AnswerAccepted:
    async with gateway_work(database) as uow:
        done = await answering.answer(uow, code, kind, request_id, decision)
    response.status_code = 200 if done.duplicate else 201
    return AnswerAccepted(request_id=done.request_id, event_id=done.event_id, event_type=done.event_type,
                          answered_at=done.answered_at, duplicate=done.duplicate)


@router.post("/departments/{code}/results", response_model=AnswerAccepted, status_code=201,
             responses=_ANSWER_ROUTES,
             summary="答复办理结果 Answer a handling request (办理): approved or rejected")
async def result(code: Department, body: ResultAnswer, response: Response, database: ServiceDatabase
                 ) -> AnswerAccepted:
    decision = body.model_dump(mode="json", exclude={"request_id"})
    decision["decided_at"] = decision["decided_at"] or datetime.now(UTC).isoformat()
    return await _answer(database, code, RequestKind.HANDLING, body.request_id, decision, response)


@router.post("/departments/{code}/reviews", response_model=AnswerAccepted, status_code=201,
             responses=_ANSWER_ROUTES,
             summary="答复预审结论 Answer a preliminary review request (预审): nothing, or what to correct")
async def review(code: Department, body: ReviewAnswer, response: Response, database: ServiceDatabase
                 ) -> AnswerAccepted:
    decision = body.model_dump(mode="json", exclude={"request_id"})
    decision["reviewed_at"] = decision["reviewed_at"] or datetime.now(UTC).isoformat()
    return await _answer(database, code, RequestKind.REVIEW, body.request_id, decision, response)


def create_app(database: Database, keyring: KeyRing, served: Mapping[str, str | None]) -> FastAPI:
    app = service_app(
        title="OneThing gateway 部门接入网关",
        version="1.0.0",
        description="只会 HTTP 的部门业务系统经此接入：轮询或接收回调取得预审与办理请求，以签名请求答复；网关验明部门身份后"
                    "以该部门名义在总线上签名发布。见 docs/gateway.md。\n\nDepartment systems that speak only HTTP poll "
                    "for (or are called back with) their review and handling requests and answer with signed requests; "
                    "the gateway publishes each answer on the bus signed as the department. See docs/gateway.md.",
    )
    accept_signed_requests(app, keyring)
    app.add_exception_handler(RequestValidationError, on_request_invalid)
    answer_unavailable(app)  # 503 with Retry-After while the database is out of reach (serve() does it too)

    answer_refusals(app)

    app.state.served = dict(served)
    app.state.database = database
    app.state.keyring = keyring
    app.include_router(router)
    return app
