"""What every HTTP request leaves behind (HTTP 可观测性): a line in the access log and the request metrics.

:func:`observe_requests` is installed by :func:`exchange.http_edge.harden` (so once on every service's app, outside
the edge's own refusals, which it then counts too). Per request it:

* binds the request for the log lines written while it runs (their ``case_id``, :mod:`exchange.logs`);
* counts it in ``onething_http_requests_total`` and times it in ``onething_http_request_duration_seconds``
  (:mod:`exchange.metrics`) by method, route template and status;
* writes one access-log line (logger ``onething.access``): method, route template, status, duration in ms, and
  the trace id of the request's span. Never the raw path, query or body (they can hold an ID number). Probes and
  scrapes (``/healthz``, ``/readyz``, ``/metrics``) are logged at DEBUG, so they do not drown the rest.

It runs inside FastAPI's own request span, so the access line and the metrics share the request's trace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exchange.logs import bind_request, unbind_request
from exchange.metrics import metrics

__all__ = ["NATIVE_TELEMETRY", "UNROUTED", "is_probe", "observe_requests", "route_of"]

access_log = logging.getLogger("onething.access")

UNROUTED = "unrouted"  # answered before or without routing: a 404, or the edge's 413/422/429
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def is_probe(scope: MutableMapping[str, Any]) -> bool:
    """A liveness or readiness probe, or a metrics scrape."""
    return scope.get("path") in _QUIET_ROUTES


# FastAPI's own OpenTelemetry (``FastAPI(telemetry=...)``), as every service sets it: the request's server span
# and nothing else. Not three more spans per request (dependencies, endpoint, serialization: ~170 µs each,
# docs/performance.md, step 22); not its metrics (this module counts requests for Prometheus); not its logs
# (a validation failure carries the input, personal data included); no span for the probes.
NATIVE_TELEMETRY: TelemetryConfig = {"operation_spans": False, "metrics": False, "logs": False, "exclude": is_probe}


def route_of(scope: Scope, path: str | None = None, root_path: str = "") -> str:
    """The template of the route that answered (``/cases/{case_id}``), or :data:`UNROUTED`.

    FastAPI names it on the request's span (``http.route``, prefixes and mounts included); without tracing, an API
    route leaves itself in the scope. A request answered before routing (the edge's refusals) is matched again, by
    its original ``path`` and ``root_path`` (a mount changes them), against the app's routes: only for those."""
    named = getattr(trace.get_current_span(), "attributes", None)
    template = named.get("http.route") if named else None
    if isinstance(template, str) and template:
        return template
    route: Any = scope.get("route")
    if route is None and path is not None:
        routes = getattr(getattr(scope.get("app"), "router", None), "routes", ())
        return _match(routes, {**scope, "path": path, "root_path": root_path}) or UNROUTED
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) and template else UNROUTED


def _match(routes: Iterable[Any], scope: Scope, prefix: str = "") -> str | None:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI ≥ 0.165 includes an APIRouter lazily
        if included is not None:
            inner = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            if scope["path"].startswith(inner) and (found := _match(
                    included.routes, {**scope, "path": scope["path"][len(inner):]}, prefix + inner)) is not None:
                return found
            continue
        if route.matches(scope)[0] is not Match.NONE and isinstance(template := getattr(route, "path_format", None), str):
            return prefix + template
    return None


class _Observed:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.metrics = metrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path, root_path = scope["path"], scope.get("root_path", "")
        status = 500  # what the server answers if the app raises before starting a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        bound = bind_request(scope)
        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            method, route = _known_method(scope["method"]), route_of(scope, path, root_path)
            self.metrics.http(method, route, status, seconds)
            level = logging.DEBUG if route in _QUIET_ROUTES else logging.INFO
            if access_log.isEnabledFor(level):
                duration_ms = round(seconds * 1000, 1)
                access_log.log(level, "%s %s %d %.1f ms", method, route, status, duration_ms, extra={
                    "method": method, "route": route, "status": status, "duration_ms": duration_ms})
            unbind_request(bound)


# A method label is what the client sent, and the server accepts any token there: one outside these would add a
# series (and a cached label child) per invented name, so it is counted as "other".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def _known_method(method: str) -> str:
    return method if method in _METHODS else "other"


def observe_requests(app: FastAPI) -> None:
    """Install the access log and the request metrics on ``app`` (once; :func:`exchange.http_edge.harden` calls it)."""
    if getattr(app.state, "observed", False):
        return
    app.state.observed = True
    app.add_middleware(_Observed)
