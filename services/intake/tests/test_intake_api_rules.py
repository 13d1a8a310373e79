"""Intake's HTTP edge on the real PostgreSQL for the rules of the front door: the one-time notice,
authorised pre-fill, 容缺 supplements, 告知承诺, the blacklist gate, proxies, channels and versions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from onething_catalogue.loader import load_catalogue
from onething_catalogue.model import CatalogueError

from contracts.days import china_today
from contracts.dispatch.v1 import Deficiency, ReviewConcluded
from contracts.envelope import Envelope
from contracts.identifiers import make_resident_id, make_uscc
from contracts.sharing.v1 import LookupAnswered, Registry, registry_principal
from contracts.workdays import national_calendar
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.testing.access import AuthorisedClient, TestTokens
from exchange.testing.outbox import outbox
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.adapters.tables import IntakeCatalogue
from intake.domain.errors import ForeignAnswer
from intake.entrypoints.api import create_app
from intake.entrypoints.consumers import handlers
from intake.service_layer.case_stream import CaseStreamFolder
from intake.service_layer.catalogues import CatalogueStore
from intake.service_layer.drafts import apply_answer
from intake.service_layer.unit_of_work import in_intake_work

pytestmark = pytest.mark.integration

MOTHER = make_resident_id("430104", date(1992, 5, 17), 24)
FATHER = make_resident_id("430104", date(1990, 8, 1), 17)
ENTERPRISE = make_uscc("430104", 123456)


def birth(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bundle_code": "P-01",
        "applicant": {"name": "王芳", "id_number": MOTHER},
        "form": {
            "newborn_name": "李小明", "newborn_sex": "男", "birth_date": (china_today() - timedelta(days=3)).isoformat(),
            "birth_hospital": "长沙市妇幼保健院", "mother_name": "王芳", "mother_id_number": MOTHER,
            "father_name": "李强", "father_id_number": FATHER, "household_address": "湖南省长沙市岳麓区麓山南路1号",
            "bank_account": "6222020200112233445",
        },
        "materials": {"P-01-01-M1": {"document": "d1"}, "P-01-03-M4": {"document": "d2"},
                      "P-01-05-M1": {"document": "d3"}},
    }
    body.update(changes)
    return body


@pytest.fixture
async def intake_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("intake")


@pytest.fixture
async def api(intake_db: Database, api_client: AuthorisedClient) -> AsyncIterator[httpx.AsyncClient]:
    """As window W01's clerk, who is also a supervisor, and as the mother for her own pre-fill (access itself is
    tested in tests/integration/test_access_roles.py)."""
    store = CatalogueStore(SqlCatalogueVersions(intake_db), load_catalogue())
    await store.record_current()
    async with api_client(create_app(intake_db, store), Role.CLERK, Role.SUPERVISOR, Role.APPLICANT,
                          id_number=MOTHER) as client:
        yield client



async def accepted(api: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post("/cases", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


# --- the catalogue and the one-time notice (R-09) -------------------------------------------------


async def test_catalogue_lists_every_one_thing_with_counts(api: httpx.AsyncClient) -> None:
    body = (await api.get("/catalogue")).json()
    assert body["one_things"] == len(body["bundles"]) >= 40
    assert body["items"] == sum(len(b["item_codes"]) for b in body["bundles"]) == sum(b["items"] for b in body["bundles"])
    assert {b["life_cycle"] for b in body["bundles"]} == {"person", "enterprise", "project"}
    assert (await api.get("/catalogue/P-01")).json()["items"][0]["code"] == "P-01-01"
    p01 = next(b for b in body["bundles"] if b["code"] == "P-01")
    assert p01["item_codes"][0] == "P-01-01" and p01["lead_name_zh"] == "卫生健康委员会"
    assert (await api.get("/catalogue/Z-99")).status_code == 404


async def test_one_time_notice_as_json_and_as_a_printable_page(api: httpx.AsyncClient) -> None:
    notice = (await api.get("/catalogue/P-01/notice", params={"items": ["P-01-05"]})).json()
    assert [i["code"] for i in notice["items"]] == ["P-01-01", "P-01-03", "P-01-04", "P-01-05", "P-01-06"]
    assert {a["item_code"] for a in notice["added"]} == {"P-01-01", "P-01-03", "P-01-04", "P-01-06"}
    assert notice["deadline"]["limit_days"] == 10  # ⌊0.3 × 35⌋
    page = await api.get("/catalogue/P-01/notice", params={"items": ["P-01-05"], "format": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'lang="zh-CN"' in page.text and "一次性告知单" in page.text and "新生儿出生一件事" in page.text
    assert "由人口基础信息库共享获取" in page.text and "registry." not in page.text
    assert notice["materials"]
    for material in notice["materials"]:
        assert material["name_zh"] in page.text
    bad = await api.get("/catalogue/P-01/notice", params={"items": ["P-99"]})
    assert bad.status_code == 422 and bad.json()["problems"][0]["type"] == "unknown_item"


# --- identity and channels (R-18) ----------------------------------------------------------


async def test_an_enterprise_one_thing_needs_a_credit_code(api: httpx.AsyncClient) -> None:
    notice = (await api.get("/catalogue/E-01/notice")).json()
    body = {"bundle_code": "E-01", "applicant": {"name": "王芳", "id_number": MOTHER}}
    response = await api.post("/cases", json=body)
    problems = {p["path"]: p for p in response.json()["problems"]}
    assert problems["applicant.id_number"]["type"] == "uscc_invalid"
    assert "统一社会信用代码" in problems["applicant.id_number"]["message_zh"]
    assert notice["applicant_kind"] == "organisation"
    wrong = ENTERPRISE[:17] + ("0" if ENTERPRISE[17] != "0" else "1")
    response = await api.post("/cases", json={**body, "applicant": {"name": "公司", "id_number": wrong}})
    assert response.status_code == 422
    assert "统一社会信用代码" in response.json()["problems"][0]["message_zh"]


async def test_every_channel_applies_the_same_rules(api: httpx.AsyncClient, tokens: TestTokens) -> None:
    seen = []
    applicant = tokens.headers(Role.APPLICANT, id_number=MOTHER)
    for channel, headers, body in (
        ("window", tokens.headers(Role.CLERK), {}),
        ("portal", applicant, {"channel": "portal"}), ("mobile", applicant, {"channel": "mobile"}),
        ("kiosk", tokens.headers(Role.CLERK, channel="kiosk", window_id="K02", staff_id=None), {}),
        ("12345", tokens.headers(Role.CLERK, channel="12345", window_id=None, staff_id=None), {}),
    ):
        response = await api.post("/cases", json=birth(**body), headers=headers)
        assert response.status_code == 201, response.text
        case = response.json()
        seen.append((case["limit_days"], [i["item_code"] for i in case["items"]], len(case["materials"])))
        window, staff = {"window": ("W01", "S001"), "kiosk": ("K02", None)}.get(channel, (None, None))
        assert (case["channel"], case["window_id"], case["staff_id"]) == (channel, window, staff)
        refused = await api.post("/cases", json=birth(**body, form={}), headers=headers)
        assert refused.status_code == 422 and len(refused.json()["problems"]) >= 8
    assert len(set(map(str, seen))) == 1  # 同一事项无差别受理、同标准办理
    missing = await api.post("/cases", json=birth(), headers=tokens.headers(Role.CLERK, window_id=None, staff_id=None))
    assert {p["path"] for p in missing.json()["problems"]} == {"window_id", "staff_id"}


# --- 容缺 and 告知承诺 (R-15, R-16) ----------------------------------------------------------------


async def test_tolerated_material_is_accepted_missing_then_supplied(api: httpx.AsyncClient, intake_db: Database) -> None:
    materials = {"P-01-01-M1": {"document": "d1"}, "P-01-03-M4": {"provision": "commitment"},
                 "P-01-05-M1": {"provision": "deferred"}}
    case = await accepted(api, birth(materials=materials))
    kinds = {c["material_code"]: c for c in case["commitments"]}
    assert kinds["P-01-05-M1"]["kind"] == "tolerance" and kinds["P-01-05-M1"]["status"] == "open"
    assert kinds["P-01-03-M4"]["kind"] == "notification"  # replaces the proof, verified later
    assert date.fromisoformat(kinds["P-01-05-M1"]["due_on"]) > china_today()
    [row] = await outbox(intake_db, "intake.case.accepted")
    assert {c["material_code"] for c in row.envelope["data"]["commitments"]} == {"P-01-05-M1", "P-01-03-M4"}

    not_tolerable = await api.post("/cases", json=birth(materials={**materials, "P-01-01-M1": {"provision": "deferred"}}))
    assert {p["type"] for p in not_tolerable.json()["problems"]} == {"not_tolerable"}
    no_commitment = await api.post("/cases", json=birth(materials={**materials,
                                                                   "P-01-05-M1": {"provision": "commitment"}}))
    assert {p["type"] for p in no_commitment.json()["problems"]} == {"commitment_not_allowed"}

    wrong = await api.post(f"/cases/{case['case_id']}/supplements", json={"materials": {"P-01-01-M1": {"document": "x"}}})
    assert wrong.status_code == 422 and wrong.json()["problems"][0]["type"] == "not_outstanding"
    done = await api.post(f"/cases/{case['case_id']}/supplements", json={"materials": {"P-01-05-M1": {"document": "p"}}})
    assert done.status_code == 200
    status = {c["material_code"]: c["status"] for c in done.json()["commitments"]}
    assert status == {"P-01-05-M1": "fulfilled", "P-01-03-M4": "open"}
    [photo] = [m for m in done.json()["materials"] if m["code"] == "P-01-05-M1"]
    assert (photo["provision"], photo["document"]) == ("upload", "p")  # what the department now holds
    # The same supplement again (a retry whose answer was lost) has no further effect; another document is refused.
    again = await api.post(f"/cases/{case['case_id']}/supplements", json={"materials": {"P-01-05-M1": {"document": "p"}}})
    assert again.status_code == 200 and again.json()["commitments"] == done.json()["commitments"]
    other = await api.post(f"/cases/{case['case_id']}/supplements", json={"materials": {"P-01-05-M1": {"document": "q"}}})
    assert other.status_code == 422 and other.json()["problems"][0]["type"] == "not_outstanding"
    timeline = (await api.get(f"/cases/{case['case_id']}")).json()["timeline"]
    assert [e["kind"] for e in timeline].count("supplemented") == 1


async def test_shared_material_is_never_asked(api: httpx.AsyncClient) -> None:
    body = birth(materials={**birth()["materials"], "P-01-03-M2": {"document": "户口簿扫描件"}})
    problems = (await api.post("/cases", json=body)).json()["problems"]
    assert [(p["path"], p["type"]) for p in problems] == [("materials.P-01-03-M2", "not_required")]
    assert "共享" in problems[0]["message_zh"]


# --- 帮办代办 and the blacklist (R-21, R-22) -------------------------------------------------------


async def test_proxy_is_recorded_and_free_for_the_groups_named(api: httpx.AsyncClient) -> None:
    proxy = {"name": "赵帮办", "id_number": FATHER, "role": "staff", "circumstances": ["elderly"]}
    case = await accepted(api, birth(proxy=proxy))
    assert case["proxy"]["free"] is True and "老年人" in case["proxy"]["free_reason"]
    assert case["proxy"]["id_number"] == FATHER
    paid = await accepted(api, birth(proxy={**proxy, "role": "agent", "circumstances": []}))
    assert paid["proxy"]["free"] is False


async def test_blacklisted_applicant_loses_the_fast_track_with_the_reason(api: httpx.AsyncClient) -> None:
    assert (await accepted(api, birth(fast_track=True)))["fast_track"] is True
    listed = await api.post("/blacklist", json={"id_number": MOTHER, "reason_zh": "提供虚假材料",
                                                "reason_en": "false materials"})
    assert listed.status_code == 201
    case = await accepted(api, birth(fast_track=True))
    assert case["fast_track"] is False
    assert "提供虚假材料" in case["fast_track_note_zh"] and "false materials" in case["fast_track_note_en"]
    assert any(e["kind"] == "fast_track_refused" for e in case["timeline"])


# --- authorised pre-fill (R-11, R-12) -------------------------------------------------------------


async def test_nothing_is_looked_up_without_authorisation(api: httpx.AsyncClient, intake_db: Database) -> None:
    response = await api.post("/drafts", json={"bundle_code": "P-01", "id_number": MOTHER,
                                               "authorisation": {"granted": False}})
    assert response.status_code == 422 and response.json()["problems"][0]["type"] == "not_authorised"
    assert await outbox(intake_db, "sharing.lookup.requested") == []


async def test_authorised_prefill_fills_the_form_and_the_applicant_confirms(api: httpx.AsyncClient,
                                                                           intake_db: Database) -> None:
    draft = (await api.post("/drafts", json={"bundle_code": "P-01", "id_number": MOTHER,
                                             "authorisation": {"granted": True}})).json()
    assert draft["ready"] is False and draft["prefilled"] == {}
    [lookup] = await outbox(intake_db, "sharing.lookup.requested")
    assert lookup.key == MOTHER and lookup.envelope["data"]["authorisation_id"] == draft["authorisation"]["id"]
    for registry, record in ((Registry.POPULATION, {"household_address": "湖南省长沙市天心区书院路9号"}),
                             (Registry.LICENCE, {})):
        answer = LookupAnswered(request_id=uuid4(), draft_id=draft["draft_id"], registry=registry, subject_id=MOTHER,
                                found=bool(record), record=record, answered_at=datetime.now(UTC))
        envelope = Envelope.wrap(answer, source=registry_principal(registry), subject=draft["draft_id"])
        async with intake_db.unit_of_work(cause=envelope) as uow:
            await in_intake_work(apply_answer)(uow, envelope, answer)
    draft = (await api.get(f"/drafts/{draft['draft_id']}")).json()
    assert draft["ready"] is True
    assert draft["prefilled"] == {"household_address": {"value": "湖南省长沙市天心区书院路9号", "source": "population"}}

    form = {k: v for k, v in birth()["form"].items() if k != "household_address"}
    unconfirmed = await api.post("/cases", json=birth(form=form, draft_id=draft["draft_id"]))
    assert [p["type"] for p in unconfirmed.json()["problems"]] == ["not_confirmed"]
    case = await accepted(api, birth(form=form, draft_id=draft["draft_id"], prefill_confirmed=True))
    [row] = await outbox(intake_db, "intake.case.accepted")
    assert row.envelope["data"]["form"]["household_address"] == "湖南省长沙市天心区书院路9号"
    assert case["case_id"]
    foreign = await api.post("/cases", json=birth(applicant={"name": "李强", "id_number": FATHER}, form=form,
                                                  draft_id=draft["draft_id"], prefill_confirmed=True))
    assert foreign.json()["problems"][0]["type"] == "unknown_draft"


# --- catalogue versions ---------------------------------------------------------------------------


async def test_a_case_keeps_its_catalogue_version(intake_db: Database) -> None:
    current = load_catalogue()
    store = CatalogueStore(SqlCatalogueVersions(intake_db), current)
    await store.record_current()
    await store.record_current()  # the same content again: fine
    changed = current.model_copy(update={"note_zh": "改过的说明"})
    with pytest.raises(CatalogueError, match="版本"):
        await CatalogueStore(SqlCatalogueVersions(intake_db), changed).record_current()
    newer = CatalogueStore(SqlCatalogueVersions(intake_db), current.model_copy(update={"version": "2099.01-1"}))
    await newer.record_current()
    old = await newer.version(current.version)
    assert old.version == current.version and old.bundle("P-01") == current.bundle("P-01")
    with pytest.raises(CatalogueError):
        await newer.version("1999.01-1")
    # A version recorded by an older intake whose model has since changed is a catalogue error too (case
    # delivery relies on catching it), not a pydantic ValidationError.
    async with intake_db.unit_of_work() as uow:
        uow.session.add(IntakeCatalogue(version="2000.01-1", digest="0" * 64, loaded_at=datetime.now(UTC),
                                        content={**current.model_dump(mode="json"), "retired_field": 1}))
    with pytest.raises(CatalogueError, match="no longer loads"):
        await newer.version("2000.01-1")


async def test_prefill_answers_must_come_from_their_registry_about_the_applicant(api: httpx.AsyncClient,
                                                                                intake_db: Database) -> None:
    draft = (await api.post("/drafts", json={"bundle_code": "P-01", "id_number": MOTHER,
                                             "authorisation": {"granted": True}})).json()

    async def answer(registry: Registry, source: str, subject: str) -> None:
        payload = LookupAnswered(request_id=uuid4(), draft_id=draft["draft_id"], registry=registry, subject_id=subject,
                                 found=True, record={"household_address": "假地址"}, answered_at=datetime.now(UTC))
        envelope = Envelope.wrap(payload, source=source, subject=draft["draft_id"])
        async with intake_db.unit_of_work(cause=envelope) as uow:
            await in_intake_work(apply_answer)(uow, envelope, payload)

    with pytest.raises(ForeignAnswer):  # a department key posing as the population registry
        await answer(Registry.POPULATION, "dept.police", MOTHER)
    with pytest.raises(ForeignAnswer):  # about somebody else
        await answer(Registry.POPULATION, "registry.population", FATHER)
    with pytest.raises(ForeignAnswer):  # the enterprise registry knows no persons
        await answer(Registry.ENTERPRISE, "registry.enterprise", MOTHER)
    assert (await api.get(f"/drafts/{draft['draft_id']}")).json()["registries_answered"] == []


async def test_a_draft_serves_one_application_and_the_right_kind_of_applicant(api: httpx.AsyncClient) -> None:
    someone_else = await api.post("/drafts", json={"bundle_code": "P-01", "id_number": ENTERPRISE,
                                                   "authorisation": {"granted": True}})
    assert someone_else.status_code == 403, "a pre-fill is authorised by its subject's own token only"
    draft = (await api.post("/drafts", json={"bundle_code": "P-01", "id_number": MOTHER,
                                             "authorisation": {"granted": True}})).json()
    first = await accepted(api, birth(draft_id=draft["draft_id"], prefill_confirmed=True))
    again = await api.post("/cases", json=birth(draft_id=draft["draft_id"], prefill_confirmed=True))
    assert again.status_code == 422 and again.json()["problems"][0]["type"] == "draft_used"
    assert first["case_id"] in again.json()["problems"][0]["message_zh"]


async def test_listing_the_same_applicant_at_once_is_one_listing(api: httpx.AsyncClient) -> None:
    body = {"id_number": FATHER, "reason_zh": "提供虚假材料", "reason_en": "false materials"}
    answers = await asyncio.gather(*(api.post("/blacklist", json=body) for _ in range(5)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["listed_at"] for a in answers}) == 1


async def test_a_correction_answers_with_documents_not_promises(api: httpx.AsyncClient, intake_db: Database) -> None:
    case_id = (await accepted(api, birth()))["case_id"]
    notice = ReviewConcluded(case_id=case_id, round=1, concluded_at=datetime.now(UTC), deficiencies=(
        Deficiency(item_code="P-01-05", department="hrss", kind="material", code="P-01-05-M1", reason_zh="照片模糊",
                   reason_en="blurred photo"),))
    envelope = Envelope.wrap(notice, source="dispatch", subject=case_id)
    async with intake_db.unit_of_work(cause=envelope) as uow:
        await handlers(CaseStreamFolder(CatalogueStore(SqlCatalogueVersions(intake_db), load_catalogue()),
                                          national_calendar()))[notice.event_type](
            uow, envelope, notice)
    promise = await api.post(f"/cases/{case_id}/corrections",
                             json={"materials": {"P-01-05-M1": {"provision": "deferred"}}})
    assert promise.status_code == 422 and promise.json()["problems"][0]["type"] == "missing"
    assert (await api.post(f"/cases/{case_id}/corrections",
                           json={"materials": {"P-01-05-M1": {"document": "sha256:new"}}})).status_code == 200


async def test_an_unknown_one_thing_has_no_notice(api: httpx.AsyncClient) -> None:
    assert (await api.get("/catalogue/Z-99/notice")).status_code == 404
    empty = await api.get("/catalogue/P-01/notice", params={"items": []})
    assert empty.status_code == 200  # no items parameter: the whole one-thing
