"""The licence service's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status and text
(zh-CN, en). On the bus the consumer runner dead-letters them instead."""

from __future__ import annotations

from fastapi import FastAPI

from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer
from licence.domain.errors import LicenceNotFound, LicenceRefusal, NotTheIssuer, StatusChangeRefused
from licence.domain.messages import MESSAGES

__all__ = ["answer_refusals", "http_refusal"]


def _refusal(status: int, key: str) -> HttpRefusal:
    text = MESSAGES.text(key)
    return status, text.zh, text.en


def http_refusal(refusal: LicenceRefusal) -> HttpRefusal:
    if isinstance(refusal, LicenceNotFound):
        return _refusal(404, "licence_not_found")
    if isinstance(refusal, NotTheIssuer):
        return _refusal(403, "not_the_issuer")
    if isinstance(refusal, StatusChangeRefused):
        return 409, refusal.message_zh, refusal.message_en
    return _refusal(422, "refused")


def answer_refusals(app: FastAPI) -> None:
    answer(app, LicenceRefusal, http_refusal)
