"""Dispatch HTTP API: department tasks of a case (for ops and the hall's progress view), department requests and their
answer deadlines, and the operator's re-drive of a request parked as undeliverable (无法送达)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel
from sqlmodel import col, select

from dispatch.adapters.tables import DispatchRequest, DispatchTask
from dispatch.domain.deadlines import RedriveRefusal
from dispatch.service_layer.deadlines import RedriveRefused, UnknownRequest, redrive
from exchange.access.http import ACCESS_RESPONSES, Allow
from exchange.access.roles import Caller, Role
from exchange.db.database import Database
from exchange.http_edge import harden


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


_NO_REQUEST = {"message_zh": "未找到该部门请求", "message_en": "no such department request"}
_REDRIVE_REFUSED: dict[RedriveRefusal, dict[str, str]] = {
    RedriveRefusal.ANSWERED: {"message_zh": "部门已答复该请求，无需重发",
                              "message_en": "the department has answered this request already; nothing to re-drive"},
}
_REDRIVE_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"description": "无此请求 no such request"}, 409: {"description": "已答复 answered already"}, **ACCESS_RESPONSES}

# Who may read and do what here (角色): tasks carry no personal data; re-driving is the operators' work.
TaskReader = Annotated[Caller, Depends(Allow(Role.CLERK, Role.SUPERVISOR, Role.OPERATOR))]
Operator = Annotated[Caller, Depends(Allow(Role.OPERATOR))]


def create_app(database: Database) -> FastAPI:
    app = FastAPI(
        title="OneThing dispatch 分办服务",
        version="1.0.0",
        description="部门子任务的推送与结果汇集 / Department tasks: release and results",
    )
    harden(app)

    @app.get("/cases/{case_id}/tasks", response_model=list[TaskPublic], summary="办件的部门任务 Tasks of a case",
             responses=ACCESS_RESPONSES)
    async def case_tasks(case_id: str, _: TaskReader) -> list[TaskPublic]:
        async with database.sessions() as session:
            query = select(DispatchTask).where(col(DispatchTask.case_id) == case_id)
            rows = (await session.exec(query.order_by(col(DispatchTask.item_code)))).all()
        if not rows:
            raise HTTPException(404, detail={"message_zh": "未找到该办件", "message_en": "case not found"})
        return [TaskPublic.model_validate(r, from_attributes=True) for r in rows]

    @app.get("/requests", response_model=list[RequestPublic],
             summary="部门请求及应答状态（无法送达者待人工重发）Department requests by state, e.g. parked ones",
             responses=ACCESS_RESPONSES)
    async def requests(_: Operator, state: Literal["open", "received", "answered", "parked"] | None = None,
                       case_id: str | None = None, limit: int = Query(default=100, ge=1, le=1000)) -> list[RequestPublic]:
        query = select(DispatchRequest)
        if state is not None:
            query = query.where(col(DispatchRequest.state) == state)
        if case_id is not None:
            query = query.where(col(DispatchRequest.case_id) == case_id)
        async with database.sessions() as session:
            rows = (await session.exec(query.order_by(col(DispatchRequest.first_sent_at)).limit(limit))).all()
        return [RequestPublic.model_validate(r, from_attributes=True) for r in rows]

    @app.post("/requests/{request_id}/redrive", response_model=RequestPublic, responses=_REDRIVE_ERRORS,
              summary="人工重发部门请求（同一请求编号）Re-drive a department request under the same request id")
    async def redrive_request(request_id: str, _: Operator) -> RequestPublic:
        try:
            row = await redrive(database, request_id)
        except UnknownRequest:
            raise HTTPException(404, detail=_NO_REQUEST) from None
        except RedriveRefused as refused:
            raise HTTPException(409, detail=_REDRIVE_REFUSED[refused.reason]) from None
        return RequestPublic.model_validate(row, from_attributes=True)

    return app
