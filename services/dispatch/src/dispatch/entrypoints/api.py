"""Dispatch HTTP API: department tasks of a case (for ops and the hall's progress view), department requests and their
answer deadlines, and the operator's re-drive of a request parked as undeliverable (无法送达).

Routes read through ``adapters.views`` and change state through use cases; refusals become HTTP answers in
``entrypoints.errors``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel

from dispatch.adapters import views
from dispatch.domain.deadlines import RequestState
from dispatch.domain.messages import MESSAGES
from dispatch.entrypoints.errors import answer_refusals
from dispatch.entrypoints.ops_api import OpsSources, ops_router
from dispatch.entrypoints.ops_page import mount_ops_room
from dispatch.service_layer.deadlines import redrive
from dispatch.service_layer.unit_of_work import dispatch_work
from exchange.access.http import ACCESS_RESPONSES, Allow
from exchange.access.roles import Caller, Role
from exchange.db.database import Database
from exchange.http_edge import ServiceDatabase, refused, service_app

__all__ = ["RequestPublic", "TaskPublic", "create_app", "router"]


class TaskPublic(BaseModel):
    task_id: str
    item_code: str
    item_name_zh: str
    department: str
    requires: list[str]
    status: str
    attempt: int
    document_no: str | None
    released_at: datetime | None
    concluded_at: datetime | None


class RequestPublic(BaseModel):
    """A department request and its answer deadline (应答时限)."""

    request_id: str
    case_id: str
    task_id: str
    item_code: str
    department: str
    kind: str  # review | handling
    state: str  # open | received | answered | parked
    sends: int  # since the first send or the last re-drive
    total_sends: int
    first_sent_at: datetime
    last_sent_at: datetime
    received_at: datetime | None
    answered_at: datetime | None
    parked_at: datetime | None
    parkings: int


_REDRIVE_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"description": "无此请求 no such request"}, 409: {"description": "已答复 answered already"}, **ACCESS_RESPONSES}

# Who may read and do what here (角色): tasks carry no personal data; re-driving is the operators' work.
TaskReader = Annotated[Caller, Depends(Allow(Role.CLERK, Role.SUPERVISOR, Role.OPERATOR))]
Operator = Annotated[Caller, Depends(Allow(Role.OPERATOR))]



router = APIRouter()


@router.get("/cases/{case_id}/tasks", response_model=list[TaskPublic], summary="办件的部门任务 Tasks of a case",
            responses=ACCESS_RESPONSES)
async def case_tasks(case_id: str, _: TaskReader, database: ServiceDatabase) -> list[TaskPublic]:
    rows = await views.case_tasks(database, case_id)
    if not rows:
        raise refused(404, MESSAGES.text("case_not_found"))
    return [TaskPublic.model_validate(r, from_attributes=True) for r in rows]


@router.get("/requests", response_model=list[RequestPublic],
            summary="部门请求及应答状态（无法送达者待人工重发）Department requests by state, e.g. parked ones",
            responses=ACCESS_RESPONSES)
async def requests(_: Operator, database: ServiceDatabase,
                   state: Literal["open", "received", "answered", "parked"] | None = None,
                   case_id: str | None = None, limit: int = Query(default=100, ge=1, le=1000)) -> list[RequestPublic]:
    rows = await views.requests(database, state=RequestState(state) if state else None, case_id=case_id, limit=limit)
    return [RequestPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/requests/{request_id}/redrive", response_model=RequestPublic, responses=_REDRIVE_ERRORS,
             summary="人工重发部门请求（同一请求编号）Re-drive a department request under the same request id")
async def redrive_request(request_id: str, _: Operator, database: ServiceDatabase) -> RequestPublic:
    async with dispatch_work(database) as uow:
        request = await redrive(uow, request_id, datetime.now(UTC))
    database.outbox_written.set()  # the relay sends it at once
    return RequestPublic.model_validate(request, from_attributes=True)


def create_app(database: Database, ops: OpsSources | None = None) -> FastAPI:
    """Dispatch's app; ``ops`` says where the ops room's restarts and traces are read (the system's data dir)."""
    app = service_app(
        title="OneThing dispatch 分办服务",
        version="1.0.0",
        description="部门子任务的推送与结果汇集 / Department tasks: release and results",
    )
    answer_refusals(app)
    app.state.database = database
    app.state.ops_sources = ops or OpsSources(None)
    app.include_router(router)
    app.include_router(ops_router)
    mount_ops_room(app)
    return app
