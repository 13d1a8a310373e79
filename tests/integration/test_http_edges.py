"""Every service's HTTP edge refuses what would break later (issue 13, item 7), on the real PostgreSQL.

NUL and other control characters in a body field, a path or a query parameter: 422 naming the place. A body
over the limit: 413, with or without a Content-Length. Integers, dates and strings out of range in any route's parameters or body
(driven from each app's OpenAPI document, so a new route is fuzzed without a new test): never a 5xx. A clock
advance or extension past the calendar's end: 422. And the symptom that opened the issue: a name with U+0000
is refused at intake, so no case is created (it used to be accepted, then dead-lettered at the licence insert).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from onething_screens import CONTENT_SECURITY_POLICY, content_security_policy
from sqlmodel import func, select

from contracts.days import china_today
from contracts.envelope import Envelope, EnvelopeError
from contracts.identifiers import make_resident_id
from contracts.workdays import national_calendar
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.errors import Malformed
from exchange.http_edge import harden
from exchange.http_identity import async_signing_hook
from exchange.kafka.consumer import decode_record
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing
from exchange.testing.access import AuthorisedClient, TestTokens
from exchange.testing.outbox import outbox
from intake.adapters.tables import IntakeCase
from supervision.adapters.tables import SupervisionClock
from supervision.entrypoints.api import create_app as supervision_app
from supervision.service_layer.scan import scan
from supervision.service_layer.today import LATEST_TODAY, Today
from supervision.service_layer.unit_of_work import supervision_work

pytestmark = pytest.mark.integration

CAL = national_calendar()
SIGNER = "dept.approval"  # a department the shared apps (conftest.py) know, and an archive reader
MOTHER_ID = make_resident_id("110105", date(1992, 5, 17), 24)
FATHER_ID = make_resident_id("110105", date(1990, 8, 1), 17)


def p01_application(name: str) -> dict[str, Any]:
    """A valid P-01 (新生儿出生一件事) application by ``name``, as intake's own API tests send it."""
    return {
        "bundle_code": "P-01",
        "applicant": {"name": name, "id_number": MOTHER_ID, "phone": "13800138000"},
        "form": {
            "newborn_name": "李小明", "newborn_sex": "男", "birth_date": (china_today() - timedelta(days=3)).isoformat(),
            "birth_hospital": "市妇幼保健院", "mother_name": "王芳", "mother_id_number": MOTHER_ID,
            "father_name": "李强", "father_id_number": FATHER_ID, "household_address": "北京市东城区某街道1号",
            "bank_account": "6222020200112233445",
        },
        "materials": {
            "P-01-01-M1": {"document": "sha256:" + "1" * 64},
            "P-01-03-M4": {"document": "sha256:" + "2" * 64},
            "P-01-05-M1": {"document": "sha256:" + "3" * 64},
        },
        "channel": "window", "window_id": "W01", "staff_id": "S001",
        "delivery": {"method": "mail", "address": "北京市东城区某街道1号 100010"},
    }


SERVICES = ("intake", "dispatch", "licence", "rating", "supervision", "gateway", "simulators")
Apps = Callable[[str], Awaitable[FastAPI]]  # the ``apps`` fixture of conftest.py
Client = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client(apps: Apps, keyring: KeyRing, tokens: TestTokens) -> AsyncIterator[Client]:
    """``await client(service)``: requests to that service's app signed as a department, with a token of every
    role besides (window W01's clerk, and the test applicant). A signature wins over a token, so routes for
    other roles take ``signed=False`` (the token alone), as do bodies streamed without a length, which a
    signature cannot cover before they are read."""
    opened: dict[tuple[str, bool], httpx.AsyncClient] = {}

    async def _client(service: str, *, signed: bool = True) -> httpx.AsyncClient:
        if (service, signed) not in opened:
            hooks = [async_signing_hook(keyring.signer(SIGNER), "边界测试 edge test")] if signed else []
            opened[service, signed] = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=await apps(service), raise_app_exceptions=False),
                base_url=f"http://{service}.test", event_hooks={"request": hooks},
                headers=tokens.headers(*Role))
        return opened[service, signed]

    yield _client
    for http in opened.values():
        await http.aclose()


def problem_paths(response: httpx.Response) -> list[str]:
    body = response.json()
    assert body["message_zh"] and body["message_en"], body
    return [p["path"] for p in body["problems"]]


# --- control characters -------------------------------------------------------------------------------------


async def test_a_name_with_nul_is_refused_at_intake_and_no_case_is_created(
        dbs: Callable[[str], Awaitable[Database]], client: Client) -> None:
    """The issue's symptom on PostgreSQL: accepted (201), then dead-lettered at the licence insert. Now 422."""
    response = await (await client("intake")).post("/cases", json=p01_application("王\x00芳"))
    assert response.status_code == 422, response.text
    assert problem_paths(response) == ["body.applicant.name"]
    problem = response.json()["problems"][0]
    assert problem["type"] == "control_character" and "U+0000" in problem["message_zh"]
    assert "U+0000" in problem["message_en"]
    async with (await dbs("intake")).sessions() as session:
        assert (await session.exec(select(func.count()).select_from(IntakeCase))).one() == 0
    assert await outbox(await dbs("intake")) == []
    # The same application with a clean name is accepted: the refusal was the character, nothing else.
    # (with the clerk's token alone: a signature would win over it, and it is a department's)
    assert (await (await client("intake", signed=False)).post("/cases", json=p01_application("王芳"))).status_code == 201


@pytest.mark.parametrize(("service", "method", "url", "body", "where"), [
    ("rating", "POST", "/ratings", {"case_id": "OT1", "touchpoint": "delivery", "level": "satisfied",
                                    "comment": "很好\x01", "rated_via": "portal"}, "body.comment"),
    ("licence", "POST", "/verify", {"credentialSubject": {"holder": {"name": "张\x85三"}}},
     "body.credentialSubject.holder.name"),
    ("supervision", "POST", "/clocks/c1/extensions", {"days": 1, "reason_zh": "现场\x1b核查"},
     "body.reason_zh"),
    ("intake", "POST", "/blacklist", {"id_number": MOTHER_ID, "reason_zh": "虚假材料", "listed_by": "S001",
                                      "case_id": "OT\udc00"}, "body.case_id"),
    ("intake", "POST", "/cases", {**p01_application("王芳"), "form": {"newborn\x00name": "李小明"}},
     "body.form.newborn\\u0000name"),
])
async def test_a_control_character_in_any_body_field_is_refused_naming_it(
        client: Client, service: str, method: str, url: str, body: dict[str, Any],
        where: str) -> None:
    content = json.dumps(body, ensure_ascii=True)  # \\u escapes: how JSON carries them, lone surrogates too
    response = await (await client(service)).request(method, url, content=content,
                                             headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert problem_paths(response) == [where]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
async def test_a_control_character_is_refused_in_every_encoding_a_route_would_read(client: Client,
                                                                                 encoding: str) -> None:
    """The edge looks into a strict UTF-8 body only when its bytes say a refused value may be there; a body in
    any other encoding JSON allows (which the route's own parser reads too) is looked into whole."""
    for ensure_ascii in (True, False):  # the ESC goes as \u001b either way; the Chinese as escapes or as itself
        body = json.dumps({"days": 1, "reason_zh": "现场\x1b核查"}, ensure_ascii=ensure_ascii).encode(encoding)
        response = await (await client("supervision")).post("/clocks/c1/extensions", content=body,
                                                             headers={"content-type": "application/json"})
        assert response.status_code == 422, (encoding, ensure_ascii, response.text)
        assert problem_paths(response) == ["body.reason_zh"], (encoding, ensure_ascii)


async def test_line_breaks_and_tabs_are_free_text(client: Client) -> None:
    """A multi-line reason is legitimate: TAB, LF and CR pass the edge (the route's own rules then apply)."""
    response = await (await client("supervision", signed=False)).post("/clocks/nope/extensions",
                                                 json={"days": 1, "reason_zh": "现场核查\n\t经批准\r\n"})
    assert response.status_code == 404  # reached the route: no such clock


@pytest.mark.parametrize(("service", "url", "where"), [
    ("intake", "/cases/OT2026%00X", "path.case_id"),
    ("dispatch", "/cases/OT%0A1/tasks", "path.case_id"),  # a line break is no part of an identifier
    ("supervision", "/cases/OT%C2%9F/supervision", "path.case_id"),
    ("licence", "/licences/L%01/verification", "path.licence_id"),
    ("simulators", "/departments%00", "path"),
    ("intake", "/catalogue/P-01/notice?items=P-01-01%00", "query.items"),
    ("supervision", "/figures?by=%07department", "query.by"),
    ("rating", "/rectifications?state=open%00", "query.state"),
])
async def test_a_control_character_in_a_path_or_query_parameter_is_refused_naming_it(
        client: Client, service: str, url: str, where: str) -> None:
    response = await (await client(service)).get(url)
    assert response.status_code == 422, response.text
    assert problem_paths(response) == [where]


async def test_integers_beyond_64_bits_and_non_finite_numbers_in_a_body_are_refused(
        client: Client) -> None:
    for literal, kind in (("9223372036854775808", "int"), ("NaN", "nan"), ("1e999", "inf")):
        content = '{"days": ' + literal + ', "reason_zh": "现场核查"}'
        response = await (await client("supervision")).post("/clocks/c1/extensions", content=content,
                                                     headers={"content-type": "application/json"})
        assert response.status_code == 422, (kind, response.text)
        assert problem_paths(response) == ["body.days"]


# --- body size ----------------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_with_413_with_or_without_content_length(
        client: Client) -> None:
    big = json.dumps({"comment": "评" * (1024 * 1024)}).encode()  # three bytes a character: 3 MiB
    declared = await (await client("rating")).post("/ratings", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413, declared.text
    assert declared.json()["error"] == "body_too_large" and "1048576" in declared.json()["message_zh"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 64 * 1024):
            yield big[start:start + 64 * 1024]

    chunked = await (await client("intake", signed=False)).post("/cases", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413, chunked.text
    assert chunked.json()["problems"][0]["type"] == "body_too_large"
    # Under the limit, a chunked body reaches the route whole.

    async def small() -> AsyncIterator[bytes]:
        body = json.dumps({"days": 1, "reason_zh": "现场核查"}).encode()
        yield body[:10]
        yield body[10:]

    assert (await (await client("supervision", signed=False)).post("/clocks/nope/extensions", content=small(),
                                              headers={"content-type": "application/json"})).status_code == 404


async def test_the_body_limit_is_the_configured_one(apps: Apps) -> None:
    app = harden(await apps("dispatch"), ExchangeSettings(http_max_body_bytes=2048))  # as serve() applies it
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as http:
        response = await http.post("/cases/x/tasks", content=b"x" * 2049)
        assert response.status_code == 413 and "2048" in response.json()["message_en"]
        assert (await http.post("/cases/x/tasks", content=b"x" * 2048)).status_code == 405  # read, then routed


async def test_what_other_processes_fetch_while_answering_never_waits_in_line(apps: Apps) -> None:
    """A token check anywhere may fetch the identity platform's keys, a licence verifier another issuer's status list,
    in the middle of a request of its own: those paths are named to pass the line (``serve_without_waiting``)."""
    assert "/.well-known/" in (await apps("simulators")).state.edge_limits.unqueued
    assert "/status-lists/" in (await apps("licence")).state.edge_limits.unqueued


async def test_no_route_dependency_runs_in_a_worker_thread(apps: Apps) -> None:
    """FastAPI runs a plain ``def`` dependency in its thread pool: a thread hop (and the GIL handed back and forth)
    for what is a look at ``app.state``. Every dependency of every route of every service is a coroutine (or a
    FastAPI security scheme, whose ``__call__`` is one)."""
    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute

    def calls(dependant: Dependant) -> list[Any]:
        return [dependant.call, *(c for d in dependant.dependencies for c in calls(d))]

    def api_routes(routes: list[Any]) -> list[APIRoute]:  # an included router stays one entry, its routes inside
        found: list[APIRoute] = []
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            elif (included := getattr(route, "original_router", None)) is not None:
                found += api_routes(included.routes)
        return found

    sync: list[str] = []
    routes = 0
    for service in SERVICES:
        for route in api_routes((await apps(service)).routes):
            routes += 1
            for call in calls(route.dependant)[1:]:  # the endpoint itself may be either
                target = call if inspect.isfunction(call) else getattr(call, "__call__", call)  # noqa: B004
                if not inspect.iscoroutinefunction(target):
                    sync.append(f"{service} {route.path}: {getattr(call, '__qualname__', call)}")
    assert routes > 80, routes  # every service's API, included routers too (93 on 2026-12-07)
    assert not sync, sorted(set(sync))


# --- numbers, dates and lengths out of range, every route ----------------------------------------------------------------------

FUZZ_INTEGERS = (2**63, -1, 10**30)
KNOWN_PATH_VALUES = {"code": SIGNER.removeprefix("dept.")}  # the gateway's department routes: the signer's own
FUZZ_DATES = ("9999-12-31", "0001-01-01")
FUZZ_TEXT = "x" * 3000  # longer than any column: a string the route does not bound must not reach a write
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _kinds(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The JSON types (and date formats) a schema allows, through anyOf/allOf and references."""
    schema = _resolve(document, schema)
    kinds = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    if schema.get("format") == "date":
        kinds.add("date")
    for part in (*schema.get("anyOf", ()), *schema.get("allOf", ())):
        kinds |= _kinds(document, part)
    return kinds


def _sample(document: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value: the schema's example, else one of its type."""
    schema = _resolve(document, schema)
    if "examples" in schema and isinstance(schema["examples"], list) and schema["examples"]:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    for part in (*schema.get("anyOf", ()), *schema.get("allOf", ())):
        if _resolve(document, part).get("type") != "null":
            return _sample(document, part, depth)
    kinds = _kinds(document, schema)
    if "date" in kinds:
        return "2026-03-02"
    if "integer" in kinds or "number" in kinds:
        return max(int(schema.get("minimum", 1)), 1)
    if "boolean" in kinds:
        return True
    if "array" in kinds:
        return [_sample(document, schema.get("items", {}), depth + 1)] if depth < 3 else []
    if "object" in kinds or "properties" in schema:
        return {name: _sample(document, prop, depth + 1) for name, prop in schema.get("properties", {}).items()
                if name in schema.get("required", ())} if depth < 4 else {}
    return "x" * max(int(schema.get("minLength", 1)), 1)


def _integer_places(document: dict[str, Any], schema: dict[str, Any], body: Any,
                    at: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], set[str]]]:
    """Where in a body an integer or a date goes (top-level and nested properties), by the schema."""
    schema = _resolve(document, schema)
    places: list[tuple[tuple[str, ...], set[str]]] = []
    for part in (*schema.get("anyOf", ()), *schema.get("allOf", ())):
        places += _integer_places(document, part, body, at)
    for name, prop in schema.get("properties", {}).items():
        kinds = _kinds(document, prop)
        if kinds & {"integer", "number", "date"}:
            places.append(((*at, name), kinds))
        if "object" in kinds and len(at) < 3:
            places += _integer_places(document, prop, body, (*at, name))
    return places


def _example_places(body: Any, at: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], set[str]]]:
    """Where an example body holds a number or an ISO date (free-form parts too, such as intake's form)."""
    if isinstance(body, dict):
        return [p for k, v in body.items() for p in _example_places(v, (*at, k))]
    if isinstance(body, list):
        return [p for i, v in enumerate(body) for p in _example_places(v, (*at, i))]
    if isinstance(body, int | float) and not isinstance(body, bool):
        return [(at, {"integer"})]
    if isinstance(body, str) and ISO_DATE.fullmatch(body):
        return [(at, {"date"})]
    if isinstance(body, str):
        return [(at, {"string"})]
    return []


def _with(body: Any, place: tuple[str | int, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in place[:-1]:
        if isinstance(target, dict):
            target = target.setdefault(step, {})
        elif isinstance(target, list) and isinstance(step, int) and step < len(target):
            target = target[step]
        else:
            return copy
    if isinstance(target, dict) or (isinstance(target, list) and isinstance(place[-1], int)):
        target[place[-1]] = value  # type: ignore[index]
    return copy


def _values(kinds: set[str]) -> tuple[Any, ...]:
    if kinds == {"string"}:
        return (FUZZ_TEXT,)
    return (*FUZZ_INTEGERS, *(FUZZ_DATES if "date" in kinds else ()))


async def test_out_of_range_inputs_in_any_route_never_answer_5xx(apps: Apps, client: Client) -> None:
    tried: list[str] = []
    failures: list[str] = []
    for service in SERVICES:
        app = await apps(service)
        document = app.openapi()
        for template, operations in document["paths"].items():
            for method, operation in operations.items():
                params = operation.get("parameters", [])
                path_values = {p["name"]: KNOWN_PATH_VALUES.get(p["name"]) or _sample(document, p.get("schema", {}))
                               for p in params if p["in"] == "path"}
                query = {p["name"]: _sample(document, p.get("schema", {})) for p in params
                         if p["in"] == "query" and p.get("required")}
                content = operation.get("requestBody", {}).get("content", {}).get("application/json")
                body_schema = content.get("schema", {}) if content else None
                examples = (content or {}).get("examples") or {}
                body = (next(iter(examples.values()))["value"] if examples
                        else _sample(document, body_schema) if body_schema is not None else None)

                attempts: list[tuple[dict[str, Any], dict[str, Any], Any]] = []
                for p in params:
                    kinds = _kinds(document, p.get("schema", {}))
                    if not kinds & {"integer", "number", "date", "string"}:
                        continue
                    for value in _values(kinds):
                        if p["in"] == "path":
                            attempts.append(({**path_values, p["name"]: value}, query, body))
                        elif p["in"] == "query":
                            attempts.append((path_values, {**query, p["name"]: value}, body))
                if body_schema is not None:
                    places: list[tuple[tuple[str | int, ...], set[str]]] = [
                        *_integer_places(document, body_schema, body), *_example_places(body)]
                    for place, kinds in places:
                        attempts += [(path_values, query, _with(body, place, v)) for v in _values(kinds)]
                for path_args, query_args, sent in attempts:
                    url = template.format(**{k: str(v) for k, v in path_args.items()})
                    response = await (await client(service)).request(
                        method.upper(), url, params=query_args,
                        content=None if sent is None else json.dumps(sent),
                        headers={"content-type": "application/json"} if sent is not None else None)
                    tried.append(f"{service} {method.upper()} {url} {query_args}")
                    if response.status_code >= 500:
                        failures.append(f"{service} {method.upper()} {url} {query_args} {sent!r:.200}: "
                                        f"{response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
    # The fuzz reached the routes that take numbers (a guard against a generator that silently finds none).
    assert any("/clock/advance" in t for t in tried) and any("/status-lists/" in t for t in tried)
    assert any("/clocks/" in t and "extensions" in t for t in tried) and any("/figures" in t for t in tried)
    assert any("/dead-letters" in t for t in tried) and any("/departments/approval/requests" in t for t in tried)


# --- dates past the calendar --------------------------------------------------------------------------------


async def test_a_clock_advance_past_the_calendar_is_refused(dbs: Callable[[str], Awaitable[Database]],
                                                            api_client: AuthorisedClient) -> None:
    today = Today(offset_days=(LATEST_TODAY - china_today()).days - 10)  # ten days before the clock's end
    database = await dbs("supervision")
    work = partial(supervision_work, database)
    app = supervision_app(database, CAL, today, lambda: scan(work, today(), CAL), clock_control=True)
    async with api_client(app, Role.OPERATOR, base_url="http://s") as http:
        response = await http.post("/clock/advance", json={"days": 366})
        assert response.status_code == 422, response.text
        assert problem_paths(response) == ["body.days"]
        assert response.json()["problems"][0]["type"] == "date_out_of_range"
        assert today() == LATEST_TODAY - timedelta(days=10)  # refused whole: the clock did not move
        assert (await http.post("/clock/advance", json={"days": 10})).status_code == 200  # up to the end: fine


async def test_an_extension_past_the_calendar_is_refused(dbs: Callable[[str], Awaitable[Database]],
                                                         api_client: AuthorisedClient) -> None:
    """A clock started a few weeks before 9999-12-31 cannot be extended past it; nothing is written."""
    database = await dbs("supervision")
    started = date(9999, 11, 20)
    async with database.unit_of_work() as uow:
        uow.session.add(SupervisionClock(
            clock_id="far", case_id="OTFAR", kind="item", task_id="OTFAR/E-01-01", attempt=1, item_code="E-01-01",
            department="market", limit_working_days=20, statutory_working_days=20,
            started_at=datetime(9999, 11, 20, 2, tzinfo=UTC),
            started_on=started, due_on=CAL.add_working_days(started, 20)))
    work = partial(supervision_work, database)
    app = supervision_app(database, CAL, Today(), lambda: scan(work, china_today(), CAL), clock_control=True)
    async with api_client(app, Role.SUPERVISOR, base_url="http://s") as http:
        response = await http.post("/clocks/far/extensions", json={"days": 60, "reason_zh": "现场核查"})
        assert response.status_code == 422, response.text
        assert problem_paths(response) == ["body.days"]
    async with database.sessions() as session:
        row = await session.get(SupervisionClock, "far")
        assert row is not None and row.extensions in ([], None)  # nothing written


# --- events -------------------------------------------------------------------------------------------------


def test_an_event_carrying_nul_is_refused_at_decode(keyring: KeyRing) -> None:
    """A consumer dead-letters it as malformed (a schema violation) instead of failing a write later."""
    wire = {"id": "00000000-0000-4000-8000-000000000001", "type": "rating.submitted", "version": 1,
            "source": "rating", "subject": "OT1", "time": "2026-03-02T02:00:00+00:00",
            "correlation_id": "00000000-0000-4000-8000-000000000001", "data": {"comment": "好\x00"}}
    signed = keyring.signer("rating").sign_envelope(wire)
    raw = json.dumps(signed).encode()
    with pytest.raises(EnvelopeError, match=r"envelope\.data\.comment"):
        Envelope.from_bytes(raw)
    with pytest.raises(Malformed, match="U\\+0000"):
        decode_record(raw, keyring, lambda _: True)


async def test_an_overflow_a_route_meets_is_a_422_not_a_500() -> None:
    """The safety net for date and number arithmetic no bound foresaw (a route of a hardened app)."""
    app = harden(FastAPI())

    @app.get("/later/{days}")
    async def later(days: int) -> str:
        return (date.today() + timedelta(days=days)).isoformat()

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get(f"/later/{10**6 * 365}")
        assert response.status_code == 422, response.text
        assert response.json()["problems"][0]["type"] == "out_of_range"
        assert (await http.get("/later/1")).status_code == 200


async def test_a_value_the_database_cannot_hold_is_a_422_not_a_500(dbs: Callable[[str], Awaitable[Database]]) -> None:
    """The safety net behind the bounds: PostgreSQL's data exceptions (SQLSTATE class 22) that escape a route."""
    database = await dbs("dispatch")
    app = harden(FastAPI())

    @app.post("/notes")
    async def note(text: str) -> str:
        async with database.engine.begin() as connection:
            await connection.execute(sa.text("create temporary table if not exists note (body varchar(8))"))
            await connection.execute(sa.text("insert into note (body) values (:body)"), {"body": text})
        return text

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://t") as http:
        response = await http.post("/notes", params={"text": "x" * 9})
        assert response.status_code == 422, response.text
        assert response.json()["problems"][0]["type"] == "out_of_range"
        assert (await http.post("/notes", params={"text": "x" * 8})).status_code == 200


async def test_anonymous_callers_of_the_open_routes_are_rate_limited_and_told_when_to_come_back(
        apps: Apps, tokens: TestTokens) -> None:
    app = harden(await apps("intake"), ExchangeSettings(http_anonymous_rate_per_s=0.5, http_anonymous_burst=2))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test") as http:
        assert [(await http.get("/catalogue")).status_code for _ in range(2)] == [200, 200]
        limited = await http.get("/catalogue/P-01/notice")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        assert limited.json()["error"] == "too_many_requests" and "秒后再试" in limited.json()["message_zh"]
        known = await http.get("/catalogue", headers=tokens.headers(Role.CLERK))
        assert known.status_code == 200, "a caller with a token is not held to the anonymous limit"
        made_up = await http.get("/catalogue", headers={"Authorization": "Bearer not-a-token"})
        assert made_up.status_code == 429, "a token that does not check out is no way around the limit"
        forged = await http.get("/catalogue", headers={"Signature-Input": 'onething=();keyid="operator"',
                                                         "Signature": "onething=:AA==:"})
        assert forged.status_code == 429, "nor is a signature that does not"


async def test_a_bearer_token_is_verified_once_per_request(
        apps: Apps, tokens: TestTokens, monkeypatch: pytest.MonkeyPatch) -> None:
    """The edge proves the caller for its rate limit and the route takes the caller it proved: one signature
    check per request, not two."""
    app = await apps("intake")
    verifier = app.state.access.verifier
    checks: list[str] = []
    verify = verifier.verify

    async def counted(token: str) -> Any:
        checks.append(token)
        return await verify(token)

    monkeypatch.setattr(verifier, "verify", counted)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test") as http:
        answer = await http.get("/cases/OT-NONE", headers=tokens.headers(Role.CLERK))
    assert answer.status_code == 404  # authenticated, authorised, and no such case
    assert len(checks) == 1


async def test_pages_of_the_systems_own_services_may_call_across_origins_and_no_others(
        apps: Apps, tokens: TestTokens) -> None:
    """CORS: the portal on intake's origin may call licence or rating with the applicant's token; a page anywhere
    else gets no Access-Control-Allow-Origin (the browser keeps the answer from it). No cookies: no credentials."""
    settings = ExchangeSettings(service_urls={"intake": "http://hall.test:8101", "identity": "https://ids.test"},
                                http_allowed_origins=["https://portal.test"])
    app = harden(await apps("intake"), settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test") as http:
        for origin in ("http://hall.test:8101", "https://ids.test", "https://portal.test"):
            answer = await http.get("/catalogue", headers={"Origin": origin})
            assert answer.headers.get("access-control-allow-origin") == origin
            assert "access-control-allow-credentials" not in answer.headers
        preflight = await http.options("/cases", headers={
            "Origin": "https://portal.test", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
        assert preflight.status_code == 200, "a preflight is answered before any other rule (no token, no limit)"
        assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
        refused = await http.get("/catalogue", headers={"Origin": "https://elsewhere.test"})
        assert refused.status_code == 200 and "access-control-allow-origin" not in refused.headers
        bad_preflight = await http.options("/cases", headers={"Origin": "https://elsewhere.test",
                                                              "Access-Control-Request-Method": "POST"})
        assert bad_preflight.status_code == 400
        unauthorised = await http.get("/cases/OT-X", headers={"Origin": "https://portal.test"})
        assert unauthorised.status_code == 401 and unauthorised.headers["access-control-allow-origin"], \
            "a refusal is readable by the page too, so it can say why"
    assert app.state.service_urls["identity"] == "https://ids.test"
    assert ExchangeSettings().allowed_origins == tuple(sorted(
        f"http://127.0.0.1:{port}" for port in {8101, 8102, 8103, 8104, 8105, 8106, 8107})), "the embedded default"


@pytest.mark.parametrize("origin", ["*", "null", "https://portal.test/", "https://portal.test/path", "ftp://x.test"])
def test_only_origins_may_be_allowed_never_every_page(origin: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        ExchangeSettings(http_allowed_origins=[origin])


def test_a_page_may_request_only_its_own_origin_and_the_systems_services() -> None:
    policy = content_security_policy({"licence": "http://127.0.0.1:8103", "identity": "https://ids.test/realm"})
    assert "connect-src 'self' http://127.0.0.1:8103 https://ids.test;" in policy
    assert "script-src 'self';" in policy, "scripts still only from the page's own service"
    assert content_security_policy({}) == CONTENT_SECURITY_POLICY
