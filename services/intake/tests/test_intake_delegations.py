"""委托授权: an online proxy applies for someone only with that person's own authorisation, for that one-thing (or
any), while it lasts and until it is revoked; the window is unchanged (the clerk sees both people)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from onething_catalogue.loader import load_catalogue

from contracts.identifiers import make_resident_id
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.testing.access import AuthorisedClient
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.domain.delegation import Grant, covers, grant_problem
from intake.entrypoints.api import create_app
from intake.service_layer.catalogues import CatalogueStore

from .test_intake_api import FATHER_ID, MOTHER_ID, application

pytestmark = pytest.mark.integration

STRANGER_ID = make_resident_id("110105", date(1985, 3, 9), 31)
NOW = datetime(2026, 12, 5, 8, tzinfo=UTC)


def test_a_grant_covers_its_proxy_its_one_thing_and_its_time_only() -> None:
    grant = Grant(MOTHER_ID, FATHER_ID, "P-01", NOW + timedelta(days=7))
    assert covers(grant, principal_id=MOTHER_ID, proxy_id=FATHER_ID, bundle_code="P-01", now=NOW)
    assert not covers(grant, principal_id=MOTHER_ID, proxy_id=STRANGER_ID, bundle_code="P-01", now=NOW)
    assert not covers(grant, principal_id=MOTHER_ID, proxy_id=FATHER_ID, bundle_code="E-02", now=NOW)
    assert not covers(grant, principal_id=MOTHER_ID, proxy_id=FATHER_ID, bundle_code="P-01", now=NOW + timedelta(days=8))
    revoked = Grant(MOTHER_ID, FATHER_ID, None, NOW + timedelta(days=7), revoked_at=NOW)
    assert not covers(revoked, principal_id=MOTHER_ID, proxy_id=FATHER_ID, bundle_code="P-01", now=NOW)
    assert covers(Grant(MOTHER_ID, FATHER_ID, None, NOW + timedelta(days=1)), principal_id=MOTHER_ID,
                  proxy_id=FATHER_ID, bundle_code="E-02", now=NOW)
    assert grant_problem(MOTHER_ID, MOTHER_ID, 7) is not None and grant_problem(MOTHER_ID, FATHER_ID, 31) is not None
    assert grant_problem(MOTHER_ID, FATHER_ID, 30) is None


@pytest.fixture
async def app(migrated_database: Callable[[str], Awaitable[Database]]) -> Any:
    database = await migrated_database("intake")
    catalogues = CatalogueStore(SqlCatalogueVersions(database), load_catalogue())
    await catalogues.record_current()
    return create_app(database, catalogues)


def online_by_the_father(**changes: Any) -> dict[str, Any]:
    body = application(**{"channel": "portal", "proxy": {"name": "李强", "id_number": FATHER_ID, "role": "relative"},
                          **changes})
    body.pop("window_id")
    body.pop("staff_id")
    return body


async def test_an_online_proxy_needs_the_applicants_own_authorisation(app: Any, api_client: AuthorisedClient) -> None:
    async with api_client(app, Role.APPLICANT, id_number=FATHER_ID) as father, \
            api_client(app, Role.APPLICANT, id_number=MOTHER_ID) as mother, \
            api_client(app, Role.APPLICANT, id_number=STRANGER_ID) as stranger, \
            api_client(app, Role.CLERK, window_id="W01", staff_id="S001") as clerk:
        refused = await father.post("/cases", json=online_by_the_father())
        assert refused.status_code == 403 and refused.json()["detail"]["problem"] == "not_delegated"
        assert "POST /delegations" in refused.json()["detail"]["message_en"]

        assert (await clerk.post("/delegations", json={"proxy_id_number": FATHER_ID})).status_code == 403
        assert (await father.post("/delegations", json={"proxy_id_number": FATHER_ID})).status_code == 422  # self
        other_thing = await mother.post("/delegations", json={"proxy_id_number": FATHER_ID, "bundle_code": "E-02"})
        assert other_thing.status_code == 201
        assert (await father.post("/cases", json=online_by_the_father())).status_code == 403  # for E-02 only

        granted = await mother.post("/delegations", json={"proxy_id_number": FATHER_ID, "bundle_code": "P-01",
                                                          "valid_days": 3})
        assert granted.status_code == 201, granted.text
        grant = granted.json()
        expires = datetime.fromisoformat(grant["expires_at"]) - datetime.fromisoformat(grant["granted_at"])
        assert grant["principal_id"] == MOTHER_ID and expires == timedelta(days=3)
        accepted = await father.post("/cases", json=online_by_the_father())
        assert accepted.status_code == 201, accepted.text
        case = accepted.json()
        assert case["proxy"]["id_number"] == FATHER_ID
        assert any(grant["delegation_id"] in entry["text_zh"] for entry in case["timeline"]), case["timeline"]

        assert {d["delegation_id"] for d in (await father.get("/delegations")).json()} >= {grant["delegation_id"]}
        assert (await stranger.delete(f"/delegations/{grant['delegation_id']}")).status_code == 404
        assert (await father.delete(f"/delegations/{grant['delegation_id']}")).status_code == 404  # not his to revoke
        revoked = await mother.delete(f"/delegations/{grant['delegation_id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert (await father.post("/cases", json=online_by_the_father())).status_code == 403

        at_the_window = application(proxy={"name": "李强", "id_number": FATHER_ID, "role": "relative"})
        assert (await clerk.post("/cases", json=at_the_window)).status_code == 201  # the clerk sees both people
        own = online_by_the_father()
        own.pop("proxy")
        assert (await mother.post("/cases", json=own)).status_code == 201  # as herself, nothing to authorise
