"""Intake's refusals at the HTTP edge (拒绝 → HTTP): the one place each gets its status and text (zh-CN, en), and
validation failures become 422 answers with field paths, and where an application comes from
(``domain.origin``) is judged. On the bus the consumer runner dead-letters them instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from exchange.http_edge import HttpRefusal
from exchange.http_edge import answer_refusals as answer
from intake.domain.errors import (
    ApplicationInvalid,
    CaseNotFound,
    DelegationNotFound,
    DelegationRefused,
    DraftNotFound,
    FieldProblem,
    IdempotencyKeyReused,
    IntakeError,
    NotDelegated,
    NothingToCorrect,
    NothingToHandOver,
    NotOneself,
    UnknownOneThing,
)
from intake.domain.messages import MESSAGES
from intake.domain.origin import OriginProblem, Refusal
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


_BY_REFUSAL: tuple[tuple[type[IntakeError], int, str], ...] = (
    (CaseNotFound, 404, "case_not_found"),  # a case the caller may not follow answers alike: nothing to learn
    (UnknownOneThing, 404, "no_such_one_thing"),
    (DelegationNotFound, 404, "no_such_delegation"),
    (DraftNotFound, 404, "draft_not_found"),
    (NothingToCorrect, 409, "nothing_to_correct"),
    (NothingToHandOver, 409, "nothing_to_hand_over"),
)
_NOT_ONESELF = {"delegation": "authorise_for_yourself", "lookup": "look_up_your_own"}


def http_refusal(refusal: IntakeError) -> HttpRefusal:
    """The status and texts of a refusal without a body of its own (those with one have their handlers above)."""
    if isinstance(refusal, NotOneself):
        text = MESSAGES.text(_NOT_ONESELF[refusal.about])
        return 403, text.zh, text.en
    if isinstance(refusal, DelegationRefused):
        return 422, refusal.message_zh, refusal.message_en
    status, key = next(((status, key) for kind, status, key in _BY_REFUSAL if isinstance(refusal, kind)),
                       (422, "refused"))
    text = MESSAGES.text(key)
    return status, text.zh, text.en


# Where an application comes from (domain.origin): 403 when it is not this caller's to do; 422, naming the field,
# when a body field contradicts the caller's token.
_ORIGIN_STATUS: dict[OriginProblem, int] = {
    OriginProblem.KIOSK_INCOMPLETE: 403,
    OriginProblem.CHANNEL_UNKNOWN: 403,
    OriginProblem.BODY_DIFFERS: 422,
    OriginProblem.SELF_SERVICE_CHANNEL: 422,
    OriginProblem.SELF_SERVICE_NO_WINDOW: 422,
    OriginProblem.NOT_ONESELF: 403,
    OriginProblem.NOT_AN_APPLYING_ROLE: 403,
}


def origin_refused(refusal: Refusal) -> Exception:
    """What the acceptance route raises for an application whose origin is refused: a 422 with the field at fault
    among the application's problems, or a 403."""
    status = _ORIGIN_STATUS[refusal.problem]
    if status == 422 and refusal.field is not None:
        return ApplicationInvalid([FieldProblem(refusal.field, "from_token", refusal.message_zh, refusal.message_en)])
    return HTTPException(status, detail={"message_zh": refusal.message_zh, "message_en": refusal.message_en})


def answer_refusals(app: FastAPI) -> None:
    """Every refusal a route raises, answered in one place: validation failures with their field paths, the rest
    with :func:`http_refusal`."""
    app.add_exception_handler(RequestValidationError, on_request_invalid)
    app.add_exception_handler(ApplicationInvalid, on_application_invalid)
    app.add_exception_handler(IdempotencyKeyReused, on_idempotency_key_reused)
    app.add_exception_handler(NotDelegated, on_not_delegated)
    answer(app, IntakeError, http_refusal)
