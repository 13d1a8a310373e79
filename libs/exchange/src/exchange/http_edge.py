"""The HTTP edge of every service (服务边界): refuse what would break later, before any route runs.

:func:`harden` is called once by every ``create_app`` (so an app a test builds directly refuses the same),
and again by :func:`exchange.runtime.serve` with the process's settings (which sets the configured body
limit, and hardens an app whose builder forgot). It adds:

* a body limit (``ONETHING_HTTP_MAX_BODY_BYTES``, default 1 MiB): an honest ``Content-Length`` over it is
  refused before reading; a body without one (chunked) is counted while it is read and refused as soon as it
  passes the limit, so nothing larger is ever buffered. 413, in Chinese and English.
* the text and number rules of :mod:`contracts.text` on every path parameter, query parameter and every
  string, key and number of a JSON body, whatever the route's model: 422 naming each place
  (``body.applicant.name``, ``path.case_id``, ``query.items``) in the shape intake's 422 answers use
  (``error``, ``message_zh``, ``message_en``, ``problems[{path, type, message_zh, message_en}]``).
* a 422 for an ``OverflowError`` a route meets (date arithmetic past year 9999, an integer too large for a
  conversion), and for a PostgreSQL data exception (SQLSTATE class 22: a value too long or out of range for its
  column) that escapes a route: a value out of range is the caller's, never a 500. Bounds on the parameters
  come first; these are the safety net.

No route takes more than one document (a JSON body, or licence's ``POST /verify/document``, a licence PDF or its
text, which must fit the same limit), so one limit serves every route.

* the access log and the request metrics (:mod:`exchange.http_telemetry`), outside the rest, so a refusal here is
  counted and logged like any answer.

* CORS for the pages of the system's own services (:mod:`exchange.cross_origin`), outermost; and the system's
  service URLs as ``app.state.service_urls``, which the screens serve to their pages (``/screen-links.json``).

* 排队 (one line per process): at most ``ONETHING_HTTP_CONCURRENCY`` requests are worked on at once (each until its
  answer starts: a stream, such as the ops room's case events, goes on outside the line); the rest wait their turn,
  in order of arrival, holding only their body's bytes (read first, so a slow upload holds no turn), not yet checked
  or parsed: a spike of a thousand clients is a thousand waiting connections, not a thousand parsed requests at
  once (intake's peak resident size at 1,000 clients, 254–261 → 165–167 MB: ``docs/performance.md``, step 27).
  The probes, ``/metrics`` and the paths a service names with :func:`serve_without_waiting` (what other processes
  fetch while they answer: the identity platform's keys, a licence issuer's status lists) never wait;
  ``onething_http_requests_waiting`` says how many do.

* 限流: a client sending requests without a token or a signature that checks out (the open routes: the catalogue, notices,
  verification, status lists) is held to ``ONETHING_HTTP_ANONYMOUS_RATE_PER_S`` with a burst of
  ``ONETHING_HTTP_ANONYMOUS_BURST`` (:mod:`exchange.rate_limit`): 429 with ``Retry-After`` beyond it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.text import InputProblem, json_problems, loads_checked, text_problem
from exchange.access.http import proves_itself
from exchange.cross_origin import CrossOrigin
from exchange.db.database import Database
from exchange.errors import DomainRefusal
from exchange.http_telemetry import NATIVE_TELEMETRY, is_probe, observe_requests
from exchange.messages import Text
from exchange.metrics import metrics
from exchange.rate_limit import RateLimiter
from exchange.request_signing import signed_target
from exchange.settings import ExchangeSettings

__all__ = [
    "DEFAULT_MAX_BODY_BYTES", "EdgeLimits", "HttpRefusal", "InputRefused", "ServiceDatabase", "Turn", "WorkingLine",
    "answer_refusals", "harden", "refusal", "refused", "serve_without_waiting", "service_app", "service_database",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES: int = ExchangeSettings.model_fields["http_max_body_bytes"].default  # one default: 1 MiB

_INVALID_ZH = "请求内容有误，请按提示修改后重新提交"
_INVALID_EN = "The request has errors; correct them and send it again"


_SETTINGS = ExchangeSettings.model_fields


class WorkingLine:
    """At most ``limit`` requests worked on at once; the others wait their turn in order of arrival (asyncio's
    semaphore wakes its waiters first come, first served)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._turns = asyncio.Semaphore(limit)
        self.waiting = 0

    async def take_turn(self) -> Turn:
        if self._turns.locked():
            self.waiting += 1
            metrics().http_waiting.inc()
            try:
                await self._turns.acquire()
            finally:
                self.waiting -= 1
                metrics().http_waiting.dec()
        else:
            await self._turns.acquire()  # free now: no wait to count
        return Turn(self._turns)


class Turn:
    """A request's turn, given back once: when its answer starts (a stream, such as the ops room's case events,
    then goes on outside the line) or when it ends without one."""

    def __init__(self, turns: asyncio.Semaphore) -> None:
        self._turns: asyncio.Semaphore | None = turns

    def give_back(self) -> None:
        if self._turns is not None:
            self._turns.release()
            self._turns = None


@dataclass
class EdgeLimits:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    line: WorkingLine = field(default_factory=lambda: WorkingLine(_SETTINGS["http_concurrency"].default))
    unqueued: tuple[str, ...] = ()  # path prefixes that never wait in the line (serve_without_waiting)
    allowed_origins: tuple[str, ...] = ()  # CORS (exchange.cross_origin)
    anonymous: RateLimiter = field(default_factory=lambda: RateLimiter(
        _SETTINGS["http_anonymous_rate_per_s"].default, _SETTINGS["http_anonymous_burst"].default))


_CREDENTIAL_HEADERS = (b"authorization", b"signature")


def _anonymous(scope: Scope) -> bool:
    return not any(name in _CREDENTIAL_HEADERS for name, _ in scope["headers"])


async def _unproven(scope: Scope, body: bytes) -> bool:
    """A request that carries credentials which do not check out counts as anonymous."""
    access = getattr(getattr(scope.get("app"), "state", None), "access", None)
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    return not await proves_itself(access, headers, scope["method"], signed_target(scope), body,
                                   scope.setdefault("state", {}))


def _slow_down(wait_s: float) -> JSONResponse:
    retry = max(1, math.ceil(wait_s))
    return JSONResponse(status_code=429, headers={"Retry-After": str(retry)}, content={
        "error": "too_many_requests", "message_zh": f"请求过于频繁，请 {retry} 秒后再试（未登录调用受限流）",
        "message_en": f"too many requests without a token or signature: try again in {retry} s"})


def refusal(status: int, problems: Iterable[InputProblem], *, error: str = "request_invalid",
            message_zh: str = _INVALID_ZH, message_en: str = _INVALID_EN) -> JSONResponse:
    """The edge's answer: intake's 422 shape, every problem with where it sits."""
    return JSONResponse(status_code=status, content={
        "error": error, "message_zh": message_zh, "message_en": message_en,
        "problems": [asdict(p) for p in problems],
    })


class InputRefused(Exception):
    """Raised by a route for a value its own rules refuse (e.g. a date past the calendar): 422, same shape."""

    def __init__(self, *problems: InputProblem) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message_en}" for p in problems))
        self.problems = problems


async def _on_refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputRefused)
    return refusal(422, exc.problems)


def _too_large(limit: int) -> JSONResponse:
    zh = f"请求体超过 {limit} 字节的上限，请精简后重新提交"
    en = f"the request body is larger than the limit of {limit} bytes"
    return refusal(413, [InputProblem("body", "body_too_large", zh, en)], error="body_too_large",
                   message_zh=zh, message_en=en)


def _path_params(scope: Scope) -> dict[str, Any]:
    """The path parameters of the route the request will reach (the edge runs before routing)."""
    return _params_in(getattr(getattr(scope.get("app"), "router", None), "routes", []), scope) or {}


def _params_in(routes: Iterable[Any], scope: Scope) -> dict[str, Any] | None:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI ≥ 0.165 includes an APIRouter lazily
        if included is not None:
            prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            if scope["path"].startswith(prefix):
                found = _params_in(included.routes, {**scope, "path": scope["path"][len(prefix):]})
                if found is not None:
                    return found
            continue
        match, child = route.matches(scope)
        if match is not Match.NONE:
            return dict(child.get("path_params", {}))
    return None


def _parameter_problems(scope: Scope) -> list[InputProblem]:
    problems: list[InputProblem] = []
    if (whole := text_problem(scope["path"], "path")) is not None:
        problems += [p for name, value in _path_params(scope).items()
                     if (p := text_problem(str(value), f"path.{name}")) is not None]
        if not problems:  # no route names the part: the path as a whole
            problems.append(whole)
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return [*problems, InputProblem("query", "not_utf8", "查询参数不是有效的 UTF-8 编码",
                                       "the query string is not valid UTF-8")]
    for name, value in pairs:
        problems += [p for p in (text_problem(name, "query"), text_problem(value, f"query.{name}")) if p]
    return problems


def _json_body_problems(body: bytes) -> list[InputProblem]:
    """Every refused value of a JSON body (control characters, surrogates, numbers past 64 bits). Strict UTF-8
    JSON is walked only when a byte or a number says a refused value may be there (``loads_checked``); a body
    that is not (UTF-16, a byte-order mark) is walked whole, as the route's own parser may still take it."""
    try:
        document, first = loads_checked(body, "body")
        return [] if first is None else list(json_problems(document, "body"))
    except ValueError:
        try:
            document = json.loads(body)
        except ValueError:
            return []  # not JSON: the route answers that in its own words
        return list(json_problems(document, "body"))


def _is_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when it has no content type, or application/json or application/*+json."""
    content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
    return not content_type or content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json"))


class _EdgeGuard:
    """Pure ASGI, so the body is counted as it arrives and handed on unchanged."""

    def __init__(self, app: ASGIApp, limits: EdgeLimits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = str((scope.get("client") or ("?",))[0])
        anonymous = _anonymous(scope)
        if anonymous and (wait_s := self.limits.anonymous.wait_s(client)):
            await _slow_down(wait_s)(scope, receive, send)
            return
        if problems := _parameter_problems(scope):
            await refusal(422, problems)(scope, receive, send)
            return
        limit = self.limits.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        body = await self._body(scope, receive, send)
        if body is None:
            return
        if is_probe(scope) or str(scope.get("path", "")).startswith(self.limits.unqueued):
            await self._answer(scope, receive, send, body, client, anonymous=anonymous)
            return
        turn = await self.limits.line.take_turn()

        async def answering(message: Message) -> None:
            if message["type"] == "http.response.start":
                turn.give_back()
            await send(message)

        try:
            await self._answer(scope, receive, answering, body, client, anonymous=anonymous)
        finally:
            turn.give_back()

    async def _body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, read before the request takes a turn (a slow upload holds only its own connection); None
        when it was refused as too large or the client went away."""
        limit = self.limits.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, body: bytes, client: str, *,
                      anonymous: bool) -> None:
        if not anonymous and await _unproven(scope, body) and (wait_s := self.limits.anonymous.wait_s(client)):
            await _slow_down(wait_s)(scope, receive, send)
            return
        if body and _is_json(scope) and (problems := _json_body_problems(body)):
            await refusal(422, problems)(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, replay, tracked)
        except Exception as exc:
            if started or not _is_data_exception(exc):
                raise
            logger.warning("refused a value the database cannot hold: %s %s: %s", scope["method"], scope["path"], exc)
            await refusal(422, [InputProblem(
                "request", "out_of_range", "请求中的某个值超出可保存的范围（过长或过大）",
                "a value in the request does not fit what the service stores (too long or out of range)",
            )])(scope, receive, send)


def _is_data_exception(exc: BaseException) -> bool:
    """PostgreSQL's SQLSTATE class 22 (data exception: too long, out of range, bad encoding) for a value of the
    request that no route bound foresaw; it can never succeed, so it is the caller's 422, never a 500 or a 503."""
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("22")


async def _on_overflow(request: Request, exc: Exception) -> JSONResponse:
    return refusal(422, [InputProblem(
        "request", "out_of_range", "数值或日期超出可处理的范围（日期不能晚于 9999-12-31）",
        f"a number or date in the request is out of range (dates end at 9999-12-31): {exc}",
    )])


def harden(app: FastAPI, settings: ExchangeSettings | None = None) -> FastAPI:
    """Install the edge on ``app`` once; with ``settings``, (re)apply the configured limits (body, line, anonymous
    rate) and origins."""
    limits: EdgeLimits | None = getattr(app.state, "edge_limits", None)
    if limits is None:
        limits = app.state.edge_limits = EdgeLimits()
        app.add_middleware(_EdgeGuard, limits=limits)
        observe_requests(app)  # outside the guard: its refusals are counted and logged too
        app.add_middleware(CrossOrigin, origins=lambda: limits.allowed_origins)  # outermost: a preflight needs nothing else
        app.add_exception_handler(OverflowError, _on_overflow)
        app.add_exception_handler(InputRefused, _on_refused)
    if settings is not None:
        limits.max_body_bytes = settings.http_max_body_bytes
        if limits.line.limit != settings.http_concurrency:
            limits.line = WorkingLine(settings.http_concurrency)  # before serving: no request holds a turn yet
        limits.anonymous = RateLimiter(settings.http_anonymous_rate_per_s, settings.http_anonymous_burst)
        limits.allowed_origins = settings.allowed_origins
        app.state.service_urls = dict(settings.service_urls)  # for the screens: where the others are
    return app


def serve_without_waiting(app: FastAPI, *path_prefixes: str) -> None:
    """Requests under these path prefixes never wait in the line: the documents other processes fetch while they
    answer a request of their own (the identity platform's signing keys, a licence issuer's status lists), which in
    line could wait on each other until their fetch timed out. Named by the service that serves them."""
    limits: EdgeLimits = harden(app).state.edge_limits
    limits.unqueued = (*limits.unqueued, *path_prefixes)


def service_app(*, title: str, version: str, description: str = "") -> FastAPI:
    """Every service's app: FastAPI with its own request span and nothing more (:data:`NATIVE_TELEMETRY`) and this
    edge (:func:`harden`); the service adds its routes."""
    return harden(FastAPI(title=title, version=version, description=description, telemetry=NATIVE_TELEMETRY))


async def service_database(request: Request) -> Database:
    """The service's database, which its ``create_app`` keeps as ``app.state.database`` (a routes' dependency)."""
    database: Database = request.app.state.database
    return database


ServiceDatabase = Annotated[Database, Depends(service_database)]

R = TypeVar("R", bound=DomainRefusal)
HttpRefusal = tuple[int, str, str]  # status, Chinese text, English text


def answer_refusals(app: FastAPI, refused: type[R], to_http: Callable[[R], HttpRefusal]) -> None:
    """Answer every ``refused`` (a service's refusal tree) a route raises with the status and texts ``to_http``
    gives (the service's ``entrypoints/errors.py``): ``{"detail": {"message_zh": …, "message_en": …}}``."""
    async def answer(_request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, refused):
            raise exc
        status, message_zh, message_en = to_http(exc)
        return JSONResponse({"detail": {"message_zh": message_zh, "message_en": message_en}}, status_code=status)

    app.add_exception_handler(refused, answer)


def refused(status: int, text: Text) -> HTTPException:
    """What a route raises to refuse by itself (no domain refusal behind it: an unknown id its view did not find, a
    caller its dependency turns away), with a text of the service's catalogue: the same
    ``{"detail": {"message_zh": …, "message_en": …}}`` as :func:`answer_refusals`."""
    return HTTPException(status, detail={"message_zh": text.zh, "message_en": text.en})
