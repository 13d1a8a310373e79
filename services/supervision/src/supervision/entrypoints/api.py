"""Supervision HTTP API: the statutory clocks of a case (for ops and the supervision view)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlmodel import col, select

from exchange.db.database import Database
from supervision.adapters.tables import SupervisionClock


class ClockPublic(BaseModel):
    clock_id: str
    task_id: str
    attempt: int
    item_code: str
    department: str
    limit_working_days: int
    started_at: datetime
    started_on: date
    due_on: date


def create_app(database: Database) -> FastAPI:
    app = FastAPI(
        title="OneThing supervision 电子监察服务",
        version="1.0.0",
        description="部门办理时限的计时与监察 / Statutory time limits of department tasks",
    )

    @app.get("/cases/{case_id}/clocks", response_model=list[ClockPublic], summary="办件的计时 Clocks of a case")
    async def case_clocks(case_id: str) -> list[ClockPublic]:
        async with database.sessions() as session:
            query = select(SupervisionClock).where(col(SupervisionClock.case_id) == case_id)
            order = (col(SupervisionClock.item_code), col(SupervisionClock.attempt))
            rows = (await session.exec(query.order_by(*order))).all()
        if not rows:
            raise HTTPException(404, detail={"message_zh": "未找到该办件的计时", "message_en": "no clocks for this case"})
        return [ClockPublic.model_validate(r, from_attributes=True) for r in rows]

    return app
