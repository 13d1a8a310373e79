"""Supervision's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status and text (zh-CN, en)."""

from __future__ import annotations

from fastapi import FastAPI

from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer
from supervision.domain.errors import ClockNotFound, SupervisionError

__all__ = ["answer_refusals", "http_refusal"]


def http_refusal(refusal: SupervisionError) -> HttpRefusal:
    if isinstance(refusal, ClockNotFound):
        return 404, "未找到该计时", "no such clock"
    return 422, "请求被拒绝", "refused"


def answer_refusals(app: FastAPI) -> None:
    answer(app, SupervisionError, http_refusal)
