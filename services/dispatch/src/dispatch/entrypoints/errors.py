"""Dispatch's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status and text (zh-CN, en).
On the bus the consumer runner dead-letters them instead, and ``service_layer.refusals`` tells the department."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from dispatch.domain.deadlines import RedriveRefusal
from dispatch.domain.errors import DispatchRefusal, RedriveRefused, UnknownRequest

__all__ = ["answer_refusals", "http_refusal"]

_UNKNOWN_REQUEST = (404, "未找到该部门请求", "no such department request")
_REDRIVE_REFUSED = {
    RedriveRefusal.ANSWERED: (409, "部门已答复该请求，无需重发",
                              "the department has answered this request already; nothing to re-drive"),
}
_OTHER = (422, "请求被拒绝", "refused")


def http_refusal(refusal: DispatchRefusal) -> tuple[int, str, str]:
    """Status, Chinese and English text for a refusal."""
    if isinstance(refusal, UnknownRequest):
        return _UNKNOWN_REQUEST
    if isinstance(refusal, RedriveRefused):
        return _REDRIVE_REFUSED[refusal.reason]
    return _OTHER


async def _refused(_request: Request, exc: Exception) -> JSONResponse:
    status, zh, en = http_refusal(exc) if isinstance(exc, DispatchRefusal) else _OTHER
    return JSONResponse({"detail": {"message_zh": zh, "message_en": en}}, status_code=status)


def answer_refusals(app: FastAPI) -> None:
    app.add_exception_handler(DispatchRefusal, _refused)
