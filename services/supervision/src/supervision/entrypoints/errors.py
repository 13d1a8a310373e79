"""Supervision's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status and text (zh-CN, en)."""

from __future__ import annotations

from fastapi import FastAPI

from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer
from supervision.domain.errors import ClockNotFound, SupervisionError
from supervision.domain.messages import MESSAGES

__all__ = ["answer_refusals", "http_refusal"]


def http_refusal(refusal: SupervisionError) -> HttpRefusal:
    status, key = (404, "clock_not_found") if isinstance(refusal, ClockNotFound) else (422, "refused")
    text = MESSAGES.text(key)
    return status, text.zh, text.en


def answer_refusals(app: FastAPI) -> None:
    answer(app, SupervisionError, http_refusal)
