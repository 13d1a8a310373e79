"""Intake on the real PostgreSQL: the HTTP edge (受理), its outbox, and the case-stream fold (一次送达)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from onething_catalogue.loader import load_catalogue

from contracts.days import china_date, china_today
from contracts.dispatch.v1 import Deficiency, Outcome, ReviewConcluded, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope, EventPayload
from contracts.identifiers import make_resident_id
from contracts.licence.v1 import CaseLicenceIssued
from contracts.supervision.v1 import ClockKind, ClockStarted
from contracts.topics import CASE_DOSSIER, CASE_STREAM
from contracts.workdays import national_calendar
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.db.migrations import downgrade, upgrade
from exchange.testing.access import AuthorisedClient, TestTokens
from exchange.testing.outbox import outbox
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.domain.errors import UnknownCase
from intake.entrypoints.api import create_app
from intake.entrypoints.consumers import handlers
from intake.entrypoints.examples import MOTHER_ID as EXAMPLE_MOTHER_ID
from intake.service_layer.applications import IdempotencyKey
from intake.service_layer.case_stream import CaseStreamFolder
from intake.service_layer.catalogues import CatalogueStore

pytestmark = pytest.mark.integration

P01_DEPARTMENTS = {
    "P-01-01": "health",
    "P-01-02": "health",
    "P-01-03": "police",
    "P-01-04": "medical-insurance",
    "P-01-05": "hrss",
    "P-01-06": "tax",
}
LICENSED = {
    "P-01-01": "birth-medical-certificate",
    "P-01-02": "vaccination-certificate",
    "P-01-05": "social-security-card",
}


MOTHER_ID = make_resident_id("110105", date(1992, 5, 17), 24)
FATHER_ID = make_resident_id("110105", date(1990, 8, 1), 17)
ID_WITH_X = next(n for s in range(1000) if (n := make_resident_id("110105", date(1992, 5, 17), s)).endswith("X"))


def application(**changes: Any) -> dict[str, Any]:
    """A valid P-01 (新生儿出生一件事) application; ``changes`` replace top-level parts."""
    body: dict[str, Any] = {
        "bundle_code": "P-01",
        "applicant": {"name": "王芳", "id_number": MOTHER_ID, "phone": "13800138000"},
        "form": {
            "newborn_name": "李小明",
            "newborn_sex": "男",
            "birth_date": (china_today() - timedelta(days=3)).isoformat(),
            "birth_hospital": "市妇幼保健院",
            "mother_name": "王芳",
            "mother_id_number": MOTHER_ID,
            "father_name": "李强",
            "father_id_number": FATHER_ID,
            "household_address": "北京市东城区某街道1号",
            "bank_account": "6222020200112233445",
        },
        "materials": {
            "P-01-01-M1": {"document": "sha256:" + "1" * 64},
            "P-01-03-M4": {"document": "sha256:" + "2" * 64},
            "P-01-05-M1": {"document": "sha256:" + "3" * 64},
        },
        "channel": "window",
        "window_id": "W01",
        "staff_id": "S001",
        "delivery": {"method": "mail", "address": "北京市东城区某街道1号 100010"},
    }
    body.update(changes)
    return body


def form_with(**changes: str | None) -> dict[str, str]:
    form = dict(application()["form"])
    for key, value in changes.items():
        if value is None:
            form.pop(key)
        else:
            form[key] = value
    return form


@pytest.fixture
async def intake_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("intake")


@pytest.fixture
async def store(intake_db: Database) -> CatalogueStore:
    catalogues = CatalogueStore(SqlCatalogueVersions(intake_db), load_catalogue())
    await catalogues.record_current()
    return catalogues


@pytest.fixture
async def api(intake_db: Database, store: CatalogueStore, api_client: AuthorisedClient
              ) -> AsyncIterator[httpx.AsyncClient]:
    """As window W01's clerk, who is also a supervisor, and as the examples' mother for her own pre-fill."""
    async with api_client(create_app(intake_db, store), Role.CLERK, Role.SUPERVISOR, Role.APPLICANT,
                          id_number=EXAMPLE_MOTHER_ID) as client:
        yield client



async def accept(api: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await api.post("/cases", json=application(**changes))
    assert response.status_code == 201, response.text
    return dict(response.json())


def problems_of(response: httpx.Response) -> dict[str, dict[str, str]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "application_invalid"
    assert body["message_zh"] and body["message_en"]
    for problem in body["problems"]:
        assert problem["message_zh"] and problem["message_en"], problem
    return {p["path"]: p for p in body["problems"]}


# --- accepting (受理) ----------------------------------------------------------------------------


async def test_valid_application_becomes_one_case_with_six_items(api: httpx.AsyncClient, intake_db: Database) -> None:
    case = await accept(api)
    assert case["case_id"].startswith("OT")
    assert case["status"] == "accepted" and case["status_zh"] == "已受理"
    assert case["bundle_code"] == "P-01" and case["correction_round"] == 0
    assert case["delivery_method"] == "mail" and case["delivered_at"] is None
    assert {i["item_code"]: i["department"] for i in case["items"]} == P01_DEPARTMENTS
    assert [i["department"] for i in case["items"]] == ["health", "health", "police", "medical-insurance", "hrss", "tax"]
    assert {i["status"] for i in case["items"]} == {"waiting"}
    assert [e["kind"] for e in case["timeline"]] == ["accepted"]
    assert (case["window_id"], case["staff_id"], case["channel"]) == ("W01", "S001", "window")
    # the chain 01 → 03 → 04 → 05 (5+5+5+20 = 35) takes at most 30%: 10 working days, not ⌈10.5⌉ = 11.
    assert case["limit_days"] == 10 and case["due_on"]
    # 承诺时限: each item's share of its chains' limits, its statutory limit beside it; 20 days never fit in 10.
    assert {i["item_code"]: (i["time_limit_days"], i["promised_limit_days"]) for i in case["items"]} == {
        "P-01-01": (5, 1), "P-01-02": (1, 1), "P-01-03": (5, 1), "P-01-04": (5, 1), "P-01-05": (20, 6),
        "P-01-06": (1, 1)}

    rows = await outbox(intake_db)
    assert sorted((r.topic, r.key, r.envelope["type"]) for r in rows) == [
        (CASE_DOSSIER.name, case["case_id"], "intake.case.accepted"),  # the dossier: dispatch alone reads it
        (CASE_STREAM.name, case["case_id"], "intake.case.registered")]  # what everyone else learns
    registered = json.dumps(next(r for r in rows if r.topic == CASE_STREAM.name).envelope, ensure_ascii=False)
    sent = application()
    for personal in (*sent["applicant"].values(), *(v for k, v in sent["form"].items() if k.endswith(
            ("_name", "_id_number", "address", "bank_account")))):
        assert str(personal) not in registered, "no personal data on the case stream"
    row = next(r for r in rows if r.topic == CASE_DOSSIER.name)
    assert row.envelope["subject"] == case["case_id"] and row.envelope["source"] == "intake"
    data = row.envelope["data"]
    assert data["case_id"] == case["case_id"] and data["lead_department"] == "health"
    # The acceptance day is the day in China, not the UTC day of the instant.
    assert data["accepted_on"] == china_date(datetime.fromisoformat(data["accepted_at"])).isoformat()
    assert {i["item_code"]: tuple(i["requires"]) for i in data["items"]} == {
        "P-01-01": (),
        "P-01-02": (),
        "P-01-03": ("P-01-01",),
        "P-01-04": ("P-01-03",),
        "P-01-05": ("P-01-03", "P-01-04"),
        "P-01-06": ("P-01-03",),
    }
    # One set of materials: what the applicant submitted, and what is fetched by sharing (never asked).
    provisions = {(m["code"], m["provision"]) for i in data["items"] for m in i["materials"]}
    assert ("P-01-01-M1", "upload") in provisions and ("P-01-03-M2", "sharing") in provisions
    assert data["limit_days"] == 10 and data["window_id"] == "W01"
    assert {i["item_code"]: (i["time_limit_days"], i["promised_limit_days"]) for i in data["items"]} == {
        i["item_code"]: (i["time_limit_days"], i["promised_limit_days"]) for i in case["items"]}
    assert data["applicant"]["id_number"] == MOTHER_ID and data["applicant"]["id_type"] == "resident_id"

    again = await api.get(f"/cases/{case['case_id']}")
    assert again.status_code == 200 and again.json()["case_id"] == case["case_id"]


async def test_selecting_one_item_pulls_in_its_prerequisites(api: httpx.AsyncClient, intake_db: Database) -> None:
    case = await accept(api, items=["P-01-04"], materials={"P-01-01-M1": {"document": "d1"},
                                                           "P-01-03-M4": {"provision": "commitment"}})
    # P-01-06 comes with P-01-04 (required together), the others as prerequisites; each addition says why.
    assert [i["item_code"] for i in case["items"]] == ["P-01-01", "P-01-03", "P-01-04", "P-01-06"]
    added = [e for e in case["timeline"] if e["kind"] == "item_added"]
    assert {e["item_code"] for e in added} == {"P-01-01", "P-01-03", "P-01-06"}
    assert all("前置事项" in e["text_zh"] or "一并办理" in e["text_zh"] for e in added)
    # 告知承诺: recorded and marked for verification.
    [commitment] = case["commitments"]
    assert (commitment["material_code"], commitment["kind"], commitment["status"]) == ("P-01-03-M4", "notification", "open")
    # The vaccination certificate alone asks fewer fields and materials: the others are refused, not silently kept.
    found = problems_of(await api.post("/cases", json=application(items=["P-01-02"])))
    assert set(found) == {"form.birth_hospital", "form.mother_id_number", "form.father_name", "form.father_id_number",
                          "form.bank_account", "materials.P-01-01-M1", "materials.P-01-03-M4", "materials.P-01-05-M1"}
    assert {p["type"] for p in found.values()} == {"unexpected_field", "unknown_material"}


async def test_same_idempotency_key_gives_the_same_case_once(api: httpx.AsyncClient, intake_db: Database) -> None:
    headers = {"Idempotency-Key": "window-7-20260110-0001"}
    first = await api.post("/cases", json=application(), headers=headers)
    second = await api.post("/cases", json=application(), headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == 200, second.text
    assert second.json()["case_id"] == first.json()["case_id"]
    assert len(await outbox(intake_db, "intake.case.accepted")) == 1
    other = await api.post("/cases", json=application(), headers={"Idempotency-Key": "another"})
    assert other.status_code == 201 and other.json()["case_id"] != first.json()["case_id"]
    assert len(await outbox(intake_db, "intake.case.accepted")) == 2


async def test_a_retry_is_the_same_request_whatever_its_key_order_or_spelt_out_defaults(
    api: httpx.AsyncClient, intake_db: Database
) -> None:
    headers = {"Idempotency-Key": "portal-retry-2"}
    first = await api.post("/cases", json=application(), headers=headers)
    body = dict(reversed(application(fast_track=False, reuse_licences=False).items()))
    body["applicant"] = {**body["applicant"], "id_number": MOTHER_ID.lower()}  # normalised like the first
    again = await api.post("/cases", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["case_id"] == first.json()["case_id"]


async def test_the_same_key_with_another_body_is_refused_naming_the_key(
    api: httpx.AsyncClient, intake_db: Database
) -> None:
    headers = {"Idempotency-Key": "window-7-20260110-0002"}
    first = await api.post("/cases", json=application(), headers=headers)
    assert first.status_code == 201, first.text
    other = application(delivery={"method": "window"})
    refused = await api.post("/cases", json=other, headers=headers)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["error"] == "idempotency_key_reused"
    [problem] = body["problems"]
    assert (problem["path"], problem["type"]) == ("headers.Idempotency-Key", "idempotency_key_reused")
    assert "window-7-20260110-0002" in problem["message_zh"] and "window-7-20260110-0002" in problem["message_en"]
    assert "幂等键" in body["message_zh"] and "another body" in body["message_en"]
    assert first.json()["case_id"] not in refused.text  # the first case is not handed out for another body
    assert 'rel="describedby"' in refused.headers["link"]
    assert len(await outbox(intake_db, "intake.case.accepted")) == 1  # nothing accepted twice, nothing lost
    assert (await api.post("/cases", json=application(), headers=headers)).status_code == 200  # the true retry
    assert (await api.post("/cases", json=other, headers={"Idempotency-Key": "new-key"})).status_code == 201


async def test_concurrent_requests_with_one_key_and_two_bodies_make_one_case(
    api: httpx.AsyncClient, intake_db: Database
) -> None:
    headers = {"Idempotency-Key": "portal-race-2"}
    bodies = (application(), application(delivery={"method": "window"}))
    answers = await asyncio.gather(*(api.post("/cases", json=b, headers=headers) for b in bodies))
    assert sorted(r.status_code for r in answers) == [201, 422]
    refused = next(r for r in answers if r.status_code == 422)
    assert refused.json()["error"] == "idempotency_key_reused"
    assert len(await outbox(intake_db, "intake.case.accepted")) == 1


CLERK_SUBJECT = "window.W01"


async def _legacy_case_then_upgrade(database: Database) -> None:
    """A case accepted under revision 0002 (no request digest), then the upgrade to head."""
    await upgrade(database, "intake", "0002")
    insert = sa.text(
        "INSERT INTO intake_case (case_id, idempotency_key, bundle_code, catalogue_version, status, applicant, channel,"
        " delivery_method, form, items, correction_round, accepted_at) VALUES ('OT20260101LEGACY000001', :key,"
        " 'P-01', '2026.11-3', 'accepted', '{}', 'window', 'window', '{}', '[]', 0, :at)")
    async with database.engine.begin() as conn:
        await conn.execute(insert, {"at": datetime(2026, 1, 1, 2, tzinfo=UTC),
                                    "key": IdempotencyKey(CLERK_SUBJECT, "legacy-1").stored})
    await upgrade(database, "intake")
    await upgrade(database, "intake")  # at head: nothing to do
    async with database.engine.connect() as conn:
        digest = (await conn.execute(sa.text("SELECT request_digest FROM intake_case"))).scalar_one()
    assert digest is None


async def _retries_after_the_upgrade(database: Database, api_client: AuthorisedClient) -> None:
    catalogues = CatalogueStore(SqlCatalogueVersions(database), load_catalogue())
    await catalogues.record_current()
    app = create_app(database, catalogues)
    async with api_client(app, Role.CLERK, subject=CLERK_SUBJECT) as client:
        # A key of a case accepted before the digest was kept: nothing to compare with, so the case comes back.
        legacy = await client.post("/cases", json=application(), headers={"Idempotency-Key": "legacy-1"})
        assert legacy.status_code == 200 and legacy.json()["case_id"] == "OT20260101LEGACY000001"
        headers = {"Idempotency-Key": "after-upgrade-1"}
        assert (await client.post("/cases", json=application(), headers=headers)).status_code == 201
        other = await client.post("/cases", json=application(delivery={"method": "window"}), headers=headers)
        assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    await downgrade(database, "intake", "0002")
    async with database.engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM intake_case"))).scalar_one() == 2  # nothing lost
    await upgrade(database, "intake")


async def test_the_request_digest_migration_on_embedded_sqlite(tmp_path: Path, api_client: AuthorisedClient) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}", source="intake")
    try:
        await _legacy_case_then_upgrade(database)
        await _retries_after_the_upgrade(database, api_client)
    finally:
        await database.dispose()


async def test_the_request_digest_migration_on_postgresql(fresh_database_url: str,
                                                          api_client: AuthorisedClient) -> None:
    database = Database(fresh_database_url, source="intake")
    try:
        await _legacy_case_then_upgrade(database)
        await _retries_after_the_upgrade(database, api_client)
    finally:
        await database.dispose()


async def test_concurrent_retries_with_the_same_key_give_the_same_case(
    api: httpx.AsyncClient, intake_db: Database
) -> None:
    headers = {"Idempotency-Key": "portal-race-1"}
    answers = await asyncio.gather(*(api.post("/cases", json=application(), headers=headers) for _ in range(2)))
    assert sorted(r.status_code for r in answers) == [200, 201]
    assert answers[0].json()["case_id"] == answers[1].json()["case_id"]
    assert len(await outbox(intake_db, "intake.case.accepted")) == 1


async def test_lowercase_x_in_the_applicant_id_is_accepted(api: httpx.AsyncClient) -> None:
    applicant = {"name": "王芳", "id_number": ID_WITH_X.lower()}
    case = await accept(api, applicant=applicant, form=form_with(mother_id_number=ID_WITH_X))
    assert case["status"] == "accepted"


async def test_lowercase_x_in_a_resident_id_form_field_is_accepted(api: httpx.AsyncClient) -> None:
    response = await api.post("/cases", json=application(form=form_with(mother_id_number=ID_WITH_X.lower())))
    assert response.status_code == 201, response.text


# --- refusing (422 with paths, zh + en) --------------------------------------------------------


async def test_bad_applicant_id_checksum(api: httpx.AsyncClient, intake_db: Database) -> None:
    bad = MOTHER_ID[:17] + next(c for c in "10X98765432" if c != MOTHER_ID[17])
    response = await api.post("/cases", json=application(applicant={"name": "王芳", "id_number": bad}))
    problem = problems_of(response)["applicant.id_number"]
    assert "校验码" in problem["message_zh"] and "check digit" in problem["message_en"]
    assert await outbox(intake_db) == []


async def test_applicant_born_after_today_is_refused(api: httpx.AsyncClient, intake_db: Database,
                                                     tokens: TestTokens) -> None:
    born = china_today() + timedelta(days=2)  # two: the test may straddle midnight in China
    unborn = make_resident_id("110105", born, 24)
    response = await api.post("/cases", json=application(applicant={"name": "王芳", "id_number": unborn}))
    problem = problems_of(response)["applicant.id_number"]
    assert problem["message_zh"] == f"公民身份号码中的出生日期 {born.isoformat()} 晚于今天"
    assert problem["message_en"] == f"the date of birth inside the resident ID number, {born.isoformat()}, is after today"
    found = problems_of(await api.post("/cases", json=application(form=form_with(father_id_number=unborn))))
    assert found["form.father_id_number"]["message_zh"].startswith("父亲公民身份号码：")
    assert "晚于今天" in found["form.father_id_number"]["message_zh"]
    drafted = await api.post("/drafts", json={"bundle_code": "P-01", "authorisation": {"granted": True}},
                             headers=tokens.headers(Role.APPLICANT, id_number=unborn))
    assert "晚于今天" in problems_of(drafted)["id_number"]["message_zh"]
    assert await outbox(intake_db) == []


async def test_bad_applicant_id_shape_and_phone(api: httpx.AsyncClient) -> None:
    response = await api.post("/cases", json=application(applicant={"name": "", "id_number": "123", "phone": "12"}))
    found = problems_of(response)
    assert set(found) == {"applicant.name", "applicant.id_number", "applicant.phone"}
    assert "18" in found["applicant.id_number"]["message_zh"]


async def test_missing_form_field(api: httpx.AsyncClient, intake_db: Database) -> None:
    response = await api.post("/cases", json=application(form=form_with(newborn_name=None)))
    found = problems_of(response)
    assert set(found) == {"form.newborn_name"}
    assert found["form.newborn_name"]["type"] == "missing"
    assert "新生儿姓名" in found["form.newborn_name"]["message_zh"]
    assert await outbox(intake_db) == []


async def test_several_form_problems_at_once(api: httpx.AsyncClient) -> None:
    tomorrow = (china_today() + timedelta(days=1)).isoformat()
    form = form_with(newborn_sex="M", birth_date=tomorrow, mother_id_number="110105199205170000", shoe_size="38")
    found = problems_of(await api.post("/cases", json=application(form=form)))
    assert {p: f["type"] for p, f in found.items()} == {
        "form.newborn_sex": "not_an_option",
        "form.birth_date": "date_in_future",
        "form.mother_id_number": "resident_id_invalid",
        "form.shoe_size": "unexpected_field",
    }


async def test_mail_without_address(api: httpx.AsyncClient) -> None:
    for delivery in ({"method": "mail"}, {"method": "mail", "address": "   "}):
        found = problems_of(await api.post("/cases", json=application(delivery=delivery)))
        assert set(found) == {"delivery.address"}
        assert "寄递地址" in found["delivery.address"]["message_zh"]
    window = await api.post("/cases", json=application(delivery={"method": "window"}))
    assert window.status_code == 201


async def test_unknown_bundle(api: httpx.AsyncClient) -> None:
    found = problems_of(await api.post("/cases", json=application(bundle_code="Z-99")))
    assert set(found) == {"bundle_code"}
    assert "Z-99" in found["bundle_code"]["message_zh"] and "Z-99" in found["bundle_code"]["message_en"]


async def test_unknown_item(api: httpx.AsyncClient) -> None:
    found = problems_of(await api.post("/cases", json=application(items=["P-01-02", "P-07-01"])))
    assert found["items.1"]["type"] == "unknown_item"


async def test_schema_problems(api: httpx.AsyncClient) -> None:
    body = application(channel="fax", surprise=1)
    del body["applicant"]
    found = problems_of(await api.post("/cases", json=body))
    assert {p: f["type"] for p, f in found.items()} == {
        "applicant": "missing",
        "channel": "enum",
        "surprise": "extra_forbidden",
    }
    assert found["applicant"]["message_zh"] == "必填项缺失"


@pytest.mark.parametrize("content", ["[1, 2]", '"an application"', "42"])
async def test_body_that_is_not_an_object(api: httpx.AsyncClient, content: str) -> None:
    found = problems_of(await api.post("/cases", content=content, headers={"content-type": "application/json"}))
    assert set(found) == {"body"}


async def test_malformed_json_is_refused_with_bilingual_messages(api: httpx.AsyncClient) -> None:
    response = await api.post("/cases", content='{"bundle_code": ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["type"] == "json_invalid"
    assert problem["message_zh"] == "请求不是有效的 JSON" and problem["message_en"]


async def test_malformed_json_is_a_problem_of_the_body(api: httpx.AsyncClient) -> None:
    response = await api.post("/cases", content='{"bundle_code": ', headers={"content-type": "application/json"})
    assert set(problems_of(response)) == {"body"}


# --- reading and correcting --------------------------------------------------------------------


async def test_unknown_case_is_404_in_both_languages(api: httpx.AsyncClient) -> None:
    response = await api.get("/cases/OT20260101NOSUCHCASE")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail["message_zh"] == "未找到该办件" and detail["message_en"] == "case not found"
    corrected = await api.post("/cases/OT20260101NOSUCHCASE/corrections", json={"form": {}})
    assert corrected.status_code == 404 and corrected.json()["detail"]["message_zh"]


async def test_correction_with_nothing_to_correct_is_409(api: httpx.AsyncClient, intake_db: Database) -> None:
    case = await accept(api)
    response = await api.post(f"/cases/{case['case_id']}/corrections", json={"form": {"birth_hospital": "x"}})
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail["message_zh"] and detail["message_en"]
    assert await outbox(intake_db, "intake.case.corrected") == []


# --- the case stream fold (办件视图) and the one delivery (一次送达) ----------------------------------


class Stream:
    """Applies case-stream facts through intake's handlers, one transaction each, as the consumer would."""

    def __init__(self, database: Database, case_id: str) -> None:
        self.database = database
        self.case_id = case_id
        self.folder = CaseStreamFolder(CatalogueStore(SqlCatalogueVersions(database), load_catalogue()),
                                       national_calendar())
        self.handlers = handlers(self.folder)  # the consumer's own table
        self.last: tuple[Envelope, EventPayload] | None = None

    async def apply(self, payload: EventPayload, source: str = "dispatch", envelope: Envelope | None = None) -> None:
        envelope = envelope or Envelope.wrap(payload, source=source, subject=self.case_id)
        async with self.database.unit_of_work(cause=envelope) as uow:
            await self.handlers[payload.event_type](uow, envelope, payload)
        self.last = (envelope, payload)

    async def again(self) -> None:
        assert self.last is not None
        envelope, payload = self.last
        await self.apply(payload, envelope=envelope)

    async def released(self, code: str, attempt: int = 1) -> None:
        await self.apply(
            TaskReleased(
                case_id=self.case_id,
                task_id=f"{self.case_id}/{code}",
                item_code=code,
                department=P01_DEPARTMENTS[code],
                attempt=attempt,
                time_limit_days=5,
                released_at=datetime.now(UTC),
            )
        )

    async def concluded(self, code: str, outcome: Outcome, attempt: int = 1, reason_zh: str | None = None) -> None:
        approved = outcome is Outcome.APPROVED
        await self.apply(
            TaskConcluded(
                case_id=self.case_id,
                task_id=f"{self.case_id}/{code}",
                item_code=code,
                department=P01_DEPARTMENTS[code],
                attempt=attempt,
                outcome=outcome,
                reason_zh=reason_zh,
                reason_en=reason_zh and "reason",
                document_no=f"DOC-{code}" if approved else None,
                yields_licence=code in LICENSED,
                licence_type=LICENSED.get(code),
                concluded_at=datetime.now(UTC),
            )
        )

    async def licence(self, code: str) -> None:
        now = datetime.now(UTC)
        await self.apply(
            CaseLicenceIssued(
                licence_id=f"LIC-{self.case_id}-{code}",
                case_id=self.case_id,
                item_code=code,
                licence_type=LICENSED[code],
                number=f"N-{code}",
                issuer_department=P01_DEPARTMENTS[code],
                issued_at=now,
                valid_from=now.date(),
                record_digest="0" * 64,
            ),
            source="licence",
        )

    async def clock(self, code: str, due_on: date, kind: ClockKind = "item") -> None:
        await self.apply(
            ClockStarted(
                case_id=self.case_id,
                task_id=f"{self.case_id}/{code}",
                item_code=code,
                department=P01_DEPARTMENTS.get(code, "market"),
                limit_working_days=5,
                started_on=china_today(),
                due_on=due_on,
                kind=kind,
            ),
            source="supervision",
        )


async def test_all_items_concluded_and_licensed_deliver_once(api: httpx.AsyncClient, intake_db: Database) -> None:
    case_id = (await accept(api))["case_id"]
    stream = Stream(intake_db, case_id)
    before = china_today()
    for code in ("P-01-01", "P-01-02"):
        await stream.released(code)  # the release starts the item's clock: due 5 working days on
    # A bad review's rectification clock (of an item, or of no item) is not the item's due date.
    await stream.clock("P-01-01", date(2030, 2, 1), kind="rectification")
    await stream.clock("", date(2030, 2, 1), kind="rectification")
    view = (await api.get(f"/cases/{case_id}")).json()
    assert view["status"] == "in_progress"
    items = {i["item_code"]: i for i in view["items"]}
    assert items["P-01-01"]["status"] == "released"
    assert items["P-01-01"]["due_on"] in {national_calendar().add_working_days(day, 5).isoformat()
                                          for day in (before, china_today())}  # a China midnight between

    for code in P01_DEPARTMENTS:
        if code not in ("P-01-01", "P-01-02"):
            await stream.released(code)
        await stream.concluded(code, Outcome.APPROVED)
    for code in ("P-01-01", "P-01-02"):
        await stream.licence(code)
    assert await outbox(intake_db, "intake.case.delivered") == []  # the social security card is missing

    await stream.licence("P-01-05")
    delivered = await outbox(intake_db, "intake.case.delivered")
    notified = await outbox(intake_db, "intake.case.notified")
    assert len(delivered) == 1 and len(notified) == 1
    for row in (*delivered, *notified):
        assert (row.topic, row.key) == (CASE_STREAM.name, case_id)
        assert row.envelope["causation_id"] == str(stream.last[0].id)  # type: ignore[index]
    data = delivered[0].envelope["data"]
    assert data["method"] == "mail"
    assert {i["item_code"]: (i["outcome"], i["licence_id"]) for i in data["items"]} == {
        code: ("approved", f"LIC-{case_id}-{code}" if code in LICENSED else None) for code in P01_DEPARTMENTS
    }
    assert "免费寄递" in notified[0].envelope["data"]["text_zh"]

    await stream.again()  # the last fact redelivered
    await stream.concluded("P-01-05", Outcome.APPROVED)  # and a repeated conclusion under a new id
    assert len(await outbox(intake_db, "intake.case.delivered")) == 1
    assert len(await outbox(intake_db, "intake.case.notified")) == 1

    view = (await api.get(f"/cases/{case_id}")).json()
    assert view["status"] == "delivered" and view["delivered_at"] is not None
    assert "免费寄递" in view["notice_zh"] and "free mail" in view["notice_en"]
    assert [e["kind"] for e in view["timeline"]].count("delivered") == 1


async def test_rejection_delivers_once_with_unprocessed_dependants(api: httpx.AsyncClient, intake_db: Database) -> None:
    case_id = (await accept(api, delivery={"method": "window"}))["case_id"]
    stream = Stream(intake_db, case_id)
    await stream.released("P-01-01")
    await stream.released("P-01-02")
    await stream.concluded("P-01-01", Outcome.REJECTED, reason_zh="出生信息不符")
    for code in ("P-01-03", "P-01-04", "P-01-05", "P-01-06"):
        await stream.concluded(code, Outcome.NOT_PROCESSED)
    await stream.concluded("P-01-02", Outcome.APPROVED)
    assert await outbox(intake_db, "intake.case.delivered") == []
    await stream.licence("P-01-02")
    assert len(await outbox(intake_db, "intake.case.delivered")) == 1
    [notified] = await outbox(intake_db, "intake.case.notified")
    text_zh = notified.envelope["data"]["text_zh"]
    assert "准予 1 项" in text_zh and "出生医学证明签发（已办结（不予））" in text_zh and "综合窗口" in text_zh


async def test_facts_about_an_unknown_case_are_rejected(intake_db: Database) -> None:
    with pytest.raises(UnknownCase):
        await Stream(intake_db, "OT20260101NEVERSEEN").released("P-01-01")


async def test_one_consolidated_correction(api: httpx.AsyncClient, intake_db: Database) -> None:
    case_id = (await accept(api))["case_id"]
    stream = Stream(intake_db, case_id)
    deficiencies = (
        Deficiency(item_code="P-01-01", department="health", kind="material", code="P-01-01-M1",
                   reason_zh="签字不清晰", reason_en="signature illegible"),
        Deficiency(item_code="P-01-03", department="police", kind="field", code="household_address",
                   reason_zh="地址不完整", reason_en="address incomplete"),
    )
    await stream.apply(ReviewConcluded(case_id=case_id, round=1, deficiencies=deficiencies,
                                       concluded_at=datetime.now(UTC)))
    view = (await api.get(f"/cases/{case_id}")).json()
    assert view["status"] == "awaiting_correction" and view["status_zh"] == "待补正"
    assert view["correction"]["round"] == 1 and len(view["correction"]["deficiencies"]) == 2
    [notice] = [e for e in view["timeline"] if e["kind"] == "correction_requested"]
    assert "P-01-01-M1" in notice["text_zh"] and "household_address" in notice["text_zh"] and "暂停" in notice["text_zh"]
    await stream.again()  # the same round redelivered: still one notice
    view = (await api.get(f"/cases/{case_id}")).json()
    assert [e["kind"] for e in view["timeline"]].count("correction_requested") == 1

    # Only what the notice lists: a missing answer and an unasked value are both refused; nothing changes.
    bad = await api.post(f"/cases/{case_id}/corrections",
                         json={"form": {"household_address": "x路1号", "birth_hospital": "y"}})
    assert bad.status_code == 422
    assert {(p["path"], p["type"]) for p in bad.json()["problems"]} == {
        ("materials.P-01-01-M1", "missing"), ("form.birth_hospital", "not_requested")}
    assert await outbox(intake_db, "intake.case.corrected") == []

    response = await api.post(f"/cases/{case_id}/corrections", json={
        "form": {"household_address": " 北京市东城区某街道1号101室 "},
        "materials": {"P-01-01-M1": {"document": "sha256:" + "9" * 64}}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["correction_round"] == 1 and body["correction"] is None and body["status"] == "accepted"
    [confirmation] = [m for m in body["materials"] if m["code"] == "P-01-01-M1"]
    assert confirmation["document"] == "sha256:" + "9" * 64  # the case shows what the department now holds
    [corrected] = await outbox(intake_db, "intake.case.corrected")
    data = corrected.envelope["data"]
    assert data["item_codes"] == ["P-01-01", "P-01-03"] and data["round"] == 1
    assert data["form"] == {"household_address": "北京市东城区某街道1号101室"}  # trimmed, as stored
    assert [m["code"] for m in data["materials"]] == ["P-01-01-M1"]

    second = await api.post(f"/cases/{case_id}/corrections", json={"form": {}})
    assert second.status_code == 409
    assert len(await outbox(intake_db, "intake.case.corrected")) == 1


# --- the OpenAPI document's examples: what a person types by hand is accepted --------------------------------


async def request_examples(api: httpx.AsyncClient, path: str) -> dict[str, Any]:
    """The example bodies of a POST, as the served OpenAPI document (and Swagger UI at /docs) shows them."""
    document = (await api.get("/openapi.json")).json()
    examples = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert examples, path
    return {name: example["value"] for name, example in examples.items()}


def as_sent_by(tokens: TestTokens, body: dict[str, Any]) -> dict[str, str]:
    """The portal example is sent by the applicant herself, the window example by window W01's clerk."""
    if body.get("channel") == "portal":
        return tokens.headers(Role.APPLICANT, id_number=body["applicant"]["id_number"])
    return tokens.headers(Role.CLERK)


async def test_every_example_of_post_cases_is_accepted(api: httpx.AsyncClient, intake_db: Database,
                                                       tokens: TestTokens) -> None:
    examples = await request_examples(api, "/cases")
    assert set(examples) == {"window", "portal_tolerance"}
    for name, body in examples.items():
        response = await api.post("/cases", json=body, headers=as_sent_by(tokens, body))
        assert response.status_code == 201, (name, response.text)
    assert len(await outbox(intake_db, "intake.case.accepted")) == len(examples)


async def test_the_supplement_example_completes_the_tolerance_example(api: httpx.AsyncClient,
                                                                      tokens: TestTokens) -> None:
    example = (await request_examples(api, "/cases"))["portal_tolerance"]
    case = (await api.post("/cases", json=example, headers=as_sent_by(tokens, example))).json()
    assert {(c["material_code"], c["kind"]) for c in case["commitments"]} == {
        ("P-01-03-M4", "notification"), ("P-01-05-M1", "tolerance")}
    [body] = (await request_examples(api, "/cases/{case_id}/supplements")).values()
    response = await api.post(f"/cases/{case['case_id']}/supplements", json=body)
    assert response.status_code == 200, response.text
    assert {c["material_code"]: c["status"] for c in response.json()["commitments"]}["P-01-05-M1"] == "fulfilled"


async def test_the_correction_example_answers_its_notice(api: httpx.AsyncClient, intake_db: Database) -> None:
    case_id = (await api.post("/cases", json=(await request_examples(api, "/cases"))["window"])).json()["case_id"]
    await Stream(intake_db, case_id).apply(ReviewConcluded(case_id=case_id, round=1, concluded_at=datetime.now(UTC),
                                                           deficiencies=(
        Deficiency(item_code="P-01-01", department="health", kind="material", code="P-01-01-M1",
                   reason_zh="签字不清晰", reason_en="signature illegible"),
        Deficiency(item_code="P-01-03", department="police", kind="field", code="household_address",
                   reason_zh="地址不完整", reason_en="address incomplete"),
    )))
    [body] = (await request_examples(api, "/cases/{case_id}/corrections")).values()
    response = await api.post(f"/cases/{case_id}/corrections", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["correction_round"] == 1 and response.json()["correction"] is None


async def test_the_draft_and_blacklist_examples_are_accepted(api: httpx.AsyncClient, intake_db: Database) -> None:
    [draft] = (await request_examples(api, "/drafts")).values()
    response = await api.post("/drafts", json=draft)
    assert response.status_code == 201, response.text
    assert len(await outbox(intake_db, "sharing.lookup.requested")) == 1
    [listing] = (await request_examples(api, "/blacklist")).values()
    assert (await api.post("/blacklist", json=listing)).status_code == 201
