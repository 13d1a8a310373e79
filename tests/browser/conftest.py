"""Browser tests (浏览器测试): Debian's Chromium, driven by Playwright, against the services serving for real.

* ``intake_url``: intake's own app (``create_app``, its edge, its catalogue store) served by uvicorn on a free
  port, on the embedded default's SQLite file migrated by intake's own migrations, as ``make run`` runs it.
* ``licence_url`` (and ``licence_site``, with the licences to present): licence's own app the same way, with two
  licences issued by its own handler, read through its API, one of them revoked by the issuing department.
* ``running_system``: the whole system as ``make run`` starts it (every process, the embedded broker, SQLite), on
  free ports, once per test module (kept to the end of a worker's run, an idle system would slow every later test); departments answer at once and never ask for corrections or refuse (a test
  that needs them asks the simulators). Pages find each other and the sign-in through its service URLs.
* ``sign_in(page, account)``: on the identity platform's page a screen sent the browser to, signs in as a staff
  account (``window.W01``, ``supervisor``, ``operator`` …) with its own secret or, with ``name=``, as the applicant
  with that ID number with the applicants' development password, as a person would; the browser goes back to the screen signed in.
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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from onething_catalogue.loader import load_catalogue
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.types import ASGIApp

from contracts.dispatch.v1 import LicenceRequested
from contracts.envelope import Envelope
from exchange.access.credentials import CREDENTIALS_FILE, read_dev_credentials
from exchange.broker import free_port
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.signing import KeyRing
from exchange.testing.access import trusting
from exchange.testing.clients import signed_clients
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.entrypoints.api import create_app
from intake.service_layer.catalogues import CatalogueStore
from licence.domain.licences import licence_id_for
from licence.entrypoints.api import create_app as licence_app
from licence.entrypoints.consumers import build_handlers
from licence.service_layer.issuers import Issuers
from licence.service_layer.verification import Verifier
from onething.system import System, SystemConfig

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
DESK = {"width": 1366, "height": 900}

Screenshot = Callable[[str], Path]
SignIn = Callable[..., None]  # sign_in(page, account, *, name=None)
Contrast = Callable[[Page, list[str]], dict[str, float]]

# Text colour against the first opaque background behind it, per WCAG 2.x (relative luminance).
_CONTRAST = """(selectors) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = {};
  for (const s of selectors) {
    for (const el of document.querySelectorAll(s)) {
      if (!el.getClientRects().length) continue;  // hidden: nobody reads it
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      out[s] = Math.min(out[s] ?? Infinity, ratio);
    }
  }
  return out;
}"""


async def _serve(app: ASGIApp, port: int, started: threading.Event, stopping: threading.Event) -> None:
    """Serve ``app`` on ``port`` until ``stopping``; ``started`` once it listens."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.05)
    started.set()
    while not stopping.is_set() and not task.done():
        await asyncio.sleep(0.1)
    server.should_exit = True
    await task


def _serve_intake(data_dir: Path, keyring: KeyRing, port: int, started: threading.Event,
                  stopping: threading.Event) -> None:
    """In its own thread and event loop: the database's connections belong to the loop that serves."""

    async def serve() -> None:
        database = Database(f"sqlite+aiosqlite:///{data_dir / 'intake.db'}", source="intake")
        await upgrade(database, "intake")
        store = CatalogueStore(SqlCatalogueVersions(database), load_catalogue(None))
        await store.record_current()  # as the runtime's start-up does
        await _serve(trusting(create_app(database, store), keyring), port, started, stopping)
        await database.dispose()

    asyncio.run(serve())


@contextmanager
def _served_in_thread(name: str, serve: Callable[[int, threading.Event, threading.Event], None]) -> Iterator[int]:
    """Runs ``serve(port, started, stopping)`` in a thread of its own until the block ends; the port once started."""
    port = free_port()
    started, stopping = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(port, started, stopping), daemon=True, name=name)
    thread.start()
    assert started.wait(60), f"{name} did not start"
    try:
        yield port
    finally:
        stopping.set()
        thread.join(30)


@pytest.fixture(scope="session")
def intake_url(tmp_path_factory: pytest.TempPathFactory, keyring: KeyRing) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("intake")
    with _served_in_thread("intake-for-browser-tests", partial(_serve_intake, data_dir, keyring)) as port:
        yield f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class LicenceSite:
    """Licence serving, with two licences it issued (birth medical certificates of 张小明): one in force, one
    revoked by its issuer, as their holders would present them."""

    url: str
    genuine_qr: str
    genuine_credential: dict[str, Any]
    genuine_pdf: bytes
    revoked_qr: str


async def _issue(database: Database, issuers: Issuers, case_id: str) -> str:
    """An approved item's licence, through licence's own issuing handler (as dispatch's request reaches it)."""
    payload = LicenceRequested(case_id=case_id, task_id=f"{case_id}/P-01-01", item_code="P-01-01", department="health",
                               attempt=1, document_no=None, licence_type="birth-medical-certificate",
                               holder_id="430102202611210011", holder_name="张小明", concluded_at=datetime.now(UTC))
    envelope = Envelope.wrap(payload, source="dispatch", subject=case_id)
    async with database.unit_of_work(cause=envelope) as uow:
        await build_handlers(issuers)[LicenceRequested.event_type](uow, envelope, payload)
    return licence_id_for(case_id, "P-01-01")


def _serve_licence(data_dir: Path, keyring: KeyRing, port: int, started: threading.Event, stopping: threading.Event,
                   *, site: list[LicenceSite]) -> None:
    """Licence's own app (its edge, its verifier) on a migrated SQLite file; the licences are read through its API
    (signed as intake, which may read archives) and one is revoked by the issuing department's signed request."""

    async def serve() -> None:
        url = f"http://127.0.0.1:{port}"
        database = Database(f"sqlite+aiosqlite:///{data_dir / 'licence.db'}", source="licence")
        await upgrade(database, "licence")
        issuers = Issuers(keyring, region="430100", region_name_zh="长沙市", public_url=url)
        app = trusting(licence_app(database, keyring, issuers, Verifier(database, issuers),
                                   archive_readers=["intake"]), keyring)
        genuine, revoked = await _issue(database, issuers, "C-1"), await _issue(database, issuers, "C-2")
        async with signed_clients(app, keyring, "浏览器测试：出示证照 browser tests", url) as client:
            licence = (await client("intake").get(f"/licences/{genuine}")).json()
            pdf = (await client("intake").get(f"/licences/{genuine}/pdf")).content
            revoked_qr = (await client("intake").get(f"/licences/{revoked}")).json()["qr_payload"]
            done = await client("dept.health").post(f"/licences/{revoked}/revocation",
                                                    json={"reason_zh": "信息有误，依法撤销"})
            assert done.status_code == 200, done.text
        site.append(LicenceSite(url, licence["qr_payload"], licence["credential"], pdf, revoked_qr))
        await _serve(app, port, started, stopping)
        await database.dispose()

    asyncio.run(serve())


@pytest.fixture(scope="session")
def licence_site(tmp_path_factory: pytest.TempPathFactory, keyring: KeyRing) -> Iterator[LicenceSite]:
    site: list[LicenceSite] = []
    data_dir = tmp_path_factory.mktemp("licence")
    with _served_in_thread("licence-for-browser-tests", partial(_serve_licence, data_dir, keyring, site=site)):
        assert site, "licence did not start"
        yield site[0]


@pytest.fixture(scope="session")
def licence_url(licence_site: LicenceSite) -> str:
    return licence_site.url


@pytest.fixture(scope="module")  # not the session: an idle system kept to the end of a worker's run burns a core's
def running_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:  # share for the rest of the suite
    env = {"ONETHING_KAFKA_SESSION_TIMEOUT_MS": "2000", "ONETHING_KAFKA_HEARTBEAT_INTERVAL_MS": "300",
           "ONETHING_CLOCK_CONTROL": "true", "ONETHING_SIM_LATENCY_MS_MIN": "0", "ONETHING_SIM_LATENCY_MS_MAX": "0",
           "ONETHING_SIM_CORRECTION_RATE": "0", "ONETHING_SIM_REJECT_RATE": "0"}
    with System(SystemConfig(data_dir=tmp_path_factory.mktemp("system"), free_ports=True, env=env)) as system:
        yield system


@pytest.fixture
def sign_in(running_system: System) -> SignIn:
    known = read_dev_credentials(running_system.data_dir / CREDENTIALS_FILE)
    identity = running_system.url("simulators")

    def sign_in(page: Page, account: str, *, name: str | None = None) -> None:
        page.wait_for_url(f"{identity}/oauth/authorize?*")
        if name is None:  # staff: the account's own secret
            page.select_option("#account", account)
            page.fill("#staff-password", known.clients[account].secret)
            page.locator("#staff-password").press("Enter")
        else:
            page.fill("#username", account)
            page.fill("#name", name)
            page.fill("#applicant-password", known.applicant_password)
            page.locator("#applicant-password").press("Enter")
        page.wait_for_url(lambda url: not url.startswith(identity))

    return sign_in


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


@pytest.fixture
def contrast() -> Contrast:
    """``contrast(page, selectors)``: the lowest contrast ratio of the visible elements each selector matches."""
    return lambda page, selectors: dict(page.evaluate(_CONTRAST, selectors))


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
