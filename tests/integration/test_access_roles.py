"""Who may do what (issue 14, item 3): every write endpoint refuses a caller without a token (401) and a caller
without the role (403), and does its work for the right role; an applicant sees only their own; idempotency
keys are each caller's own; and no route of any service is left open unless it is meant to be public.

Each service's app is built as its ``create_app`` builds it, on its own PostgreSQL database (conftest.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from contracts.days import china_today
from contracts.identifiers import make_resident_id
from exchange.access.roles import Role
from exchange.testing.access import TestTokens

from .conftest import SERVICES, Apps

pytestmark = pytest.mark.integration

MOTHER = make_resident_id("430104", date(1992, 5, 17), 24)
FATHER = make_resident_id("430104", date(1990, 8, 1), 17)


def birth(**changes: Any) -> dict[str, Any]:
    """A valid P-01 application by the mother; sent by window W01's clerk unless a channel says otherwise."""
    return {
        "bundle_code": "P-01", "applicant": {"name": "王芳", "id_number": MOTHER},
        "form": {"newborn_name": "李小明", "newborn_sex": "男",
                 "birth_date": (china_today() - timedelta(days=3)).isoformat(), "birth_hospital": "长沙市妇幼保健院",
                 "mother_name": "王芳", "mother_id_number": MOTHER, "father_name": "李强", "father_id_number": FATHER,
                 "household_address": "湖南省长沙市岳麓区麓山南路1号", "bank_account": "6222020200112233445"},
        "materials": {"P-01-01-M1": {"document": "d1"}, "P-01-03-M4": {"document": "d2"},
                      "P-01-05-M1": {"document": "d3"}},
        **changes,
    }


# (service, method, path, body, the role that may and its claims, the status it gets, a role that may not)
WRITES: list[tuple[str, str, str, dict[str, Any] | None, tuple[Role, dict[str, str]], int, Role]] = [
    ("intake", "POST", "/cases", birth(), (Role.CLERK, {}), 201, Role.SUPERVISOR),
    ("intake", "POST", "/cases", birth(channel="portal"), (Role.APPLICANT, {"id_number": MOTHER}), 201, Role.ANALYST),
    ("intake", "POST", "/drafts", {"bundle_code": "P-01", "authorisation": {"granted": True}},
     (Role.APPLICANT, {"id_number": MOTHER}), 201, Role.CLERK),
    ("intake", "POST", "/cases/OT-NONE/corrections", {"form": {}}, (Role.CLERK, {}), 404, Role.ANALYST),
    ("intake", "POST", "/cases/OT-NONE/supplements", {"materials": {}}, (Role.APPLICANT, {"id_number": MOTHER}), 404,
     Role.DEPARTMENT),
    ("intake", "POST", "/cases/OT-NONE/handover", {}, (Role.CLERK, {}), 404, Role.APPLICANT),
    ("intake", "POST", "/blacklist", {"id_number": FATHER, "reason_zh": "提供虚假材料", "reason_en": "false materials"},
     (Role.SUPERVISOR, {}), 201, Role.CLERK),
    ("dispatch", "POST", "/requests/none/redrive", None, (Role.OPERATOR, {}), 404, Role.CLERK),
    ("supervision", "POST", "/clocks/none/extensions", {"days": 1, "reason_zh": "现场核查"}, (Role.SUPERVISOR, {}), 404,
     Role.OPERATOR),
    ("supervision", "POST", "/clock/advance", {"days": 0}, (Role.OPERATOR, {}), 200, Role.SUPERVISOR),
    ("supervision", "POST", "/scan", None, (Role.SUPERVISOR, {}), 200, Role.ANALYST),
    ("rating", "POST", "/ratings", {"case_id": "OT-NONE", "level": "satisfied"}, (Role.APPLICANT, {"id_number": MOTHER}),
     404, Role.CLERK),
    ("simulators", "POST", "/faults", {"mode": "none"}, (Role.OPERATOR, {}), 200, Role.CLERK),
    ("simulators", "PUT", "/rates", {"correction": 0.05, "reject": 0.05}, (Role.OPERATOR, {}), 200, Role.SUPERVISOR),
    ("simulators", "POST", "/holds/OT-HELD", None, (Role.OPERATOR, {}), 201, Role.SUPERVISOR),
    ("simulators", "DELETE", "/holds/OT-HELD", None, (Role.OPERATOR, {}), 200, Role.APPLICANT),
]


async def _client(apps: Apps, service: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=await apps(service)), base_url=f"http://{service}.test")


@pytest.mark.parametrize(("service", "method", "path", "body", "allowed", "status", "denied"), WRITES,
                         ids=[f"{w[0]} {w[1]} {w[2]} ({w[4][0].value})" for w in WRITES])
async def test_a_write_needs_a_token_and_the_role(
    apps: Apps, tokens: TestTokens, service: str, method: str, path: str, body: dict[str, Any] | None,
    allowed: tuple[Role, dict[str, str]], status: int, denied: Role,
) -> None:
    async with await _client(apps, service) as http:
        anonymous = await http.request(method, path, json=body)
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        wrong = await http.request(method, path, json=body, headers=tokens.headers(denied))
        assert wrong.status_code == 403, wrong.text
        assert allowed[0].value in wrong.json()["detail"]["roles"]
        role, claims = allowed
        right = await http.request(method, path, json=body, headers=tokens.headers(role, **claims))
        assert right.status_code == status, right.text


async def test_an_applicant_reads_only_their_own_case_and_draft(apps: Apps, tokens: TestTokens) -> None:
    mother, father = (tokens.headers(Role.APPLICANT, id_number=who) for who in (MOTHER, FATHER))
    async with await _client(apps, "intake") as intake:
        case = await intake.post("/cases", json=birth(), headers=tokens.headers(Role.CLERK))
        assert case.status_code == 201, case.text
        path = f"/cases/{case.json()['case_id']}"
        assert (await intake.get(path, headers=mother)).status_code == 200
        stranger = await intake.get(path, headers=father)
        unknown = await intake.get("/cases/OT20990101NOSUCHCASE00", headers=father)
        assert stranger.status_code == unknown.status_code == 404 and stranger.json() == unknown.json(), \
            "someone else's case answers exactly as an unknown one"
        assert (await intake.post(f"{path}/supplements", json={"materials": {}}, headers=father)).status_code == 404
        assert (await intake.get(path, headers=tokens.headers(Role.SUPERVISOR))).status_code == 200
        assert (await intake.get(path, headers=tokens.headers(Role.ANALYST))).status_code == 403  # no personal data

        draft = await intake.post("/drafts", json={"bundle_code": "P-01", "authorisation": {"granted": True}},
                                  headers=mother)
        draft_path = f"/drafts/{draft.json()['draft_id']}"
        assert (await intake.get(draft_path, headers=mother)).status_code == 200
        assert (await intake.get(draft_path, headers=father)).status_code == 404
        for_someone_else = await intake.post("/drafts", headers=father, json={
            "bundle_code": "P-01", "id_number": MOTHER, "authorisation": {"granted": True}})
        assert for_someone_else.status_code == 403, "a pre-fill is authorised by its subject's own token only"
        not_hers = await intake.post("/cases", json=birth(channel="portal"), headers=father)
        assert not_hers.status_code == 403, not_hers.text


async def test_window_staff_and_channel_come_from_the_clerks_token(apps: Apps, tokens: TestTokens) -> None:
    async with await _client(apps, "intake") as intake:
        w03 = tokens.headers(Role.CLERK, window_id="W03", staff_id="S003")
        case = (await intake.post("/cases", json=birth(), headers=w03)).json()
        assert (case["channel"], case["window_id"], case["staff_id"]) == ("window", "W03", "S003")
        claimed = await intake.post("/cases", json=birth(window_id="W01"), headers=w03)
        assert claimed.status_code == 422 and claimed.json()["problems"][0]["path"] == "window_id"


async def test_a_kiosk_accepts_for_the_person_present_and_follows_only_what_it_accepted(
        apps: Apps, tokens: TestTokens) -> None:
    k02, k03 = (tokens.headers(Role.KIOSK, window_id=k, subject=f"kiosk.{k}") for k in ("K02", "K03"))
    async with await _client(apps, "intake") as intake:
        accepted = await intake.post("/cases", json=birth(), headers=k02)
        assert accepted.status_code == 201, accepted.text
        case = accepted.json()
        assert (case["channel"], case["window_id"], case["staff_id"]) == ("kiosk", "K02", None)
        path = f"/cases/{case['case_id']}"
        assert (await intake.get(path, headers=k02)).status_code == 200  # its own: to print the receipt
        elsewhere = await intake.get(path, headers=k03)
        assert elsewhere.status_code == 404, "another kiosk cannot look a case up by id"
        window = await intake.post("/cases", json=birth(), headers=tokens.headers(Role.CLERK))
        assert (await intake.get(f"/cases/{window.json()['case_id']}", headers=k02)).status_code == 404
        assert (await intake.get(f"/drafts/{case['case_id']}", headers=k02)).status_code == 403  # no pre-fill reads
    async with await _client(apps, "dispatch") as dispatch:  # nor a case's tasks
        assert (await dispatch.get(f"{path}/tasks", headers=k02)).status_code == 403


async def test_idempotency_keys_are_each_callers_own(apps: Apps, tokens: TestTokens) -> None:
    """The same key from two windows is two applications; no one gets another caller's case back by its key."""
    key = {"Idempotency-Key": "same-key-1"}
    async with await _client(apps, "intake") as intake:
        w01 = await intake.post("/cases", json=birth(), headers={**tokens.headers(Role.CLERK, subject="window.W01"), **key})
        w02 = await intake.post("/cases", json=birth(), headers={**tokens.headers(Role.CLERK, subject="window.W02"), **key})
        again = await intake.post("/cases", json=birth(), headers={**tokens.headers(Role.CLERK, subject="window.W01"),
                                                                   **key})
    assert (w01.status_code, w02.status_code, again.status_code) == (201, 201, 200)
    assert w01.json()["case_id"] != w02.json()["case_id"] and again.json()["case_id"] == w01.json()["case_id"]


# Routes that stay open to anyone (公开): the catalogue and notices, licence verification, the trust list and status
# lists, reason tags, the supervision clock, health, the simulators' read-outs and the identity platform itself.
PUBLIC = {
    ("intake", "GET", "/catalogue"), ("intake", "GET", "/catalogue/{code}"), ("intake", "GET", "/catalogue/{code}/notice"),
    ("licence", "GET", "/trust-list"), ("gateway", "GET", "/key-list"), ("licence", "GET", "/status-lists/{department}/{purpose}/{number}"),
    ("licence", "POST", "/verify"), ("licence", "POST", "/verify/document"),
    ("licence", "GET", "/licences/{licence_id}/verification"),
    ("rating", "GET", "/tags"), ("supervision", "GET", "/clock"),
    ("simulators", "GET", "/departments"), ("simulators", "GET", "/faults"), ("simulators", "GET", "/holds"),
    ("simulators", "GET", "/registries"), ("simulators", "POST", "/oauth/token"),
    ("simulators", "GET", "/oauth/authorize"), ("simulators", "POST", "/oauth/authorize"), ("simulators", "GET", "/rates"),
    ("simulators", "GET", "/.well-known/jwks.json"), ("simulators", "GET", "/.well-known/openid-configuration"),
}


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_is_public_by_intent_or_declares_who_may_call_it(apps: Apps, service: str) -> None:
    document = (await apps(service)).openapi()
    open_routes = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            guarded = "401" in operation.get("responses", {})
            if not guarded and (service, method.upper(), path) not in PUBLIC:
                open_routes.append(f"{method.upper()} {path}")
    assert open_routes == [], f"{service}: routes neither public by intent nor guarded"
    schemes = document.get("components", {}).get("securitySchemes", {})
    if service not in ("licence", "gateway"):  # these two take signed requests only
        assert schemes.get("bearer", {}).get("bearerFormat") == "JWT", schemes
