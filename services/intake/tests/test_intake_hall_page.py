"""The hall's finder page over HTTP (大厅画面): ``GET /`` and its assets pass intake's edge anonymously, with
the content types, revalidation and Content-Security-Policy a public page needs; the catalogue it reads names
every department a one-thing involves, and the notice the e-licence that proves a material. (In a browser:
tests/browser.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from onething_catalogue.loader import load_catalogue

from exchange.db.database import Database
from exchange.db.migrations import upgrade
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.entrypoints.api import create_app
from intake.service_layer.catalogues import CatalogueStore

ASSETS = {
    "/shell/shell.css": "text/css; charset=utf-8",
    "/shell/shell.js": "text/javascript; charset=utf-8",
    "/hall/hall.css": "text/css; charset=utf-8",
    "/hall/hall.js": "text/javascript; charset=utf-8",
}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Intake on the embedded default's SQLite, no token: as anyone at the hall's screen."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}", source="intake")
    await upgrade(database, "intake")
    app = create_app(database, CatalogueStore(SqlCatalogueVersions(database), load_catalogue(None)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as client:
        yield client
    await database.dispose()


async def test_the_finder_is_served_at_the_root_to_anyone(api: httpx.AsyncClient) -> None:
    page = await api.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert '<html lang="zh-CN">' in page.text and "一件事导办" in page.text
    # Every asset the page names is this service's own: no scheme, no other host.
    assert 'src="/hall/hall.js"' in page.text and 'href="/shell/shell.css"' in page.text
    assert "http://" not in page.text and "https://" not in page.text and "//cdn" not in page.text


async def test_assets_have_their_types_and_are_revalidated(api: httpx.AsyncClient) -> None:
    for path, content_type in ASSETS.items():
        answer = await api.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == content_type, path
        assert answer.headers["cache-control"] == "no-cache" and answer.headers["x-content-type-options"] == "nosniff"
        again = await api.get(path, headers={"If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304, path
    assert (await api.get("/hall/missing.js")).status_code == 404
    assert (await api.get("/hall/index.html")).status_code == 404  # the page only at /, with its CSP


async def test_the_page_is_not_part_of_the_api_document(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "/" not in paths and "/catalogue" in paths


async def test_the_catalogue_names_every_department_a_one_thing_involves(api: httpx.AsyncClient) -> None:
    p01 = next(b for b in (await api.get("/catalogue")).json()["bundles"] if b["code"] == "P-01")
    codes = [d["code"] for d in p01["departments"]]
    assert codes[0] == p01["lead"] and set(p01["co"]) <= set(codes) and len(codes) == len(set(codes))
    assert {"code": "police", "name_zh": "公安局", "name_en": "Public Security Bureau"} in p01["departments"]


async def test_the_notice_names_the_e_licence_that_proves_a_material(api: httpx.AsyncClient) -> None:
    notice = (await api.get("/catalogue/P-02/notice")).json()
    vaccination = next(m for m in notice["materials"] if m["name_zh"] == "预防接种证")
    assert vaccination["submit"] and vaccination["licence"] == {
        "code": "vaccination-certificate", "name_zh": "预防接种证", "name_en": "Vaccination certificate"}
    page = (await api.get("/catalogue/P-02/notice", params={"format": "html"})).text
    assert "经申请人授权可用电子证照（预防接种证）免提交" in page
