"""The portal (网上办事大厅) in a real browser, on the whole system: an applicant signs in at the identity platform,
applies online for 新生儿出生一件事 (pre-filled from shared data, a file's digest for each material), follows the
case on one timeline across departments, answers the consolidated correction once, sees it delivered, downloads
a licence's PDF and verifies it on the licence service's page, and rates every touchpoint. English, the senior
mode, AA contrast, and another applicant's cases never shown.

The session's ``running_system`` asks for no corrections; for the journey its simulated departments find something
to correct in every first preliminary review (预审, as a real department would answer it), through the simulators'
operator lever ``PUT /rates``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from contracts.identifiers import make_resident_id
from exchange.access.roles import Role
from onething.system import System

pytestmark = pytest.mark.browser

Contrast = Callable[[Page, list[str]], dict[str, float]]  # the conftest's `contrast` fixture
Screenshot = Callable[[str], Path]
SignIn = Callable[..., None]

MOTHER = make_resident_id("430104", date(1992, 5, 17), 24)
FATHER = make_resident_id("430104", date(1990, 8, 1), 17)
GRANDMOTHER = make_resident_id("430104", date(1960, 3, 9), 42)
DELIVERY_WAIT_MS = 60_000  # departments answer at once; the bus and the licences take a few seconds
FORM = {"newborn_name": "李小明", "newborn_sex": "男", "birth_hospital": "长沙市妇幼保健院", "mother_name": "王芳",
        "mother_id_number": MOTHER, "father_name": "李强", "father_id_number": FATHER,
        "household_address": "湖南省长沙市岳麓区麓山南路1号", "bank_account": "6222020200112233445"}
TEXT_SELECTORS = [".shell-brand", ".shell-place", ".shell-who", "#lang-switch", "#senior-switch", "h1", "h2", "h3",
                  "h4", "label", "legend", ".note", ".portal-status", ".portal-case-name", ".badge.ok", ".badge.info",
                  ".badge.warn", "th", "td", ".portal-timeline li", ".portal-correction", "button", ".portal-tabs a",
                  ".shell-footer p"]


@pytest.fixture
def correcting_system(running_system: System) -> Iterator[System]:
    """The session's system, its departments asking for a correction in every first review while the test runs
    (the simulators' operator lever ``PUT /rates``), and back to none after."""
    operator = running_system.tokens.staff(Role.OPERATOR)
    rates = f"{running_system.url('simulators')}/rates"
    asked = httpx.put(rates, json={"correction": 1, "reject": 0}, auth=operator, timeout=10)
    assert asked.status_code == 200, asked.text
    try:
        yield running_system
    finally:
        httpx.put(rates, json={"correction": 0, "reject": 0}, auth=operator, timeout=10).raise_for_status()


def open_portal(page: Page, system: System, query: str = "") -> None:
    page.goto(f"{system.url('intake')}/portal/{query}")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)


def apply_by_api(system: System, id_number: str, name: str, *, photo: dict[str, str] | None = None) -> str:
    """A P-01 case the applicant applied for online themselves, through intake's API with their own token
    (``photo``: how the newborn's photo is given, uploaded by default)."""
    body = {"bundle_code": "P-01", "applicant": {"name": name, "id_number": id_number}, "channel": "portal",
            "form": {**FORM, "birth_date": date.today().isoformat()},
            "materials": {"P-01-01-M1": {"document": "d1"}, "P-01-03-M4": {"document": "d2"},
                          "P-01-05-M1": photo or {"document": "d3"}}}
    answer = httpx.post(f"{system.url('intake')}/cases", json=body, auth=system.tokens.applicant(id_number, name),
                        timeout=30)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case_id"])


def font_px(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))


def test_an_applicant_applies_follows_corrects_downloads_verifies_and_rates(
        page: Page, correcting_system: System, sign_in: SignIn, screenshot: Screenshot) -> None:
    system = correcting_system
    open_portal(page, system)
    expect(page.locator("#signed-out")).to_be_visible()
    expect(page.locator("#signed-out")).to_contain_text("登录后申请办事、查看办件")
    screenshot("signed-out")
    page.locator("#sign-in-main").click()
    sign_in(page, MOTHER, name="王芳")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    assert "code=" not in page.url, "the sign-in's code is taken off the address"
    expect(page.locator(".shell-who")).to_have_text("已登录：申请人 王芳")
    expect(page.locator("#case-list")).to_contain_text("还没有办件")

    # 1. apply: one-thing, items, the one form pre-filled, a file for each material.
    page.get_by_label("一件事", exact=True).select_option("P-01")
    expect(page.locator("#items input[type=checkbox]")).to_have_count(6)
    expect(page.locator("#who")).to_contain_text("王芳（430104********")
    page.get_by_role("button", name="授权调取共享数据预填").click()
    expect(page.locator("#status")).to_contain_text("已预填")
    for name, value in {**FORM, "birth_date": date.today().isoformat()}.items():
        field = page.locator(f"#field-{name}")
        if field.count() and not field.input_value():
            field.select_option(value) if name == "newborn_sex" else field.fill(value)
    materials = page.locator("#materials input[type=file]")
    assert materials.count() == 3
    for n in range(materials.count()):
        materials.nth(n).set_input_files({"name": f"material-{n}.pdf", "mimeType": "application/pdf",
                                          "buffer": f"%PDF-1.4 material {n}".encode()})
    page.locator("#field-newborn_name").fill("")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#field-newborn_name")).to_be_focused()
    expect(page.locator("#field-newborn_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-newborn_name-problem")).to_be_visible()
    screenshot("refused")
    page.locator("#field-newborn_name").fill(FORM["newborn_name"])
    screenshot("apply")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#status")).to_contain_text("申请已提交，办件号 OT", timeout=15_000)
    case_id = re.search(r"OT\w+", page.locator("#status").inner_text())
    assert case_id is not None
    expect(page.locator("#case-title")).to_be_focused()
    expect(page.locator("#case-list .portal-case")).to_have_count(1)
    expect(page.locator("#case-items tbody tr")).to_have_count(6)
    screenshot("applied")

    # 2. every department's review asks for something: one consolidated notice, the clock paused, answered once.
    expect(page.locator("#case-status")).to_have_text("待补正", timeout=DELIVERY_WAIT_MS)
    expect(page.locator("#correction")).to_be_visible()
    expect(page.locator("#correction")).to_contain_text("一次性补正告知（第 1 轮）")
    expect(page.locator("#case-items")).to_contain_text("等待您补正")
    screenshot("correction")
    form = page.locator("#correction-form")
    corrected = {**FORM, "birth_date": date.today().isoformat(), "household_address": FORM["household_address"] + "101室"}
    for name in form.locator("[data-field]").evaluate_all("fields => fields.map(f => f.dataset.field)"):
        field = form.locator(f"#fix-{name}")
        field.select_option(corrected[name]) if name == "newborn_sex" else field.fill(corrected[name])
    files = form.locator("input[type=file]")
    for n in range(files.count()):
        files.nth(n).set_input_files({"name": f"again-{n}.pdf", "mimeType": "application/pdf",
                                      "buffer": f"%PDF-1.4 again {n}".encode()})
    page.get_by_role("button", name="提交补正").click()
    expect(page.locator("#correction")).to_be_hidden()
    expect(page.locator("#case-title")).to_be_focused()
    expect(page.locator("#case-status")).not_to_have_text("待补正")

    # 3. the departments handle their items, the licences are issued, the case is delivered, on one timeline.
    expect(page.locator("#case-status")).to_have_text("已送达", timeout=DELIVERY_WAIT_MS)
    expect(page.locator("#case-items .badge.ok")).to_have_count(6)
    timeline = page.locator("#timeline").inner_text()
    assert "补正" in timeline and "送达" in timeline, timeline
    screenshot("delivered")

    # 4. the licences: the PDF with the applicant's own token, and its verification on the licence service.
    expect(page.locator("#licence-list .portal-licence")).to_have_count(3, timeout=DELIVERY_WAIT_MS)
    first = page.locator("#licence-list .portal-licence").first
    with page.expect_download() as download:
        first.get_by_role("button", name="下载打印版 PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF"), pdf[:20]
    first.get_by_role("button", name="显示验真二维码内容").click()
    qr = first.locator("textarea").input_value()
    assert qr.startswith("OT1:")
    screenshot("licences")
    verify_at = page.locator("#verify-link").get_attribute("href")
    assert verify_at == f"{system.url('licence')}/"
    verification = page.context.new_page()
    verification.goto(verify_at)
    verification.get_by_label("二维码内容或证照数据（JSON）").fill(qr)
    verification.get_by_role("button", name="核验").click()
    expect(verification.locator("body")).to_contain_text("真实有效")
    verification.close()

    # 5. 好差评: every touchpoint of the case still open, once each.
    forms = page.locator("#touchpoints form")
    expect(forms.first).to_be_visible(timeout=DELIVERY_WAIT_MS)
    touchpoints = page.locator("#touchpoints > li").count()
    assert touchpoints >= 2, "at least acceptance and the whole one-thing"
    forms.first.locator("summary").click()
    forms.first.get_by_label("办事效率高").check()
    forms.first.get_by_label("一次告知清楚").check()
    while forms.count():
        forms.first.get_by_label("非常满意").check()
        forms.first.get_by_role("button", name="提交评价").click()
        expect(page.locator("#status")).to_have_text("感谢您的评价")
        page.locator("#status").evaluate("el => { el.textContent = ''; }")
    expect(page.locator("#touchpoints .badge.ok")).to_have_count(touchpoints)
    screenshot("rated")
    ratings = httpx.get(f"{system.url('rating')}/cases/{case_id.group(0)}/ratings", timeout=30,
                        auth=system.tokens.applicant(MOTHER, "王芳")).json()
    assert len(ratings) == touchpoints and {r["level"] for r in ratings} == {"very_satisfied"}
    assert ["efficient", "clear_guidance"] in [r["tags"] for r in ratings], "the reasons chosen are kept"


def test_english_senior_mode_and_aa_contrast_on_a_case(page: Page, running_system: System, sign_in: SignIn,
                                                        contrast: Contrast, screenshot: Screenshot) -> None:
    case_id = apply_by_api(running_system, GRANDMOTHER, "刘兰")
    open_portal(page, running_system, "?lang=en")
    expect(page.locator("#signed-out h2")).to_have_text("Sign in to apply and follow your cases")
    page.get_by_role("button", name="Sign in").first.click()
    sign_in(page, GRANDMOTHER, name="刘兰")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator(".shell-who")).to_have_text("Signed in: Applicant 刘兰")
    page.locator(f"#case-list [data-case={case_id}]").click()
    expect(page.locator("#case-title")).to_contain_text("Newborn")
    expect(page.locator("#case-items thead")).to_contain_text("Handled by")
    expect(page.locator("#case-status")).to_have_text("Delivered", timeout=DELIVERY_WAIT_MS)
    expect(page.locator("#touchpoints form").first).to_be_visible()
    screenshot("english")
    worst = contrast(page, TEXT_SELECTORS)
    assert worst and all(ratio >= 4.5 for ratio in worst.values()), worst

    page.locator("#senior-switch").click()
    assert font_px(page, "#case-items td") >= 22
    worst = contrast(page, TEXT_SELECTORS)
    assert all(ratio >= 7 for ratio in worst.values()), worst
    screenshot("senior-english")

    page.get_by_role("button", name="切换到中文 Switch to Chinese").click()
    expect(page.locator("#case-status")).to_have_text("已送达")
    expect(page.locator("#case-items thead")).to_contain_text("办理部门")
    screenshot("senior-chinese")
    page.locator("#senior-switch").click()
    worst = contrast(page, TEXT_SELECTORS)
    assert all(ratio >= 4.5 for ratio in worst.values()), worst


def test_another_applicants_cases_never_appear_and_the_keyboard_reaches_them(
        page: Page, running_system: System, sign_in: SignIn, screenshot: Screenshot) -> None:
    hers = apply_by_api(running_system, MOTHER, "王芳")
    his = apply_by_api(running_system, FATHER, "李强")
    open_portal(page, running_system)
    page.locator("#sign-in-main").click()
    sign_in(page, FATHER, name="李强")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    listed = page.locator("#case-list [data-case]").evaluate_all("buttons => buttons.map(b => b.dataset.case)")
    assert his in listed and hers not in listed, listed

    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    page.locator("#tab-cases").focus()
    page.keyboard.press("Enter")
    page.locator(f"#case-list [data-case={his}]").focus()
    assert page.locator(f"#case-list [data-case={his}]").evaluate(
        "el => getComputedStyle(el).outlineStyle") != "none", "focus is visible"
    page.keyboard.press("Enter")
    expect(page.locator("#case-title")).to_be_focused()
    expect(page.locator("#case-title")).to_contain_text(his)
    screenshot("own-case")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.get_by_role("button", name="刷新").click()
    expect(page.locator("#case-list [data-case]").first).to_be_visible()
    origins = {running_system.url(name) for name in ("intake", "licence", "rating")}
    assert requests and all(any(url.startswith(o) for o in origins) for url in requests), requests


def test_a_material_accepted_missing_is_supplied_later(page: Page, running_system: System, sign_in: SignIn,
                                                       screenshot: Screenshot) -> None:
    aunt = make_resident_id("430104", date(1988, 11, 30), 51)
    case_id = apply_by_api(running_system, aunt, "周敏", photo={"provision": "deferred"})
    open_portal(page, running_system)
    page.locator("#sign-in-main").click()
    sign_in(page, aunt, name="周敏")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    page.locator(f"#case-list [data-case={case_id}]").click()
    owed = page.locator("#supplements")
    expect(owed).to_be_visible()
    expect(owed).to_contain_text("新生儿近期免冠彩色照片")
    page.get_by_role("button", name="提交补齐的材料").click()
    expect(owed.locator(".problem")).to_have_text("请选择要上传的文件")
    screenshot("owed")
    owed.get_by_label("选择文件").set_input_files({"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8photo"})
    page.get_by_role("button", name="提交补齐的材料").click()
    expect(owed).to_be_hidden()
    expect(page.locator("#case-title")).to_be_focused()
    case = httpx.get(f"{running_system.url('intake')}/cases/{case_id}", timeout=30,
                     auth=running_system.tokens.applicant(aunt, "周敏")).json()
    photo = next(c for c in case["commitments"] if c["material_code"] == "P-01-05-M1")
    assert photo["status"] == "fulfilled" and photo["document"].startswith("sha256:"), photo
