"""我的办件 ``GET /my/cases``: an applicant lists their own cases (as applicant, as an authorised proxy, or for their
法人 account's enterprise), newest first, and never anyone else's; only applicants may ask. The portal page
(``GET /portal/``) and its assets are served like the hall's finder. On PostgreSQL and on the embedded SQLite
(the applicant's ID number is read out of a JSON column, which each database does its own way)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from onething_catalogue.loader import load_catalogue

from contracts.days import china_today
from contracts.identifiers import make_resident_id
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.signing import KeyRing
from exchange.testing.access import TestTokens, trusting
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.entrypoints.api import create_app
from intake.service_layer.catalogues import CatalogueStore

pytestmark = pytest.mark.integration

MOTHER = make_resident_id("430104", date(1992, 5, 17), 24)
FATHER = make_resident_id("430104", date(1990, 8, 1), 17)
NEIGHBOUR = make_resident_id("430104", date(1980, 2, 2), 35)


def birth(applicant: str, name: str, **changes: Any) -> dict[str, Any]:
    """A valid P-01 application by ``applicant``."""
    return {
        "bundle_code": "P-01", "applicant": {"name": name, "id_number": applicant},
        "form": {"newborn_name": "李小明", "newborn_sex": "男",
                 "birth_date": (china_today() - timedelta(days=3)).isoformat(), "birth_hospital": "长沙市妇幼保健院",
                 "mother_name": "王芳", "mother_id_number": MOTHER, "father_name": "李强", "father_id_number": FATHER,
                 "household_address": "湖南省长沙市岳麓区麓山南路1号", "bank_account": "6222020200112233445"},
        "materials": {"P-01-01-M1": {"document": "d1"}, "P-01-03-M4": {"document": "d2"},
                      "P-01-05-M1": {"document": "d3"}},
        **changes,
    }


@pytest.fixture
async def intake(migrated_each_database: Callable[[str], Awaitable[Database]], keyring: KeyRing
                 ) -> AsyncIterator[httpx.AsyncClient]:
    database = await migrated_each_database("intake")
    store = CatalogueStore(SqlCatalogueVersions(database), load_catalogue(None))
    await store.record_current()
    app = trusting(create_app(database, store), keyring)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as client:
        yield client


async def test_an_applicant_lists_their_own_cases_and_never_anyone_elses(intake: httpx.AsyncClient,
                                                                          tokens: TestTokens) -> None:
    mother, father, neighbour = (tokens.headers(Role.APPLICANT, id_number=who) for who in (MOTHER, FATHER, NEIGHBOUR))
    clerk = tokens.headers(Role.CLERK)
    first = (await intake.post("/cases", json=birth(MOTHER, "王芳"), headers=clerk)).json()["case_id"]
    online = await intake.post("/cases", json=birth(MOTHER, "王芳", channel="portal"), headers=mother)
    assert online.status_code == 201, online.text
    second = online.json()["case_id"]
    fathers = (await intake.post("/cases", json=birth(FATHER, "李强"), headers=clerk)).json()["case_id"]

    hers = await intake.get("/my/cases", headers=mother)
    assert hers.status_code == 200, hers.text
    assert [c["case_id"] for c in hers.json()] == [second, first], "her own two, newest first"
    listed = hers.json()[0]
    assert (listed["bundle_code"], listed["name_zh"], listed["status"], listed["channel"]) == (
        "P-01", "新生儿出生一件事", "accepted", "portal")
    assert listed["status_zh"] == "已受理" and listed["due_on"] and listed["as_proxy"] is False
    assert listed["awaiting_correction"] is False
    assert "applicant" not in listed and "form" not in listed, "a list of cases, not of personal data"

    assert [c["case_id"] for c in (await intake.get("/my/cases", headers=father)).json()] == [fathers]
    assert (await intake.get("/my/cases", headers=neighbour)).json() == [], "nobody else's cases, ever"


async def test_a_proxy_sees_the_cases_they_applied_for_under_an_authorisation(intake: httpx.AsyncClient,
                                                                              tokens: TestTokens) -> None:
    mother, neighbour = (tokens.headers(Role.APPLICANT, id_number=who) for who in (MOTHER, NEIGHBOUR))
    granted = await intake.post("/delegations", json={"proxy_id_number": NEIGHBOUR}, headers=mother)
    assert granted.status_code == 201, granted.text
    proxy = {"name": "赵六", "id_number": NEIGHBOUR, "role": "agent"}
    applied = await intake.post("/cases", json=birth(MOTHER, "王芳", channel="portal", proxy=proxy), headers=neighbour)
    assert applied.status_code == 201, applied.text
    theirs = (await intake.get("/my/cases", headers=neighbour)).json()
    assert [(c["case_id"], c["as_proxy"]) for c in theirs] == [(applied.json()["case_id"], True)]
    assert [c["as_proxy"] for c in (await intake.get("/my/cases", headers=mother)).json()] == [False]


async def test_only_an_applicant_may_ask_and_the_route_is_documented(intake: httpx.AsyncClient,
                                                                     tokens: TestTokens) -> None:
    assert (await intake.get("/my/cases")).status_code == 401
    for staff in (Role.CLERK, Role.SUPERVISOR, Role.OPERATOR):
        assert (await intake.get("/my/cases", headers=tokens.headers(staff))).status_code == 403
    operation = (await intake.get("/openapi.json")).json()["paths"]["/my/cases"]["get"]
    assert operation["summary"].startswith("我的办件")
    assert {"200", "401", "403"} <= set(operation["responses"])


async def test_the_portal_page_is_served_with_its_assets_and_policy(intake: httpx.AsyncClient) -> None:
    page = await intake.get("/portal/")
    assert page.status_code == 200 and "网上办事大厅" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset, kind in (("/portal-assets/portal.js", "text/javascript"), ("/portal-assets/portal.css", "text/css")):
        answer = await intake.get(asset)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind), asset
    assert (await intake.get("/portal-assets/index.html")).status_code == 404, "the page only with its headers"
