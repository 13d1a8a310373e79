"""Browser tests (浏览器测试): Debian's Chromium, driven by Playwright, against intake serving for real.

* ``intake_url``: intake's own app (``create_app``, its edge, its catalogue store) served by uvicorn on a free
  port, on the embedded default's SQLite file migrated by intake's own migrations, as ``make run`` runs it.
* ``page``: a fresh browser context (nothing remembered: no language, no senior mode) and its page, at a desk's
  size, zh-CN; a script error on the page fails the test.
* ``screenshot("state")``: ``test-artifacts/screens/<test>-<state>.png`` (git-ignored), to look at; a failing
  test leaves ``<test>-failed.png``.

Only ``/usr/bin/chromium`` is used (``make test`` installs Debian's package; ``make browser`` alone does too):
never a browser Playwright downloads. Without it these tests are skipped, saying how to get it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
import uvicorn
from onething_catalogue.loader import load_catalogue
from playwright.sync_api import Browser, Page, sync_playwright

from exchange.broker import free_port
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.signing import KeyRing
from exchange.testing.access import trusting
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.entrypoints.api import create_app
from intake.service_layer.catalogues import CatalogueStore

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
DESK = {"width": 1366, "height": 900}

Screenshot = Callable[[str], Path]


def _serve_intake(data_dir: Path, keyring: KeyRing, port: int, started: threading.Event,
                  stopping: threading.Event) -> None:
    """In its own thread and event loop: the database's connections belong to the loop that serves."""

    async def serve() -> None:
        database = Database(f"sqlite+aiosqlite:///{data_dir / 'intake.db'}", source="intake")
        await upgrade(database, "intake")
        store = CatalogueStore(SqlCatalogueVersions(database), load_catalogue(None))
        await store.record_current()  # as the runtime's start-up does
        app = trusting(create_app(database, store), keyring)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        started.set()
        while not stopping.is_set() and not task.done():
            await asyncio.sleep(0.1)
        server.should_exit = True
        await task
        await database.dispose()

    asyncio.run(serve())


@pytest.fixture(scope="session")
def intake_url(tmp_path_factory: pytest.TempPathFactory, keyring: KeyRing) -> Iterator[str]:
    port = free_port()
    started, stopping = threading.Event(), threading.Event()
    thread = threading.Thread(target=_serve_intake, daemon=True, name="intake-for-browser-tests",
                              args=(tmp_path_factory.mktemp("intake"), keyring, port, started, stopping))
    thread.start()
    assert started.wait(60), "intake did not start"
    yield f"http://127.0.0.1:{port}"
    stopping.set()
    thread.join(30)


@pytest.fixture(scope="module")  # not the session: Playwright's sync API keeps an event loop running on this thread
def browser() -> Iterator[Browser]:  # until it stops, and the next test file's asyncio.run() would refuse to start
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make browser` (or `make test`) installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        _save(page, f"{_test_name(request)}-failed")
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Screenshot:
    return lambda state: _save(page, f"{_test_name(request)}-{state}")


def _test_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^\w.-]+", "_", request.node.name)


def _save(page: Page, stem: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{stem}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                               ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keeps each phase's report on the test, so ``page`` knows at teardown whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
