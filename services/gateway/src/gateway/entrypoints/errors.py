"""The gateway's HTTP edge answers: 422 naming each field at fault, in Chinese and English (as intake answers them),
and the gateway's refusals with their status (the one place that decides it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer
from gateway.domain.errors import GatewayRefusal, UnknownRequest
from gateway.domain.messages import MESSAGES

_ZH = {
    "missing": "必填项缺失",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_type": "应为文本",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "uuid_parsing": "不是有效的 UUID",
    "uuid_type": "不是有效的 UUID",
    "timezone_aware": "时间须带时区",
    "datetime_parsing": "不是有效的时间",
    "int_parsing": "应为整数",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "too_long": "条目过多",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "json_invalid": "请求不是有效的 JSON",
}


class FieldProblem(BaseModel):
    field: str = Field(examples=["outcome"])
    problem: str = Field(examples=["literal_error"])
    message_zh: str = Field(examples=["取值不在允许范围内"])
    message_en: str = Field(examples=["Input should be 'approved' or 'rejected'"])


class Invalid(BaseModel):
    """请求内容有误 the request does not match the API."""

    message_zh: str = Field(examples=["请求内容有误，请按提示修改后重新提交"])
    message_en: str = Field(examples=["The request has errors; correct them and send it again"])
    problems: list[FieldProblem]


INVALID: dict[str, Any] = {"model": Invalid, "description": "请求内容有误，逐项说明 / the request has errors, each named"}


def _field(loc: Sequence[Any], problem: str) -> str:
    if problem == "json_invalid":
        return "body"
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


async def on_request_invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        message_en = str(err.get("msg", "invalid"))
        message_zh = _ZH.get(err["type"], "内容无效")
        if err["type"] == "value_error":  # our own rules say it in both languages already
            message_zh = message_en = message_en.removeprefix("Value error, ")
        problems.append(FieldProblem(field=_field(err["loc"], err["type"]), problem=err["type"],
                                     message_zh=message_zh, message_en=message_en))
    invalid = MESSAGES.text("request_invalid")
    return JSONResponse(status_code=422, content=Invalid(
        message_zh=invalid.zh, message_en=invalid.en, problems=problems).model_dump())


UNAVAILABLE: dict[str, Any] = {"description": "暂时无法处理（数据库或消息总线不可用），请稍后原样重试 / temporarily "
                                              "unavailable (database or bus down): send the same request again later"}


def http_refusal(refusal: GatewayRefusal) -> HttpRefusal:
    """Unknown requests are 404; every other refusal conflicts with the request's state (409)."""
    return (404 if isinstance(refusal, UnknownRequest) else 409), refusal.message_zh, refusal.message_en


def answer_refusals(app: FastAPI) -> None:
    answer(app, GatewayRefusal, http_refusal)
