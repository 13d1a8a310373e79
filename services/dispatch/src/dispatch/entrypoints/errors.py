"""Dispatch's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status and text (zh-CN, en).
On the bus the consumer runner dead-letters them instead, and ``service_layer.refusals`` tells the department."""

from __future__ import annotations

from fastapi import FastAPI

from dispatch.domain.deadlines import RedriveRefusal
from dispatch.domain.errors import DispatchRefusal, RedriveRefused, UnknownRequest
from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer

__all__ = ["answer_refusals", "http_refusal"]

_REDRIVE_REFUSED: dict[RedriveRefusal, HttpRefusal] = {
    RedriveRefusal.ANSWERED: (409, "部门已答复该请求，无需重发",
                              "the department has answered this request already; nothing to re-drive"),
}


def http_refusal(refusal: DispatchRefusal) -> HttpRefusal:
    if isinstance(refusal, UnknownRequest):
        return 404, "未找到该部门请求", "no such department request"
    if isinstance(refusal, RedriveRefused):
        return _REDRIVE_REFUSED[refusal.reason]
    return 422, "请求被拒绝", "refused"


def answer_refusals(app: FastAPI) -> None:
    answer(app, DispatchRefusal, http_refusal)
