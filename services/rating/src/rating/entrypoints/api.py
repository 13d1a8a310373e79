"""Rating HTTP API: submit the one rating of a delivered case (好差评), and read it back."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from contracts.rating.v1 import RatingLevel
from exchange.db.database import Database
from rating.adapters.tables import RatingRow
from rating.domain.errors import AlreadyRated, NotDelivered, RatingError
from rating.domain.rules import RatingInput
from rating.service_layer.handlers import submit_rating


class RatingPublic(BaseModel):
    rating_id: str
    case_id: str
    level: RatingLevel
    tags: list[str]
    comment: str | None
    submitted_at: datetime


def _http(status: int, error: RatingError) -> HTTPException:
    return HTTPException(status, detail={"message_zh": error.message_zh, "message_en": error.message_en})


def create_app(database: Database) -> FastAPI:
    app = FastAPI(
        title="OneThing rating 好差评服务",
        version="1.0.0",
        description="办件送达后的好差评，一事一评 / Ratings of delivered cases, one per case",
    )

    @app.post(
        "/ratings",
        response_model=RatingPublic,
        status_code=201,
        summary="提交评价 Rate a delivered case",
        responses={404: {"description": "办件尚未送达 / case not delivered yet"},
                   409: {"description": "已评价 / already rated"}},
    )
    async def rate(body: RatingInput) -> RatingPublic:
        try:
            async with database.unit_of_work() as uow:
                row = await submit_rating(uow, body)
        except NotDelivered as exc:
            raise _http(404, exc) from exc
        except AlreadyRated as exc:
            raise _http(409, exc) from exc
        except IntegrityError as exc:  # a concurrent submission for the same case won the race
            raise _http(409, AlreadyRated(body.case_id)) from exc
        return RatingPublic.model_validate(row, from_attributes=True)

    @app.get("/cases/{case_id}/rating", response_model=RatingPublic, summary="办件的评价 Rating of a case")
    async def case_rating(case_id: str) -> RatingPublic:
        async with database.sessions() as session:
            row = (await session.exec(select(RatingRow).where(col(RatingRow.case_id) == case_id))).first()
        if row is None:
            raise HTTPException(404, detail={"message_zh": "该办件尚未评价", "message_en": "case not rated yet"})
        return RatingPublic.model_validate(row, from_attributes=True)

    return app
