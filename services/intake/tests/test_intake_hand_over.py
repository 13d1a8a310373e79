"""出件 at the window (``POST /cases/{id}/handover``): a clerk records that the results of a case delivered for
collection at the window were handed over, once, to the applicant or the case's proxy; not before delivery, not for
results that went by mail, and not to a proxy the case does not have."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

import httpx
import pytest
from onething_catalogue.loader import load_catalogue

from contracts.dispatch.v1 import Outcome
from contracts.identifiers import make_resident_id
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.testing.access import AuthorisedClient
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.entrypoints.api import create_app
from intake.service_layer.catalogues import CatalogueStore

from .test_intake_api import LICENSED, P01_DEPARTMENTS, Stream, accept

pytestmark = pytest.mark.integration


@pytest.fixture
async def intake_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("intake")


@pytest.fixture
async def api(intake_db: Database, api_client: AuthorisedClient) -> AsyncIterator[httpx.AsyncClient]:
    """As window W01's clerk (staff S001)."""
    catalogues = CatalogueStore(SqlCatalogueVersions(intake_db), load_catalogue())
    await catalogues.record_current()
    async with api_client(create_app(intake_db, catalogues), Role.CLERK) as client:
        yield client

GRANDMOTHER_ID = make_resident_id("110105", date(1962, 3, 9), 31)
PROXY = {"name": "王秀英", "id_number": GRANDMOTHER_ID, "role": "relative", "circumstances": ["elderly"]}


async def deliver(intake_db: Database, case_id: str) -> None:
    """Every department approves and every licence is issued: the case is delivered (一次送达)."""
    stream = Stream(intake_db, case_id)
    for code in P01_DEPARTMENTS:
        await stream.released(code)
        await stream.concluded(code, Outcome.APPROVED)
    for code in LICENSED:
        await stream.licence(code)


async def test_a_clerk_hands_the_results_over_once_to_the_proxy(api: httpx.AsyncClient, intake_db: Database) -> None:
    case_id = (await accept(api, delivery={"method": "window"}, proxy=PROXY))["case_id"]
    early = await api.post(f"/cases/{case_id}/handover", json={"collector": "proxy"})
    assert early.status_code == 409 and early.json()["detail"]["message_en"].startswith("nothing to hand over")

    await deliver(intake_db, case_id)
    handed = await api.post(f"/cases/{case_id}/handover", json={"collector": "proxy"})
    assert handed.status_code == 200, handed.text
    case = handed.json()
    assert case["status"] == "delivered" and case["handed_over_at"] is not None
    entry = case["timeline"][-1]
    assert entry["kind"] == "handed_over"
    assert entry["text_zh"] == "窗口出件：全部结果已一次当面交付帮办代办人王秀英（窗口 W01，工号 S001）"
    assert entry["text_en"] == "Handed over at window W01 (staff S001) to the proxy 王秀英, every result at once"

    again = await api.post(f"/cases/{case_id}/handover", json={"collector": "applicant"})  # a second click
    assert again.status_code == 200 and again.json()["handed_over_at"] == case["handed_over_at"]
    assert [e["kind"] for e in again.json()["timeline"]].count("handed_over") == 1
    assert (await api.get(f"/cases/{case_id}")).json()["handed_over_at"] == case["handed_over_at"]


async def test_no_hand_over_of_mailed_results_nor_to_a_proxy_the_case_has_not(api: httpx.AsyncClient,
                                                                             intake_db: Database) -> None:
    mailed = (await accept(api))["case_id"]  # the results go by free mail
    await deliver(intake_db, mailed)
    refused = await api.post(f"/cases/{mailed}/handover", json={})
    assert refused.status_code == 409, refused.text
    assert (await api.get(f"/cases/{mailed}")).json()["handed_over_at"] is None

    at_window = (await accept(api, delivery={"method": "window"}))["case_id"]
    await deliver(intake_db, at_window)
    no_proxy = await api.post(f"/cases/{at_window}/handover", json={"collector": "proxy"})
    assert no_proxy.status_code == 422 and no_proxy.json()["problems"][0]["path"] == "collector"
    assert (await api.post(f"/cases/{at_window}/handover", json={})).status_code == 200
    assert (await api.post("/cases/OT-NONE/handover", json={})).status_code == 404
