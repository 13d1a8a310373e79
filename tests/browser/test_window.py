"""The comprehensive window's acceptance screen (综合窗口 · 一窗受理, intake's ``/window/``) in a real browser, on the
running system: a clerk is sent to sign in, comes back to the one-thing the finder chose, fills the one form for the
person present (with a proxy), takes the materials (one tolerated as 容缺, one replaced by a 告知承诺), accepts once
however often the button is pressed, follows every department to delivery (the simulated departments answer at
once), takes the tolerated material, and hands over; English and the senior mode on the case; AA contrast. The one
correction is drawn from a case the browser is told is awaiting one (the running system's departments never ask
for corrections), and what the page sends back is checked."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from contracts.identifiers import make_resident_id
from exchange.access.roles import Role
from intake.entrypoints.examples import CASE_EXAMPLES
from onething.system import System

pytestmark = pytest.mark.browser

Contrast = Callable[[Page, list[str]], dict[str, float]]  # the conftest's `contrast` fixture
Screenshot = Callable[[str], Any]
SignIn = Callable[..., None]

MOTHER_ID = make_resident_id("430104", date(1992, 5, 17), 24)  # 长沙市岳麓区, born 17 May 1992 (GB 11643)
GRANDMOTHER_ID = make_resident_id("430104", date(1962, 3, 9), 31)  # the proxy present at the window
FORM = {
    "newborn_name": "李小明", "newborn_sex": "男", "birth_date": "2025-10-08", "birth_hospital": "长沙市妇幼保健院",
    "mother_name": "王芳", "mother_id_number": MOTHER_ID, "household_address": "湖南省长沙市岳麓区麓山南路1号",
    "bank_account": "6222020200112233445",
}
EXAMPLE: dict[str, Any] = CASE_EXAMPLES["window"]["value"]  # intake's own example: all six items, materials given
KEPT = ["P-01-01", "P-01-03", "P-01-04", "P-01-05", "P-01-06"]  # P-01 without the vaccination certificate
TEXT_SELECTORS = [".shell-brand", ".shell-place", ".shell-who", "#lang-switch", "#senior-switch", "h1", "h2", "h3",
                  ".lead", "label", "legend", ".note", ".badge.ok", ".badge.info", ".badge.warn", "th", "td", "dt",
                  "dd", ".timeline li", ".delivered p", ".status", ".shell-footer p"]


def open_signed_in(page: Page, url: str, sign_in: SignIn, screenshot: Screenshot | None = None) -> None:
    """Open the window at ``url``: not signed in, it says so and offers 登录; signed in at the identity platform as
    window W01, the page comes back where it was."""
    page.goto(url)
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    expect(page.locator("#signed-out")).to_be_visible()
    expect(page.locator("#work")).to_be_hidden()
    if screenshot:
        screenshot("signed-out")
    page.locator("#sign-in-prompt").click()
    sign_in(page, "window.W01")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    expect(page.locator("#signed-out")).to_be_hidden()
    expect(page.locator("#shell-session")).to_contain_text("W01")


def ticked_items(page: Page) -> list[str]:
    return [str(v) for v in page.locator("#items input:checked").evaluate_all("boxes => boxes.map(b => b.value)")]


def font_px(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))


def test_the_finder_sends_the_chosen_items_to_the_window(page: Page, running_system: System, sign_in: SignIn,
                                                         screenshot: Screenshot) -> None:
    intake = running_system.url("intake")
    page.goto(f"{intake}/?code=P-01")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    page.get_by_label("预防接种证办理").uncheck()  # the applicant does not need it
    link = page.locator("#detail-window")
    expect(link).to_have_attribute("href", "/window/?bundle=P-01&items=" + "%2C".join(KEPT))
    link.click()
    page.wait_for_url(f"{intake}/window/?bundle=P-01&items=*")

    open_signed_in(page, page.url, sign_in, screenshot)
    expect(page.locator("#bundle")).to_have_value("P-01")
    assert ticked_items(page) == KEPT
    expect(page.get_by_label("预防接种证办理")).not_to_be_checked()
    screenshot("chosen")

    page.locator("#lang-switch").click()  # the form in English: labels, materials, what the registries share
    expect(page.get_by_label("Name (or entity name)")).to_be_visible()
    expect(page.locator("label[for=f-household_address]")).to_contain_text("shared data · population registry")
    expect(page.locator("#materials-summary")).to_contain_text("from the applicant")
    screenshot("chosen-english")
    page.locator("#lang-switch").click()

    page.get_by_label("出生医学证明签发").uncheck()  # the others need it: intake keeps it and says why
    expect(page.locator("#added")).to_be_visible()
    expect(page.get_by_label("出生医学证明签发")).to_be_checked()
    assert ticked_items(page) == KEPT


def test_a_clerk_accepts_once_follows_the_case_to_delivery_and_hands_over(
        page: Page, running_system: System, sign_in: SignIn, screenshot: Screenshot, contrast: Contrast) -> None:
    intake = running_system.url("intake")
    open_signed_in(page, f"{intake}/window/?bundle=P-01", sign_in)
    assert len(ticked_items(page)) == 6
    expect(page.locator("#materials-summary")).to_contain_text("申请人提交 3 项")
    expect(page.locator("label[for=f-household_address] .badge.ok")).to_contain_text("共享数据")

    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" and r.url.endswith("/cases") else None)
    page.locator("#accept").click()  # nothing filled in: the problems listed, their fields marked
    expect(page.locator("#apply-error")).to_be_focused()
    expect(page.locator("#apply-error li").first).to_contain_text("姓名或单位名称：")
    expect(page.locator("#applicant-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#status")).to_have_text("未受理：请按提示修改后再提交。")
    screenshot("refused")

    page.get_by_label("姓名或单位名称").fill("王芳")
    page.get_by_label("公民身份号码（或统一社会信用代码）").fill(MOTHER_ID)
    page.get_by_label("手机号码（选填）").fill("13800138000")
    page.get_by_label("由他人帮办代办（代申请人办理）").check()
    page.get_by_label("帮办代办人姓名").fill("王秀英")
    page.get_by_label("帮办代办人公民身份号码").fill(GRANDMOTHER_ID)
    page.get_by_label("帮办代办人身份").select_option("relative")
    page.get_by_label("老年人").check()
    for field, value in FORM.items():
        if field == "newborn_sex":
            page.locator(f"#f-{field}").select_option(value)
        else:
            page.locator(f"#f-{field}").fill(value)
    page.locator("#way-P-01-05-M1-deferred").check()  # the photo follows later (容缺)
    page.locator("#way-P-01-03-M4-commitment").check()  # a written commitment for the residence proof (告知承诺)
    expect(page.locator("#doc-P-01-05-M1")).to_be_hidden()
    page.locator("#doc-P-01-01-M1").fill("W01-20260110-0001 确认书原件")
    ratios = contrast(page, TEXT_SELECTORS)
    assert min(ratios.values()) >= 4.5, ratios
    screenshot("filled")

    refused, posted[:] = posted[0], []
    page.locator("#accept").dblclick()  # a double click makes one case
    title = page.locator("#case-title")
    expect(title).to_have_text(re.compile(r"^办件 \S+$"))
    expect(title).to_be_focused()
    case_id = (title.text_content() or "").removeprefix("办件 ")
    expect(page.locator("#status")).to_contain_text(case_id)
    keys = {r.headers["idempotency-key"] for r in posted}
    assert len(keys) == 1 and refused.headers["idempotency-key"] not in keys  # edited since: another request
    assert {r.response().json()["case_id"] for r in posted if r.response()} == {case_id}  # type: ignore[union-attr]
    sent = json.loads(posted[0].post_data or "{}")
    assert sent["proxy"] == {"name": "王秀英", "id_number": GRANDMOTHER_ID, "role": "relative",
                             "circumstances": ["elderly"]}
    assert sent["materials"]["P-01-05-M1"] == {"provision": "deferred"}
    assert sent["materials"]["P-01-03-M4"] == {"provision": "commitment"}
    assert page.url == f"{intake}/window/?case={case_id}"
    expect(page.locator("#case-facts")).to_contain_text("窗口 W01")
    expect(page.locator("#case-due")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    expect(page.locator("#supplements")).to_contain_text("容缺")
    expect(page.locator("#supplements")).to_contain_text("告知承诺")
    screenshot("accepted")

    # The departments answer at once; the page polls until every result is in and delivered (一次送达).
    expect(page.locator("body[data-case-status=delivered]")).to_have_count(1, timeout=90_000)
    expect(page.locator("#case-status")).to_have_text("已送达")
    assert page.locator("#case-items tbody tr").count() == 6
    expect(page.locator("#case-items")).not_to_contain_text("部门办理中")
    expect(page.locator("#delivery")).to_contain_text("窗口领取")
    expect(page.locator("#delivery")).to_contain_text("请核对领取人身份证件")
    expect(page.get_by_label("申请人本人")).to_be_checked()
    expect(page.locator("#delivery .licences li").first).to_contain_text("电子证照")
    expect(page.locator("#timeline li").first).to_be_visible()
    screenshot("delivered")

    page.get_by_label(re.compile("补齐「新生儿近期免冠彩色照片")).fill("W01 照片 2 张")
    page.locator("#send-supplement").click()
    expect(page.locator("#status")).to_have_text("已收取补齐的材料。")
    expect(page.locator("#supplements")).to_contain_text("已履行")
    assert "null" not in page.locator("#case").inner_text()
    screenshot("supplied")

    page.get_by_label("帮办代办人 王秀英").check()  # the grandmother collects, as she applied
    page.locator("#hand-over").click()
    expect(page.locator("#handed-over")).to_contain_text("已出件")
    expect(page.locator("#handed-over")).to_be_focused()
    expect(page.locator("#status")).to_have_text("已登记出件：结果已一次交付。")
    expect(page.locator("#timeline li").last).to_contain_text(
        "窗口出件：全部结果已一次当面交付帮办代办人王秀英（窗口 W01，工号 S001）")
    ratios = contrast(page, TEXT_SELECTORS)
    assert min(ratios.values()) >= 4.5, ratios
    screenshot("handed-over")

    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#case-title")).to_have_text(f"Case {case_id}")
    expect(page.locator("#case-status")).to_have_text("Delivered")
    expect(page.locator("#delivery")).to_contain_text("collected at the window")
    expect(page.locator("#shell-session")).to_contain_text("Signed in: Clerk W01")
    expect(page.locator("#status")).to_have_text("Hand-over recorded: every result handed over at once.")
    expect(page.locator("#handed-over")).to_contain_text("Handed over")
    expect(page.locator("#case-facts")).to_contain_text("Newborn birth (P-01)")
    screenshot("english")

    before = {s: font_px(page, s) for s in ("body", "h1", "#case-items td", "dd")}
    page.locator("#senior-switch").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bsenior\b"))
    after = {s: font_px(page, s) for s in before}
    assert all(after[s] >= before[s] * 1.3 for s in before), (before, after)
    ratios = contrast(page, TEXT_SELECTORS)
    assert min(ratios.values()) >= 7, ratios
    screenshot("senior")


@pytest.fixture
def case_awaiting_correction(running_system: System) -> Iterator[str]:
    """A P-01 case accepted at window W01 while every department's first review (预审) asks for a correction (the
    simulators' operator lever ``PUT /rates``), once intake says it awaits its one correction."""
    tokens, intake = running_system.tokens, running_system.url("intake")
    rates = f"{running_system.url('simulators')}/rates"
    operator = tokens.staff(Role.OPERATOR)
    httpx.put(rates, json={"correction": 1, "reject": 0}, auth=operator, timeout=10).raise_for_status()
    try:
        with httpx.Client(timeout=30, auth=tokens.clerk_at("window", "W01")) as clerk:
            submitted = clerk.post(f"{intake}/cases", json=EXAMPLE)
            assert submitted.status_code == 201, submitted.text
            case_id: str = submitted.json()["case_id"]
            deadline = time.monotonic() + 60
            while clerk.get(f"{intake}/cases/{case_id}").json()["status"] != "awaiting_correction":
                assert time.monotonic() < deadline, "the review round did not end in a correction notice"
                time.sleep(0.3)
        yield case_id
    finally:
        httpx.put(rates, json={"correction": 0, "reject": 0}, auth=operator, timeout=10).raise_for_status()


def test_the_one_correction_is_shown_and_answered_once(page: Page, running_system: System, sign_in: SignIn,
                                                       case_awaiting_correction: str, screenshot: Screenshot,
                                                       contrast: Contrast) -> None:
    intake, case_id = running_system.url("intake"), case_awaiting_correction
    asked = httpx.get(f"{intake}/cases/{case_id}", auth=running_system.tokens.clerk_at("window", "W01")).json()
    deficiencies = asked["correction"]["deficiencies"]
    assert deficiencies, "the departments asked for something"
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data or "{}"))
            if r.method == "POST" and r.url.endswith(f"/cases/{case_id}/corrections") else None)
    open_signed_in(page, f"{intake}/window/?case={case_id}", sign_in)
    box = page.locator("#correction")
    expect(box).to_contain_text("一次性补正告知（第 1 轮）")
    for deficiency in deficiencies:  # every finding, by the department that made it
        expect(box).to_contain_text(deficiency["reason_zh"])
    ratios = contrast(page, TEXT_SELECTORS)
    assert min(ratios.values()) >= 4.5, ratios
    screenshot("awaiting-correction")

    fields = {d["code"] for d in deficiencies if d["kind"] == "field"}
    materials = {d["code"] for d in deficiencies if d["kind"] == "material"}
    for field in fields:  # exactly what was asked for, once: the same valid values, confirmed
        page.locator(f"#fix-{field}").fill(str(EXAMPLE["form"][field]))
    for material in materials:
        page.locator(f"#fix-m-{material}").fill(f"W01 {material} 重新收取")
    page.locator("#send-correction").click()
    expect(page.locator("#status")).to_have_text("补正已提交，恢复计时。")
    expect(box).to_be_hidden()
    assert len(sent) == 1 and set(sent[0].get("form", {})) == fields
    assert set(sent[0].get("materials", {})) == materials
    screenshot("corrected")
    after = httpx.get(f"{intake}/cases/{case_id}", auth=running_system.tokens.clerk_at("window", "W01")).json()
    assert after["correction_round"] == 1 and after["status"] != "awaiting_correction", after["status"]


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.className"))


def outline_px(page: Page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth) || 0"))


def test_the_keyboard_alone_signs_in_and_reaches_the_form(page: Page, running_system: System, sign_in: SignIn,
                                                          screenshot: Screenshot) -> None:
    intake = running_system.url("intake")
    page.goto(f"{intake}/window/?bundle=P-01")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(focused_id(page))
    assert order == ["skip", "sign-in", "lang-switch", "senior-switch", "sign-in-prompt"]
    assert outline_px(page) >= 3, "the focus is visible"
    page.keyboard.press("Enter")
    sign_in(page, "window.W01")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)

    order = []
    for _ in range(7):
        page.keyboard.press("Tab")
        order.append(focused_id(page))
    assert order == ["skip", "sign-out", "lang-switch", "senior-switch", "bundle", "item-P-01-01", "item-P-01-02"]
    page.keyboard.press("Space")  # the vaccination certificate: nothing else needs it, so it goes
    expect(page.locator("#item-P-01-02")).not_to_be_checked()
    expect(page.locator("#item-P-01-02")).to_be_focused()  # the items were drawn again; the clerk stays put
    assert outline_px(page) >= 3
    for _ in range(5):  # the four items left, then the applicant
        page.keyboard.press("Tab")
    assert focused_id(page) == "applicant-name"
    page.keyboard.type("王芳")
    screenshot("keyboard")


# 网页登录 (signing in from any screen), here rather than in a module of its own: a module starts a whole system.
SIGN_IN = """async (roles) => { const s = await import("/shell/session.js"); await s.signIn(roles); }"""
FINISH = """async () => { const s = await import("/shell/session.js"); return await s.finishSignIn(); }"""
CALL = """async ([service, path]) => {
  const s = await import("/shell/session.js");
  const answer = await s.api(await s.serviceUrl(service, path));
  return { status: answer.status, body: await answer.json() };
}"""


def test_a_clerk_signs_in_from_a_page_and_calls_the_services_with_their_own_token(
        page: Page, running_system: System, sign_in: Any, screenshot: Any) -> None:
    hall = running_system.url("intake")
    page.goto(f"{hall}/?lang=en")
    anonymous = page.evaluate(CALL, ["supervision", "/cases/OT-NOT-THERE/supervision"])
    assert anonymous["status"] == 401, "the page reaches supervision across origins (CORS), and without a token: 401"

    page.evaluate(SIGN_IN, "clerk")
    page.wait_for_url("**/oauth/authorize?*")
    screenshot("identity-platform")
    assert page.locator("#account option").count() == 9, "a page asking for a clerk is offered the windows and 12345"
    sign_in(page, "window.W02")
    assert page.url.startswith(f"{hall}/?code="), "back at the page, with a code"

    me = page.evaluate(FINISH)  # what a page does on load
    assert page.url == f"{hall}/?lang=en", "where it was, the code taken off the address"
    assert me["roles"] == ["clerk"] and me["claims"]["window_id"] == "W02"
    assert page.evaluate(FINISH)["token"] == me["token"], "kept for the tab"
    other = page.evaluate(CALL, ["supervision", "/cases/OT-NOT-THERE/supervision"])
    assert other["status"] == 404, "signed in, supervision answers the clerk (an unknown case), across origins"


def test_a_page_elsewhere_gets_no_answer_across_origins_and_no_sign_in(page: Page, running_system: System) -> None:
    page.goto("about:blank")
    identity = running_system.url("simulators")
    refused = page.goto(f"{identity}/oauth/authorize?response_type=code&client_id=onething-screens&state=12345678"
                        "&redirect_uri=http%3A%2F%2Fevil.example%2F&code_challenge=" + "a" * 43 +
                        "&code_challenge_method=S256")
    assert refused is not None and refused.status == 400
    assert page.locator("form").count() == 0, "no sign-in form for an address outside the system"
