"""The licence service's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status and text
(zh-CN, en). On the bus the consumer runner dead-letters them instead."""

from __future__ import annotations

from fastapi import FastAPI

from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer
from licence.domain.errors import LicenceNotFound, LicenceRefusal, NotTheIssuer, StatusChangeRefused

__all__ = ["answer_refusals", "http_refusal"]


def http_refusal(refusal: LicenceRefusal) -> HttpRefusal:
    if isinstance(refusal, LicenceNotFound):
        return 404, "未找到该电子证照", "licence not found"
    if isinstance(refusal, NotTheIssuer):
        return 403, "只有签发机关可以变更证照状态", "only the issuing department may change a licence's status"
    if isinstance(refusal, StatusChangeRefused):
        return 409, refusal.message_zh, refusal.message_en
    return 422, "请求被拒绝", "refused"


def answer_refusals(app: FastAPI) -> None:
    answer(app, LicenceRefusal, http_refusal)
