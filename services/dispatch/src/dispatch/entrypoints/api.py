"""Dispatch HTTP API: department tasks of a case (for ops and the hall's progress view)."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlmodel import col, select

from dispatch.adapters.tables import DispatchTask
from exchange.db.database import Database


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


def create_app(database: Database) -> FastAPI:
    app = FastAPI(
        title="OneThing dispatch 分办服务",
        version="1.0.0",
        description="部门子任务的推送与结果汇集 / Department tasks: release and results",
    )

    @app.get("/cases/{case_id}/tasks", response_model=list[TaskPublic], summary="办件的部门任务 Tasks of a case")
    async def case_tasks(case_id: str) -> list[TaskPublic]:
        async with database.sessions() as session:
            query = select(DispatchTask).where(col(DispatchTask.case_id) == case_id)
            rows = (await session.exec(query.order_by(col(DispatchTask.item_code)))).all()
        if not rows:
            raise HTTPException(404, detail={"message_zh": "未找到该办件", "message_en": "case not found"})
        return [TaskPublic.model_validate(r, from_attributes=True) for r in rows]

    return app
