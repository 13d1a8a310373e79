"""The supervision board (电子监察看板) in a real browser, on the running system: a birth (P-01) is submitted at
window W01, the police (公安局) do not answer its household registration (simulated fault: silent), the
supervision clock is moved past the limit, and the supervisor finds the red-carded case (红牌) and its blocking
department, opens it (clocks, cards and 督办, the audit trail), and reads the figures with their charts; English,
the senior mode, the keyboard alone and AA contrast."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from contracts.departments import department
from exchange.access.roles import Role
from onething.applicants import application_for
from onething.system import System

pytestmark = pytest.mark.browser

Contrast = Callable[[Page, list[str]], dict[str, float]]  # the conftest's `contrast` fixture
Screenshot = Callable[[str], Any]
SignIn = Callable[..., None]
TEXT_SELECTORS = [".shell-brand", ".shell-place", "#lang-switch", "#senior-switch", "#sign-out", ".shell-who", "h1",
                  "h2", "h3", ".lead", ".note", "label", "#status", ".board-nav a", "th", "td", ".card-badge.red",
                  ".card-badge.yellow", "button.case-link", "td.late", ".facts dt", ".facts dd", ".code",
                  ".shell-footer p", "#case-close"]
SILENT = "police"  # 公安局: P-01-03 (household registration) needs the birth certificate (health) first
SLOW = "health"  # answers its review late, so the police have reviewed before they turn silent
SILENT_ITEM = "P-01-03"
CENTRE = "approval"  # the service centre (政务服务中心), whose window accepts the case and is rated for it


@dataclass(frozen=True)
class LateCase:
    case_id: str
    blocking_department: str
    blocking_item: str


def _wait_for(what: str, check: Callable[[], Any], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout_s}s for {what}")


@pytest.fixture(scope="module")
def late_case(running_system: System) -> Iterator[LateCase]:
    """A P-01 case whose police item runs past its limit because the police system is silent (故障注入), the
    supervision clock moved forward a day at a time until its red card (红牌) and supervision order (督办)."""
    urls = {name: running_system.url(name) for name in ("intake", "supervision", "simulators")}
    tokens = running_system.tokens
    operator = httpx.Client(timeout=30, auth=tokens.staff(Role.OPERATOR))
    clerk = httpx.Client(timeout=30, auth=tokens.clerk_at("window", "W01"))
    faults = f"{urls['simulators']}/faults"
    try:
        # Every department reviews at once (同步预审): the health commission reviews a few seconds late, so the
        # police have reviewed by the time the round ends; then they turn silent, before their item is released.
        operator.post(faults, json={"mode": "slow", "departments": [SLOW], "delay_s": 3}).raise_for_status()
        notice = clerk.get(f"{urls['intake']}/catalogue/P-01/notice").json()
        body = application_for(notice, random.Random(7), 0)  # n=0: at window W01, every material brought
        submitted = clerk.post(f"{urls['intake']}/cases", json=body)
        assert submitted.status_code == 201, submitted.text
        case_id = submitted.json()["case_id"]

        def reviewed() -> bool:
            audit = operator.get(f"{urls['supervision']}/cases/{case_id}/audit")
            return audit.status_code == 200 and any(f["event_type"] == "dispatch.review.concluded" for f in audit.json())

        _wait_for("the review round to conclude", reviewed)
        operator.post(faults, json={"mode": "silent", "departments": [SILENT]}).raise_for_status()
        view_url = f"{urls['supervision']}/cases/{case_id}/supervision"

        def police_holds_it() -> bool:
            clocks = operator.get(view_url).json()["clocks"]
            return any(c["item_code"] == SILENT_ITEM and c["state"] == "running" for c in clocks)

        _wait_for("the police item to be released (and not answered)", police_holds_it)
        for _ in range(40):  # a calendar day at a time until the police item's red card and its order
            operator.post(f"{urls['supervision']}/clock/advance", json={"days": 1}).raise_for_status()
            view = operator.get(view_url).json()
            if any(c["item_code"] == SILENT_ITEM and c["colour"] == "red" for c in view["cards"]) and view["orders"]:
                break
        projection = view["projection"]
        assert projection["blocking_department"] == SILENT, projection
        _rate_acceptance_badly(running_system, case_id, body["applicant"])
        yield LateCase(case_id, projection["blocking_department"], projection["blocking_item"])
    finally:
        operator.post(faults, json={"mode": "none"})  # the session's system goes on for other tests
        operator.close()
        clerk.close()


def _rate_acceptance_badly(system: System, case_id: str, applicant: dict[str, str]) -> None:
    """The applicant rates the window's acceptance 不满意 (差评): a satisfaction figure, and a rectification order
    (整改单) for the service centre that supervision times."""
    rating = system.url("rating")
    with httpx.Client(timeout=30, auth=system.tokens.applicant(applicant["id_number"], applicant["name"])) as rater:
        review = {"case_id": case_id, "touchpoint": "acceptance", "level": "dissatisfied", "tags": ["slow"],
                  "comment": "排队太久"}
        _wait_for("the acceptance to be open for rating", lambda: rater.post(f"{rating}/ratings", json=review)
                  .status_code == 201)
    with httpx.Client(timeout=30, auth=system.tokens.staff(Role.SUPERVISOR)) as supervisor:
        _wait_for("the rectification order's clock", lambda: supervisor.get(
            f"{system.url('supervision')}/rectification-clocks").json())
        _wait_for("the satisfaction figures", lambda: supervisor.get(
            f"{rating}/figures", params={"by": "department", "period": "week"}).json())


def open_board(page: Page, running_system: System, sign_in: SignIn, *, lang: str = "") -> None:
    page.goto(running_system.url("supervision") + ("/?lang=en" if lang == "en" else "/"))
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    page.locator("#board-sign-in").click()
    sign_in(page, "supervisor")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    expect(page.locator("#board")).to_be_visible()


def card_row(page: Page, case_id: str) -> Any:
    return page.locator("#cards tbody tr").filter(has=page.locator(f"button[data-case='{case_id}']")).first


def test_a_supervisor_finds_the_red_carded_case_and_its_blocking_department_and_opens_it(
        page: Page, running_system: System, sign_in: SignIn, late_case: LateCase, screenshot: Screenshot) -> None:
    police = department(SILENT).name_zh
    page.goto(running_system.url("supervision"))
    expect(page.locator("#signed-out")).to_be_visible()
    expect(page.locator("#board")).to_be_hidden()
    screenshot("signed-out")
    page.get_by_role("button", name="登录").first.click()
    sign_in(page, "supervisor")
    expect(page.locator("#board")).to_be_visible()
    expect(page.locator(".shell-who")).to_contain_text("监察人员")
    expect(page.locator("#status")).to_contain_text("在办红牌")

    row = card_row(page, late_case.case_id)
    expect(row).to_contain_text("红牌")
    expect(row).to_contain_text(police)
    expect(row).to_contain_text(SILENT_ITEM)
    expect(row).to_contain_text(re.compile(r"超期 \d+ 个工作日"))
    expect(row).to_contain_text("督办")
    late = page.locator("#late tbody tr").filter(has_text=police)
    expect(late).to_have_count(1)
    assert int(late.locator("td").first.inner_text()) >= 1
    screenshot("board")

    row.locator("button.case-link").click()
    expect(page.locator("#case")).to_be_visible()
    expect(page.locator("#case-title")).to_be_focused()
    expect(page.locator("#case-title")).to_contain_text(late_case.case_id)
    expect(page.locator("#case-blocking")).to_contain_text(police)
    expect(page.locator("#case-blocking")).to_contain_text(late_case.blocking_item)
    overdue = page.locator("#case-clocks tbody tr").filter(has_text=SILENT_ITEM)
    expect(overdue).to_contain_text("已超期")
    expect(page.locator("#case-cards")).to_contain_text("督办")
    expect(page.locator("#case-audit tbody tr").filter(has_text="dispatch.task.released").first).to_be_visible()
    screenshot("case")

    centre = department(CENTRE).name_zh
    expect(page.locator("#rectifications tbody tr").filter(has_text=centre).first).to_contain_text("计时中")
    page.locator("#figures-title").scroll_into_view_if_needed()
    health = department(SLOW).name_zh
    expect(page.locator("#efficiency tbody tr").filter(has_text=health)).to_have_count(1)
    expect(page.locator("#satisfaction tbody tr").filter(has_text=centre)).to_contain_text("1")
    drawn = page.evaluate("""() => ["late-chart", "efficiency-chart", "satisfaction-chart"].map((id) => {
      const chart = window.Chart.getChart(document.getElementById(id));
      return chart ? chart.data.labels.length : 0; })""")
    assert all(n >= 1 for n in drawn), drawn
    label = page.locator("#efficiency-chart").get_attribute("aria-label") or ""
    assert "下表" in label, "the chart says where its figures are in words"
    page.select_option("#figures-by", "item")
    expect(page.locator("#efficiency tbody tr").filter(has_text="P-01-01")).to_have_count(1)
    page.select_option("#figures-by", "channel")
    expect(page.locator("#efficiency-none")).to_contain_text("不按渠道统计")
    page.select_option("#figures-by", "department")
    expect(page.locator("#efficiency tbody tr").filter(has_text=health)).to_have_count(1)
    screenshot("figures")


def test_english_and_the_senior_mode_redraw_the_board(
        page: Page, running_system: System, sign_in: SignIn, late_case: LateCase, screenshot: Screenshot,
        contrast: Contrast) -> None:
    open_board(page, running_system, sign_in)
    page.get_by_role("button", name="Switch to English 切换到英文").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Supervision board")
    row = card_row(page, late_case.case_id)
    expect(row).to_contain_text("Red card")
    expect(row).to_contain_text(department(SILENT).name_en)
    expect(row).to_contain_text(re.compile(r"\d+ working days? past"))
    expect(row).to_contain_text("Supervision order")
    expect(page.locator("#status")).to_contain_text("red and")
    expect(page.locator(".shell-who")).to_contain_text("Supervisor")
    row.locator("button.case-link").click()
    expect(page.locator("#case-blocking")).to_contain_text(department(SILENT).name_en)
    expect(page.locator("#case-clocks")).to_contain_text("overdue")
    assert not re.search(r"[\u4e00-\u9fff]", page.locator("#cards thead").inner_text()), "headings in English"
    screenshot("english")

    senior = page.locator("#senior-switch")
    normal_px = float(page.locator("td").first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    senior.click()
    expect(senior).to_have_attribute("aria-pressed", "true")
    senior_px = float(page.locator("td").first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert senior_px >= 1.3 * normal_px, (normal_px, senior_px)
    ratios = contrast(page, TEXT_SELECTORS)
    assert min(ratios.values()) >= 7, ratios
    screenshot("english-senior")


def test_the_keyboard_alone_opens_a_case_at_aa_contrast_and_every_request_stays_in_the_system(
        page: Page, running_system: System, sign_in: SignIn, late_case: LateCase, screenshot: Screenshot,
        contrast: Contrast) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    refused: list[str] = []  # the CSP would refuse an inline style or script, the chart library's included
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    open_board(page, running_system, sign_in)
    ratios = contrast(page, TEXT_SELECTORS)
    assert min(ratios.values()) >= 4.5, ratios

    button = card_row(page, late_case.case_id).locator("button.case-link")
    button.focus()
    outline = button.evaluate("el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline  # focus is visible
    page.keyboard.press("Enter")
    expect(page.locator("#case-title")).to_be_focused()
    screenshot("case-by-keyboard")
    page.keyboard.press("Tab")
    expect(page.locator("#case-close")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#case")).to_be_hidden()
    expect(button).to_be_focused()  # back where the supervisor was

    system = {re.match(r"https?://[^/]+", running_system.url(name)).group(0)  # type: ignore[union-attr]
              for name in ("supervision", "rating", "intake", "simulators")}
    strangers = [u for u in asked if re.match(r"https?://[^/]+", u) and
                 re.match(r"https?://[^/]+", u).group(0) not in system]  # type: ignore[union-attr]
    assert strangers == [], strangers
    assert refused == [], refused
