"""Structured logs (结构化日志, 可观测性): one JSON object per line, with the trace and the case it belongs to.

:class:`JsonFormatter` writes ``time`` (UTC, ISO 8601), ``level``, ``service``, ``logger``, ``message`` and, when
known, ``trace_id`` and ``span_id`` (the current OpenTelemetry span: an HTTP request's, or the consumer's
``"<topic> process"`` span), ``case_id`` and ``exception``. The access log (:mod:`exchange.http_telemetry`) adds
``method``, ``route``, ``status`` and ``duration_ms``. ``ONETHING_LOG_FORMAT=text`` keeps the plain lines for
people reading a terminal (:func:`exchange.runtime.configure_logging`).

The case a line belongs to comes from a context variable: the consumer runner binds the envelope's subject while
it handles a record (:func:`bind_case`); the HTTP edge binds the request (:func:`bind_request`) and the case is its
``{case_id}`` path parameter, read when a line is written (routing fills it in after the edge has run).

Personal data: the message and the traceback are masked by :func:`exchange.privacy.redact` (as in text), the
line is written with ``ensure_ascii=False`` so a leaked name would stand out rather than hide as ``\\u`` escapes,
and no body or raw path is ever a field (the access log names the route template).
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import trace

from exchange.privacy import redact

__all__ = [
    "ACCESS_FIELDS", "JsonFormatter", "LogFormat", "bind_case", "bind_request", "current_case_id", "unbind_case",
    "unbind_request",
]

LogFormat = Literal["json", "text"]

_CASE_ID: ContextVar[str | None] = ContextVar("onething_case_id", default=None)
_REQUEST: ContextVar[MutableMapping[str, Any] | None] = ContextVar("onething_http_scope", default=None)

ACCESS_FIELDS = ("method", "route", "status", "duration_ms")  # what an access-log record carries besides its message


def bind_case(case_id: str | None) -> Token[str | None]:
    return _CASE_ID.set(case_id)


def unbind_case(token: Token[str | None]) -> None:
    _CASE_ID.reset(token)


def bind_request(scope: MutableMapping[str, Any]) -> Token[MutableMapping[str, Any] | None]:
    return _REQUEST.set(scope)


def unbind_request(token: Token[MutableMapping[str, Any] | None]) -> None:
    _REQUEST.reset(token)


def current_case_id() -> str | None:
    """The case the running code works on: the record being handled, else the request's ``{case_id}``."""
    case_id = _CASE_ID.get()
    if case_id is not None:
        return case_id
    scope = _REQUEST.get()
    if scope is None:
        return None
    found = scope.get("path_params", {}).get("case_id")
    return found if isinstance(found, str) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line, personal data masked."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        if (case_id := current_case_id()) is not None:
            line["case_id"] = redact(case_id)  # a path segment is whatever the caller typed, an ID number included
        for name in ACCESS_FIELDS:
            if (value := record.__dict__.get(name)) is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)
