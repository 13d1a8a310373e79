"""The window's acceptance screen over HTTP (综合窗口 · 一窗受理): ``GET /window/`` and its assets pass intake's edge
anonymously, with the page's headers; what the page works with (``/cases``) does not — the clerk's own token is
needed, which the page gets by signing in. (In a browser, on the running system: tests/browser/test_window.py.)"""

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
from intake.entrypoints.window_page import WINDOW_ASSETS, WINDOW_PAGE
from intake.service_layer.catalogues import CatalogueStore

ASSETS = {
    f"{WINDOW_ASSETS}/window.css": "text/css; charset=utf-8",
    f"{WINDOW_ASSETS}/window.js": "text/javascript; charset=utf-8",
    "/shell/session.js": "text/javascript; charset=utf-8",
}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Intake on the embedded default's SQLite, no token: a browser that has not signed in yet."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}", source="intake")
    await upgrade(database, "intake")
    app = create_app(database, CatalogueStore(SqlCatalogueVersions(database), load_catalogue(None)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as client:
        yield client
    await database.dispose()


async def test_the_window_page_is_served_with_the_page_headers(api: httpx.AsyncClient) -> None:
    page = await api.get(WINDOW_PAGE)
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache" and page.headers["referrer-policy"] == "same-origin"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert '<html lang="zh-CN">' in page.text and "一窗受理" in page.text
    assert f'src="{WINDOW_ASSETS}/window.js"' in page.text
    assert "http://" not in page.text and "https://" not in page.text and "<style" not in page.text
    assert "<script>" not in page.text  # the CSP forbids inline script: the page has none
    assert (await api.get("/")).status_code == 200, "the finder stays at the root"


async def test_its_assets_are_typed_revalidated_and_its_html_only_at_the_page(api: httpx.AsyncClient) -> None:
    for path, content_type in ASSETS.items():
        answer = await api.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == content_type, path
        assert answer.headers["cache-control"] == "no-cache" and answer.headers["x-content-type-options"] == "nosniff"
    assert (await api.get(f"{WINDOW_ASSETS}/index.html")).status_code == 404


async def test_the_cases_it_works_with_need_the_clerks_token(api: httpx.AsyncClient) -> None:
    assert (await api.post("/cases", json={})).status_code == 401
    assert (await api.get("/cases/OT-ANY")).status_code == 401
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert WINDOW_PAGE not in paths and "/cases" in paths
