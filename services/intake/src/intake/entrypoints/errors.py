"""Turning validation failures into 422 answers with field paths and zh-CN/English messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from intake.domain.errors import ApplicationInvalid, FieldProblem, IdempotencyKeyReused, NotDelegated
from intake.domain.messages import MESSAGES
from intake.entrypoints.schemas import BilingualValueError

_INVALID = MESSAGES.text("application_invalid")

_ZH = {
    "missing": "必填项缺失",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "enum": "取值不在允许范围内",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "json_invalid": "请求不是有效的 JSON",
}


def _path(loc: Sequence[Any], error_type: str) -> str:
    if error_type == "json_invalid":
        return "body"  # FastAPI puts the character offset where a field name would be
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def problems_from(exc: RequestValidationError) -> list[FieldProblem]:
    out = []
    for err in exc.errors():
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, BilingualValueError):
            zh, en = cause.zh, cause.en
        else:
            zh, en = _ZH.get(err["type"], "内容无效"), str(err.get("msg", "invalid"))
            if err["type"] == "enum":
                zh += f"：{(err.get('ctx') or {}).get('expected', '')}"
        out.append(FieldProblem(_path(err["loc"], err["type"]), err["type"], zh, en))
    return out


def problem_response(problems: list[FieldProblem], *, error: str = "application_invalid",
                     message_zh: str = _INVALID.zh, message_en: str = _INVALID.en,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={"error": error, "message_zh": message_zh, "message_en": message_en,
                 "problems": [asdict(p) for p in problems]},
        headers=headers,
    )


async def on_request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(problems_from(exc))


async def on_application_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApplicationInvalid)
    return problem_response(exc.problems)


async def on_idempotency_key_reused(request: Request, exc: Exception) -> JSONResponse:
    """422 naming the key, with a link to where the key's rule is published (draft-ietf-httpapi-idempotency-key-
    header, "Error Scenarios": the same key with another payload)."""
    assert isinstance(exc, IdempotencyKeyReused)
    problem = FieldProblem.said("headers.Idempotency-Key", "idempotency_key_reused",
                                MESSAGES.text("idempotency_key_reused", key_sent=exc.key))
    return problem_response(
        [problem], error="idempotency_key_reused", message_zh=problem.message_zh, message_en=problem.message_en,
        headers={"Link": '</docs>; rel="describedby"; type="text/html"'},
    )


async def on_not_delegated(request: Request, exc: Exception) -> JSONResponse:
    """403: an online proxy needs the applicant's own authorisation first, and is told how it is given."""
    assert isinstance(exc, NotDelegated)
    text = MESSAGES.text("not_delegated")
    return JSONResponse(status_code=403, content={"detail": {
        "problem": "not_delegated", "message_zh": text.zh, "message_en": text.en,
    }})
