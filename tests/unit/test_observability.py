"""The pure parts of observability (可观测性): the JSON log line, the route a request is counted under, the setting."""

from __future__ import annotations

import json
import logging
import sys

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from exchange.http_edge import harden
from exchange.http_telemetry import UNROUTED
from exchange.logs import JsonFormatter, bind_case, unbind_case
from exchange.metrics import metrics
from exchange.settings import ExchangeSettings


def _record(message: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("intake.x", logging.WARNING, __file__, 1, message, args,
                               sys.exc_info() if exc else None)
    record.__dict__.update(extra)
    return record


def test_a_line_is_one_json_object_with_personal_numbers_masked_and_chinese_kept() -> None:
    formatter = JsonFormatter("intake")
    case = bind_case("OT2026120422E49A58F625")
    try:
        try:
            raise ValueError("申请人 430104199001011234 电话 13800138000")
        except ValueError:
            line = formatter.format(_record("受理 %s", "430104199001011234", exc=True))
    finally:
        unbind_case(case)
    parsed = json.loads(line)
    assert parsed["service"] == "intake" and parsed["logger"] == "intake.x" and parsed["level"] == "WARNING"
    assert parsed["case_id"] == "OT2026120422E49A58F625"
    assert parsed["message"] == "受理 430104********1234" and "受理" in line  # not \\u escaped
    assert "430104199001011234" not in line and "13800138000" not in line
    assert "ValueError" in parsed["exception"]
    assert "trace_id" not in parsed  # no span here
    assert "case_id" not in json.loads(formatter.format(_record("after")))
    typed = bind_case("110101199003070011")  # a path's {case_id} is whatever the caller typed
    try:
        assert json.loads(formatter.format(_record("read")))["case_id"] == "110101********0011"
    finally:
        unbind_case(typed)


def test_an_access_record_carries_its_fields() -> None:
    line = json.loads(JsonFormatter("dispatch").format(
        _record("GET /x 200", method="GET", route="/x", status=200, duration_ms=1.5)))
    assert (line["method"], line["route"], line["status"], line["duration_ms"]) == ("GET", "/x", 200, 1.5)


async def test_requests_are_counted_by_route_template_even_when_refused_before_routing() -> None:
    app = harden(FastAPI())

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> str:
        return thing_id

    def count(route: str, status: str) -> float:
        return metrics().registry.get_sample_value(
            "onething_http_requests_total", {"method": "GET", "route": route, "status": status}) or 0.0

    before = {key: count(*key) for key in [("/things/{thing_id}", "200"), ("/things/{thing_id}", "413"),
                                            (UNROUTED, "404")]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/things/a-1")).status_code == 200
        assert (await client.get("/things/a-2", headers={"content-length": str(2**30)})).status_code == 413
        assert (await client.get("/nowhere")).status_code == 404
    assert {key: count(*key) - n for key, n in before.items()} == dict.fromkeys(before, 1.0)


async def test_a_method_nobody_defined_is_counted_as_other_not_as_a_new_series() -> None:
    app = harden(FastAPI())
    sample = metrics().registry.get_sample_value
    before = sample("onething_http_requests_total", {"method": "other", "route": UNROUTED, "status": "404"}) or 0.0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for name in ("ZZ0", "ZZ1"):
            await client.request(name, "/nowhere")
    assert sample("onething_http_requests_total", {"method": "other", "route": UNROUTED, "status": "404"}) == before + 2
    assert sample("onething_http_requests_total", {"method": "ZZ0", "route": UNROUTED, "status": "404"}) is None


def test_the_log_format_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ExchangeSettings().log_format == "json"
    monkeypatch.setenv("ONETHING_LOG_FORMAT", "text")
    assert ExchangeSettings().log_format == "text"
    monkeypatch.setenv("ONETHING_LOG_FORMAT", "yaml")
    with pytest.raises(ValidationError):
        ExchangeSettings()
