"""What the ops room (运维室) reads from dispatch, and who may: ``/ops/restarts`` (``system.json``), ``/traces/{case_id}``
(the spans kept in the data dir), ``/ops/case-events`` (the case stream live) and every service's ``/dead-letters``
with a bearer token, on dispatch's app as ``create_app`` builds it (conftest.py). Operators only: no token 401,
another role 403, the operator's token (or the signed ``operator`` request) 200. The stream itself is read in the
browser test (``tests/browser/test_ops_room.py``), on the running system's broker."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from dispatch.entrypoints.ops_api import OpsSources
from exchange.access.roles import Role
from exchange.http_identity import async_signing_hook
from exchange.signing import KeyRing, ensure_keys
from exchange.system_state import STATE_FILE
from exchange.testing.access import TestTokens
from exchange.trace_store import CASE_ATTRIBUTE, TRACES_FOLDER, LocalSpanFile

from .conftest import SIGNER, Apps

pytestmark = pytest.mark.integration

ROUTES = ["/ops/restarts", "/traces/OT-TRACED", "/ops/case-events", "/dead-letters"]


def _spans(data_dir: Path) -> None:
    """One case's trace as two processes keep it: intake's request, dispatch's consumer span under it."""
    folder = data_dir / TRACES_FOLDER
    providers = {name: TracerProvider(resource=Resource.create({"service.name": name})) for name in ("intake", "dispatch")}
    for name, provider in providers.items():
        provider.add_span_processor(SimpleSpanProcessor(LocalSpanFile(folder / f"{name}.jsonl")))
    with providers["intake"].get_tracer("t").start_as_current_span("POST /cases") as root:
        root.set_attribute(CASE_ATTRIBUTE, "OT-TRACED")
        with providers["dispatch"].get_tracer("t").start_as_current_span("onething.case.stream process") as consumed:
            consumed.set_attribute(CASE_ATTRIBUTE, "OT-TRACED")


@pytest.fixture
async def dispatch(apps: Apps, tmp_path: Path) -> httpx.AsyncClient:
    app = await apps("dispatch")
    (tmp_path / STATE_FILE).write_text(json.dumps({
        "pid": os.getpid(), "processes": {"intake": {"url": "http://intake.test", "pid": 1, "restarts": 2},
                                          "dispatch": {"url": "http://dispatch.test", "pid": 2, "restarts": 0}},
        "restarts": [{"name": "intake", "returncode": -9}], "restart_count": 2}))
    _spans(tmp_path)
    app.state.ops_sources = OpsSources(tmp_path)  # no broker: the stream answers 503 to an operator
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dispatch.test")


@pytest.mark.parametrize("path", ROUTES)
async def test_the_ops_routes_are_the_operators(dispatch: httpx.AsyncClient, tokens: TestTokens, path: str) -> None:
    async with dispatch:
        assert (await dispatch.get(path)).status_code == 401
        for role in (Role.CLERK, Role.SUPERVISOR, Role.ANALYST):
            denied = await dispatch.get(path, headers=tokens.headers(role))
            assert denied.status_code == 403, (role, denied.text)
        allowed = await dispatch.get(path, headers=tokens.headers(Role.OPERATOR))
        assert allowed.status_code == (503 if path == "/ops/case-events" else 200), allowed.text


async def test_restarts_come_from_system_json_and_are_unknown_without_it(
        dispatch: httpx.AsyncClient, tokens: TestTokens, tmp_path: Path) -> None:
    async with dispatch:
        known = (await dispatch.get("/ops/restarts", headers=tokens.headers(Role.OPERATOR))).json()
        assert known["known"] is True and known["restart_count"] == 2
        assert known["processes"] == {"intake": {"restarts": 2}, "dispatch": {"restarts": 0}}
        assert known["latest"] == [{"name": "intake", "returncode": -9}]
        (tmp_path / STATE_FILE).unlink()  # as under docker compose
        unknown = (await dispatch.get("/ops/restarts", headers=tokens.headers(Role.OPERATOR))).json()
        assert unknown == {"known": False, "processes": {}, "restart_count": 0, "latest": []}


async def test_a_case_trace_across_processes_with_depths(dispatch: httpx.AsyncClient, tokens: TestTokens) -> None:
    async with dispatch:
        trace = (await dispatch.get("/traces/OT-TRACED", headers=tokens.headers(Role.OPERATOR))).json()
        assert trace["case_id"] == "OT-TRACED" and trace["traces"] == 1 and trace["services"] == ["dispatch", "intake"]
        assert [(s["service"], s["name"], s["depth"]) for s in trace["spans"]] == [
            ("intake", "POST /cases", 0), ("dispatch", "onething.case.stream process", 1)]
        assert trace["spans"][0]["offset_ms"] == 0 and "attributes" not in trace["spans"][0]
        missing = await dispatch.get("/traces/OT-NONE", headers=tokens.headers(Role.OPERATOR))
        assert missing.status_code == 404 and "OT-NONE" in missing.json()["detail"]["message_zh"]


async def test_a_signed_operator_request_is_an_operator_too(
        dispatch: httpx.AsyncClient, keyring: KeyRing) -> None:
    ensure_keys(keyring.keys_dir, ["operator"], holder="tests")
    operator = [async_signing_hook(keyring.signer("operator"), "运维室测试 ops room tests")]
    department = [async_signing_hook(keyring.signer(SIGNER), "运维室测试 ops room tests")]
    async with dispatch:
        dispatch.event_hooks["request"] = operator
        assert (await dispatch.get("/traces/OT-TRACED")).status_code == 200
        dispatch.event_hooks["request"] = department  # a department, though its key may work dead letters here
        assert (await dispatch.get("/traces/OT-TRACED")).status_code == 403
        assert (await dispatch.get("/dead-letters")).status_code == 200  # ONETHING_DEAD_LETTER_OPERATORS keeps its meaning
