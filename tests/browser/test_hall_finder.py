"""The hall's one-thing finder (综合窗口 · 一件事导办) in a real browser: a clerk finds a one-thing by name, life
event and department, opens it, reads its items with the joined ones explained and its one-time notice; English
and back; the senior mode; the keyboard alone; every asset from intake itself, at AA contrast."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

Contrast = Callable[[Page, list[str]], dict[str, float]]  # the conftest's `contrast` fixture
Screenshot = Callable[[str], Any]  # the conftest's `screenshot` fixture
TEXT_SELECTORS = [".shell-brand", ".shell-place", "#lang-switch", "#senior-switch", "h1", ".lead", "label", "#count",
                  ".result-name", ".result-meta", ".badge.ok", ".badge.info", ".badge.warn", ".item-meta", "th", "td",
                  ".added", ".shell-footer p"]


@pytest.fixture(scope="module")
def catalogue(intake_url: str) -> dict[str, Any]:
    """What the page is a client of: intake's open catalogue."""
    answer: dict[str, Any] = httpx.get(f"{intake_url}/catalogue").json()
    return answer


def open_finder(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body[data-ready=true]")).to_have_count(1)


def listed(page: Page) -> list[str]:
    return [str(c) for c in page.locator("#results a").evaluate_all("links => links.map(a => a.dataset.code)")]


def font_px(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))


def test_a_clerk_finds_a_one_thing_by_name_life_event_and_department(page: Page, intake_url: str,
                                                                      catalogue: dict[str, Any],
                                                                      screenshot: Screenshot) -> None:
    bundles = catalogue["bundles"]
    open_finder(page, intake_url)
    assert len(listed(page)) == len(bundles) == 46
    expect(page.locator("#count")).to_have_text("共 46 件一件事，找到 46 件")
    screenshot("all")

    page.get_by_label("名称或关键词").fill("出生")
    assert "P-01" in listed(page)
    assert all("出生" in b["name_zh"] for b in bundles if b["code"] in listed(page))
    expect(page.locator("#results a").first).to_contain_text("新生儿出生一件事")
    screenshot("by-name")

    page.get_by_label("名称或关键词").fill("")
    page.get_by_label("人生阶段 / 企业生命周期").select_option("enterprise")
    assert listed(page) == [b["code"] for b in bundles if b["life_cycle"] == "enterprise"]
    assert listed(page) and all(code.startswith("E-") for code in listed(page))
    screenshot("by-life-event")

    page.get_by_label("人生阶段 / 企业生命周期").select_option("")
    page.get_by_label("部门").select_option(label="公安局")
    police = [b["code"] for b in bundles if any(d["code"] == "police" for d in b["departments"])]
    assert listed(page) == police and "P-01" in police and len(police) < len(bundles)
    page.get_by_label("人生阶段 / 企业生命周期").select_option("person")
    assert listed(page) == [b["code"] for b in bundles if b["code"] in police and b["life_cycle"] == "person"]
    screenshot("by-department")

    page.get_by_label("名称或关键词").fill("没有这件事")
    expect(page.locator("#results")).to_contain_text("没有找到")
    expect(page.locator("#count")).to_have_text("共 46 件一件事，找到 0 件")


def test_a_clerk_opens_a_one_thing_and_reads_its_items_and_one_time_notice(page: Page, intake_url: str,
                                                                             screenshot: Screenshot) -> None:
    notice = httpx.get(f"{intake_url}/catalogue/P-01/notice").json()
    open_finder(page, intake_url)
    page.get_by_label("名称或关键词").fill("新生儿")
    page.get_by_role("link", name=re.compile("新生儿出生一件事")).click()
    expect(page.locator("#detail-title")).to_have_text("新生儿出生一件事（P-01）")
    expect(page.locator("#detail-title")).to_be_focused()
    assert page.url.endswith("?code=P-01")
    expect(page.locator("#detail-units")).to_contain_text("牵头单位：卫生健康委员会")

    boxes = page.locator("#items input[type=checkbox]")
    expect(boxes).to_have_count(6)
    assert all(boxes.nth(n).is_checked() for n in range(6))
    insurance = page.locator("#items > li", has=page.get_by_label("城乡居民基本医疗保险参保登记"))
    expect(insurance).to_contain_text("须先办结「户口登记（出生登记）」")  # a prerequisite, explained
    expect(insurance).to_contain_text("须与「城乡居民医疗保险参保缴费」一并办理")  # items that go together

    materials = page.locator("#notice-body table").nth(1).locator("tbody tr")
    expect(materials).to_have_count(len(notice["materials"]))
    shared = [m for m in notice["materials"] if not m["submit"]]
    expect(page.locator("#notice-body .badge.ok", has_text="数据共享")).to_have_count(len(shared))
    expect(page.locator("#materials-summary")).to_contain_text(f"数据共享免提交 {len(shared)} 项")
    expect(page.locator("#deadline")).to_contain_text(f"承诺 {notice['deadline']['limit_days']} 个工作日内办结")
    expect(page.locator("#deadline")).to_contain_text(notice["deadline"]["due_on_if_accepted_today"])
    expect(page.locator("#detail-print")).to_have_attribute("href", re.compile(r"^/catalogue/P-01/notice\?format=html"))
    screenshot("notice")

    # Unticking the household registration, which insurance enrolment needs: intake keeps it, and says why.
    page.get_by_label("户口登记（出生登记）").uncheck()
    expect(page.locator("#added")).to_be_visible()
    expect(page.get_by_label("户口登记（出生登记）")).to_be_checked()
    expect(page.locator("#added")).to_contain_text("户口登记")
    screenshot("joined-item-kept")


def test_an_e_licence_proves_a_material_the_applicant_would_otherwise_bring(page: Page, intake_url: str,
                                                                          screenshot: Screenshot) -> None:
    open_finder(page, f"{intake_url}/?code=P-02")
    expect(page.locator("#detail-title")).to_have_text("入学一件事（P-02）")
    row = page.get_by_role("row", name=re.compile("^预防接种证 申请人提交"))
    expect(row.locator(".badge.info")).to_have_text("电子证照 · 免提交")
    expect(row).to_contain_text("以「预防接种证」电子证照代替")
    screenshot("licence-proves")


def test_english_on_request_remembered_and_back(page: Page, intake_url: str, screenshot: Screenshot) -> None:
    open_finder(page, intake_url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("button", name=re.compile("Switch to English")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("One-thing finder")
    assert "lang=en" in page.url
    page.get_by_label("Name or keyword").fill("birth")
    assert "P-01" in listed(page)
    page.get_by_role("link", name=re.compile("Newborn birth")).click()
    expect(page.locator("#detail-title")).to_have_text("Newborn birth (P-01)")
    expect(page.locator("#notice-title")).to_have_text("One-time notice")
    expect(page.locator("#notice-body")).to_contain_text("Data sharing · not asked")
    screenshot("english")

    page.goto(intake_url)  # no ?lang: remembered
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("One-thing finder")
    page.get_by_role("button", name=re.compile("切换到中文")).click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("一件事导办")
    expect(page.get_by_label("名称或关键词")).to_have_attribute("placeholder", "如：出生、开办、退休")
    assert "lang=" not in page.url
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    screenshot("back-to-chinese")


def test_english_by_link(page: Page, intake_url: str) -> None:
    open_finder(page, f"{intake_url}/?lang=en&code=P-01")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#detail-title")).to_have_text("Newborn birth (P-01)")
    assert page.title().startswith("One-thing finder")


def test_senior_mode_enlarges_type_and_is_remembered(page: Page, intake_url: str, screenshot: Screenshot,
                                                     contrast: Contrast) -> None:
    open_finder(page, f"{intake_url}/?code=P-01")
    before = {s: font_px(page, s) for s in ("body", "h1", "label", ".result-name", "#notice-body td")}
    senior = page.get_by_role("button", name="长者专版")
    expect(senior).to_have_attribute("aria-pressed", "false")
    senior.click()
    expect(senior).to_have_attribute("aria-pressed", "true")
    after = {s: font_px(page, s) for s in before}
    assert all(after[s] >= 1.3 * before[s] for s in before), (before, after)
    assert after["body"] >= 22
    ratios = contrast(page, TEXT_SELECTORS)
    assert min(ratios.values()) >= 7, ratios  # the senior mode goes beyond AA (AAA: 7:1)
    screenshot("senior")
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile(r"\bsenior\b"))
    senior.click()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bsenior\b"))
    assert font_px(page, "body") == before["body"]


def test_text_meets_wcag_aa_contrast(page: Page, intake_url: str, contrast: Contrast) -> None:
    open_finder(page, f"{intake_url}/?code=P-01")
    page.get_by_label("户口登记（出生登记）").uncheck()  # the kept-item notice shows too
    expect(page.locator("#added")).to_be_visible()
    ratios = contrast(page, TEXT_SELECTORS)
    assert set(ratios) == set(TEXT_SELECTORS)
    assert min(ratios.values()) >= 4.5, ratios


def test_the_keyboard_alone_reaches_the_search_box_and_the_results(page: Page, intake_url: str,
                                                                   screenshot: Screenshot) -> None:
    open_finder(page, intake_url)
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id"))
    assert order == ["lang-switch", "senior-switch", "q"]
    outline = page.locator("#q").evaluate("el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline  # focus is visible
    page.keyboard.type("出生")
    page.keyboard.press("Enter")  # to the first one-thing found
    first = page.locator("#results a").first
    expect(first).to_be_focused()
    expect(first).to_contain_text("出生")
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(first).to_be_focused()
    screenshot("result-focused")
    page.keyboard.press("Enter")
    expect(page.locator("#detail-title")).to_be_focused()
    expect(page.locator("#detail-title")).to_contain_text("出生")
    page.keyboard.press("Tab")  # on to the printable notice, the window's acceptance, then the items
    expect(page.locator("#detail-print")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#detail-window")).to_be_focused()
    expect(page.locator("#detail-window")).to_have_attribute("href", re.compile(r"^/window/\?bundle=P-01&items="))
    page.keyboard.press("Tab")
    expect(page.locator("#items input").first).to_be_focused()
    page.keyboard.press("Tab")  # the vaccination certificate: no other item needs it, so it may go
    vaccination = page.get_by_label("预防接种证办理")
    expect(vaccination).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#notice-body table").first.locator("tbody tr")).to_have_count(5)
    expect(vaccination).not_to_be_checked()
    expect(vaccination).to_be_focused()  # the list was drawn again; the clerk stays where they were
    screenshot("keyboard")


def test_every_asset_comes_from_intake_itself(page: Page, intake_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    answer = page.goto(f"{intake_url}/?code=P-01")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    assert answer is not None and "default-src 'self'" in answer.headers["content-security-policy"]
    assert {re.sub(r"\?.*", "", u.removeprefix(intake_url)) for u in requested} >= {
        "/", "/shell/shell.css", "/shell/shell.js", "/hall/hall.css", "/hall/hall.js", "/catalogue",
        "/catalogue/P-01", "/catalogue/P-01/notice"}
    assert all(u.startswith(intake_url + "/") for u in requested), requested
