"""免提交 (R-27): with the applicant's consent, a verified e-licence of theirs replaces a material; the case's
materials and the department's request carry the licence, not an upload. On the real PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from onething_catalogue.loader import load_catalogue

from contracts.departments import seal_principal
from contracts.envelope import Envelope
from contracts.identifiers import make_resident_id
from contracts.sharing.v1 import LookupAnswered, Registry, registry_principal
from credentials.licence import LicenceClaims, licence_credential
from credentials.proof import IssuerKey
from credentials.status import status_entries
from credentials.trust import issuer_id_for
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.signing import KeyRing
from exchange.testing.access import AuthorisedClient
from exchange.testing.outbox import outbox
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.bootstrap import licence_verifier
from intake.entrypoints.api import create_app
from intake.service_layer.catalogues import CatalogueStore
from intake.service_layer.drafts import apply_answer
from intake.service_layer.unit_of_work import in_intake_work

pytestmark = pytest.mark.integration

PARENT = make_resident_id("430104", date(1992, 5, 17), 24)
CHILD = make_resident_id("430104", date(2020, 3, 1), 11)
VACCINATION = "P-02-04-M2"


@pytest.fixture
async def intake_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("intake")


@pytest.fixture
async def api(intake_db: Database, keyring: KeyRing, api_client: AuthorisedClient) -> AsyncIterator[httpx.AsyncClient]:
    """As the parent, on the portal: her own pre-fill, her own application."""
    store = CatalogueStore(SqlCatalogueVersions(intake_db), load_catalogue())
    await store.record_current()
    app = create_app(intake_db, store, licence_verifier(keyring, region="430100", region_name_zh="长沙市"))
    async with api_client(app, Role.APPLICANT, id_number=PARENT) as client:
        yield client


def vaccination_certificate(keyring: KeyRing, holder: str = PARENT) -> dict[str, Any]:
    seal = IssuerKey(issuer_id_for("430100", "health"), keyring.private_key(seal_principal("health")))
    now = datetime.now(UTC)
    claims = LicenceClaims(licence_id=str(uuid4()), licence_type="vaccination-certificate",
                           licence_name_zh="预防接种证", number="YF-2020-0001", holder_id=holder, holder_name="王芳",
                           case_id="OT-EARLIER", item_code="P-01-02", valid_from=now - timedelta(days=400))
    return licence_credential(claims, key=seal, issuer_name_zh="长沙市卫生健康委员会",
                              credential_status=status_entries("http://licence.test", "health", 9), issued_at=now)


async def draft_with(api: httpx.AsyncClient, intake_db: Database, credentials: list[dict[str, Any]]) -> str:
    draft = (await api.post("/drafts", json={"bundle_code": "P-02", "items": ["P-02-04"], "id_number": PARENT,
                                             "authorisation": {"granted": True}})).json()
    for registry in (Registry.POPULATION, Registry.LICENCE):
        answer = LookupAnswered(
            request_id=uuid4(), draft_id=draft["draft_id"], registry=registry, subject_id=PARENT,
            found=registry is Registry.LICENCE and bool(credentials), credentials=credentials,
            licences={c["credentialSubject"]["licenceType"]: c["credentialSubject"]["number"] for c in credentials}
            if registry is Registry.LICENCE else {},
            answered_at=datetime.now(UTC))
        envelope = Envelope.wrap(answer, source=registry_principal(registry), subject=draft["draft_id"])
        async with intake_db.unit_of_work(cause=envelope) as uow:
            await in_intake_work(apply_answer)(uow, envelope, answer)
    return str(draft["draft_id"])


def enrolment(draft_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "bundle_code": "P-02", "items": ["P-02-04"], "applicant": {"name": "王芳", "id_number": PARENT},
        "form": {"child_name": "李小明", "child_id_number": CHILD}, "channel": "portal",
        "draft_id": draft_id, "prefill_confirmed": True, **changes,
    }


async def test_a_verified_licence_replaces_the_material_with_consent(
    api: httpx.AsyncClient, intake_db: Database, keyring: KeyRing
) -> None:
    credential = vaccination_certificate(keyring)
    without_consent = await api.post("/cases", json=enrolment(await draft_with(api, intake_db, [credential])))
    assert without_consent.status_code == 422
    assert [(p["path"], p["type"]) for p in without_consent.json()["problems"]] == [
        (f"materials.{VACCINATION}", "material_missing")]

    draft_id = await draft_with(api, intake_db, [credential])
    created = await api.post("/cases", json=enrolment(draft_id, reuse_licences=True))
    assert created.status_code == 201, created.text
    case = created.json()
    [row] = await outbox(intake_db, "intake.case.accepted")
    [item] = row.envelope["data"]["items"]
    refs = {m["code"]: m for m in item["materials"]}
    # What the department (health) receives: the verified licence itself, no uploaded document.
    assert refs[VACCINATION]["provision"] == "licence" and refs[VACCINATION]["licence_number"] == "YF-2020-0001"
    assert refs[VACCINATION]["credential"] == credential
    assert refs[VACCINATION]["document"] == f"licence:{credential['id'].removeprefix('urn:uuid:')}"
    timeline = (await api.get(f"/cases/{case['case_id']}")).json()["timeline"]
    assert any(t["kind"] == "licence_reused" and "YF-2020-0001" in t["text_zh"] for t in timeline)


@pytest.mark.parametrize("spoil", ["tampered", "someone_else"])
async def test_a_licence_that_does_not_verify_or_is_not_theirs_is_not_reused(
    api: httpx.AsyncClient, intake_db: Database, keyring: KeyRing, spoil: str
) -> None:
    credential = vaccination_certificate(keyring, holder=PARENT if spoil == "tampered" else CHILD)
    if spoil == "tampered":
        credential = copy.deepcopy(credential)
        credential["credentialSubject"]["number"] = "YF-FORGED"
    refused = await api.post("/cases", json=enrolment(await draft_with(api, intake_db, [credential]),
                                                       reuse_licences=True))
    assert refused.status_code == 422
    assert [p["type"] for p in refused.json()["problems"]] == ["material_missing"]


async def test_reuse_needs_the_authorised_lookup(api: httpx.AsyncClient) -> None:
    body = enrolment("", reuse_licences=True)
    del body["draft_id"], body["prefill_confirmed"]
    refused = await api.post("/cases", json=body)
    assert "no_draft" in [p["type"] for p in refused.json()["problems"]]
