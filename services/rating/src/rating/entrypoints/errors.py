"""Rating's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status; the texts are the
refusal's own (``domain/errors.py``)."""

from __future__ import annotations

from fastapi import FastAPI

from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer
from rating.domain.errors import (
    AlreadyRated,
    CaseUnknown,
    NotAnswerable,
    NotInvited,
    NotSupervisor,
    OrderUnknown,
    OwnOrder,
    RatingError,
    UnrelatedRater,
    WrongState,
)

__all__ = ["answer_refusals", "http_refusal"]

_STATUS: dict[type[RatingError], int] = {
    CaseUnknown: 404,
    NotInvited: 404,
    UnrelatedRater: 404,  # as for an unknown case: no one learns whose case it is by trying ID numbers
    AlreadyRated: 409,
    OrderUnknown: 404,
    NotAnswerable: 403,
    NotSupervisor: 403,
    OwnOrder: 403,
    WrongState: 409,
}


def http_refusal(refusal: RatingError) -> HttpRefusal:
    status = next((_STATUS[kind] for kind in type(refusal).__mro__ if kind in _STATUS), 400)
    return status, refusal.message_zh, refusal.message_en


def answer_refusals(app: FastAPI) -> None:
    answer(app, RatingError, http_refusal)
