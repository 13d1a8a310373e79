"""Dispatch's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status and text (zh-CN, en).
On the bus the consumer runner dead-letters them instead, and ``service_layer.refusals`` tells the department."""

from __future__ import annotations

from fastapi import FastAPI

from dispatch.domain.deadlines import RedriveRefusal
from dispatch.domain.errors import DispatchRefusal, RedriveRefused, UnknownRequest
from dispatch.domain.messages import MESSAGES
from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer

__all__ = ["answer_refusals", "http_refusal"]

_REDRIVE_REFUSED: dict[RedriveRefusal, tuple[int, str]] = {
    RedriveRefusal.ANSWERED: (409, "redrive_answered"),
}


def _refusal(status: int, key: str) -> HttpRefusal:
    text = MESSAGES.text(key)
    return status, text.zh, text.en


def http_refusal(refusal: DispatchRefusal) -> HttpRefusal:
    if isinstance(refusal, UnknownRequest):
        return _refusal(404, "request_not_found")
    if isinstance(refusal, RedriveRefused):
        return _refusal(*_REDRIVE_REFUSED[refusal.reason])
    return _refusal(422, "refused")


def answer_refusals(app: FastAPI) -> None:
    answer(app, DispatchRefusal, http_refusal)
