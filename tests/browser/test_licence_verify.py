"""The e-licence verification page (证照验真) in a real browser: a genuine licence verifies by its QR payload and
by its PDF, a credential changed by one character is refused with the reason, a revoked one shows revoked;
English and the senior mode; the keyboard alone; every request to licence itself, at AA contrast."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

LicenceSite = Any  # conftest's LicenceSite (a conftest is not importable under --import-mode=importlib)
Screenshot = Callable[[str], Path]
Contrast = Callable[[Page, list[str]], dict[str, float]]
pytestmark = pytest.mark.browser

TEXT_SELECTORS = [".shell-brand", ".shell-place", "#lang-switch", "#senior-switch", "h1", ".lead", "label", ".note",
                  "#verdict", "#message", "#why-text", "caption", "th", "td", ".badge.state", "#scope",
                  "#verify", "#clear", ".file-button", ".file-name", ".shell-footer p"]


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body[data-ready=true]")).to_have_count(1)


def verify_text(page: Page, text: str) -> None:
    page.get_by_label("二维码内容或证照数据（JSON）").fill(text)
    page.get_by_role("button", name="核验").click()


def particulars(page: Page) -> dict[str, str]:
    rows = page.locator("#particulars-body tr")
    expect(rows.first).to_be_visible()
    return {rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").inner_text() for i in range(rows.count())}


def test_a_genuine_licence_verifies_by_its_qr_payload(page: Page, licence_site: LicenceSite,
                                                      screenshot: Screenshot) -> None:
    open_page(page, licence_site.url)
    screenshot("empty")
    verify_text(page, licence_site.genuine_qr)
    expect(page.locator("#verdict")).to_have_text("✔ 真实有效")
    expect(page.locator("#verdict")).to_be_focused()
    expect(page.locator("#result")).to_have_class("result ok")
    shown = particulars(page)
    subject = licence_site.genuine_credential["credentialSubject"]
    assert shown["证照名称"] == "出生医学证明" and shown["证照编号"] == subject["number"]
    assert shown["持证人"] == "张**" and shown["证件号码"] == "430102********0011"
    assert "卫生健康" in shown["签发机关"] and shown["当前状态"] == "有效"
    assert shown["有效期"].endswith("长期有效") or " 至 " in shown["有效期"]
    expect(page.locator("#why")).to_be_hidden()
    screenshot("genuine")


def test_a_genuine_licence_verifies_by_its_pdf(page: Page, licence_site: LicenceSite, tmp_path: Path,
                                               screenshot: Screenshot) -> None:
    pdf = tmp_path / "licence.pdf"
    pdf.write_bytes(licence_site.genuine_pdf)
    open_page(page, licence_site.url)
    expect(page.locator("#file-name")).to_have_text("未选择文件")
    page.get_by_label("或选择证照文件（PDF 或 JSON）").set_input_files(pdf)
    expect(page.locator("#file-name")).to_have_text("已选：licence.pdf（将核验此文件）")
    page.get_by_role("button", name="核验").click()
    expect(page.locator("#verdict")).to_have_text("✔ 真实有效")
    assert particulars(page)["持证人"] == "张**"
    screenshot("pdf")


def test_a_credential_changed_by_one_character_is_refused_with_the_reason(
    page: Page, licence_site: LicenceSite, screenshot: Screenshot
) -> None:
    text = json.dumps(licence_site.genuine_credential, ensure_ascii=False)
    number = licence_site.genuine_credential["credentialSubject"]["number"]
    tampered = text.replace(number, number[:-1] + ("0" if number[-1] != "0" else "1"))
    assert tampered != text
    open_page(page, licence_site.url)
    verify_text(page, tampered)
    expect(page.locator("#verdict")).to_have_text("✘ 验真未通过：证照内容已被改动")
    expect(page.locator("#result")).to_have_class("result bad")
    expect(page.locator("#message")).to_have_text("电子签名验证失败：证照内容已被改动")
    expect(page.locator("#why-text")).to_contain_text("哪怕只改了一个字符")
    expect(page.locator("#particulars")).to_be_hidden()  # what a forger wrote is not shown as the licence's
    expect(page.locator("#claimed")).to_contain_text("证照自称由「长沙市卫生健康委员会」签发，但未能证实")
    screenshot("tampered")


def test_a_revoked_licence_shows_revoked(page: Page, licence_site: LicenceSite, screenshot: Screenshot) -> None:
    open_page(page, licence_site.url)
    verify_text(page, licence_site.revoked_qr)
    expect(page.locator("#verdict")).to_have_text("✘ 不可使用：证照已被撤销")
    assert particulars(page)["当前状态"] == "已撤销"
    expect(page.locator("#why-text")).to_contain_text("撤销不可恢复")
    expect(page.locator("#scope")).to_contain_text("已向签发机关的状态列表核验")
    screenshot("revoked")


def test_the_link_printed_on_a_licence_opens_its_verdict_by_number(
        page: Page, licence_site: LicenceSite, screenshot: Screenshot) -> None:
    """A phone scanning the printed link (under the QR code) gets the page, not JSON: the verdict from this centre's
    record, with no holder shown online."""
    printed = re.search(rb"(http://127\.0\.0\.1:\d+/\?licence=[\w-]+)", zlib_text(licence_site.genuine_pdf))
    assert printed is not None, "the PDF links the verification page"
    open_page(page, printed.group(1).decode())
    expect(page.locator("#verdict")).to_have_text("✔ 真实有效")
    expect(page.locator("#particulars")).to_be_hidden()
    expect(page.locator("#claimed")).to_be_hidden()
    expect(page.locator("#scope")).to_contain_text("按打印版上的链接核验")
    screenshot("by-number")
    open_page(page, f"{licence_site.url}/?licence=C-2-P-01-01-not-there")
    expect(page.locator("#error")).to_contain_text("本中心没有这个编号的证照")


def zlib_text(pdf: bytes) -> bytes:
    """The PDF's text: its streams inflated (fpdf2 compresses them) and the raw bytes."""
    streams = [zlib.decompress(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
               if m.group(1)[:1] == b"x"]
    return b"\n".join([pdf, *streams])


def test_what_is_no_licence_is_refused_and_nothing_given_is_asked_for(
    page: Page, licence_site: LicenceSite, screenshot: Screenshot
) -> None:
    open_page(page, licence_site.url)
    page.get_by_role("button", name="核验").click()
    expect(page.locator("#error")).to_contain_text("请先粘贴二维码内容")
    verify_text(page, "OT1:%%%")
    expect(page.locator("#error")).to_contain_text("未能读出电子证照")
    expect(page.locator("#result")).to_be_hidden()
    screenshot("unreadable")


def test_english_redraws_the_verdict_and_the_senior_mode_enlarges_it(
    page: Page, licence_site: LicenceSite, screenshot: Screenshot, contrast: Contrast
) -> None:
    open_page(page, licence_site.url)
    verify_text(page, licence_site.revoked_qr)
    expect(page.locator("#verdict")).to_have_text("✘ 不可使用：证照已被撤销")
    page.get_by_role("button", name="Switch to English 切换到英文").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Verify an e-licence")
    expect(page.locator("#busy")).to_have_text("Verified: the result follows.")
    expect(page.locator("#message")).to_have_text("The issuer has revoked the licence.")
    expect(page.locator("#file-name")).to_have_text("No file chosen")
    expect(page.locator("#verdict")).to_have_text("✘ Not usable: the licence has been revoked")
    shown = particulars(page)
    assert shown["Status now"] == "revoked" and shown["Licence"] == "Birth medical certificate"
    assert shown["Holder"] == "张**"
    screenshot("english")
    body_px = float(page.locator("#message").evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    page.locator("#senior-switch").click()
    expect(page.locator("html")).to_have_class("senior")
    senior_px = float(page.locator("#message").evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert senior_px >= 1.3 * body_px and senior_px >= 22
    screenshot("english-senior")
    page.get_by_role("button", name="切换到中文 Switch to Chinese").click()
    expect(page.locator("#verdict")).to_have_text("✘ 不可使用：证照已被撤销")
    verify_text(page, licence_site.genuine_qr)
    expect(page.locator("#verdict")).to_have_text("✔ 真实有效")
    ratios = contrast(page, TEXT_SELECTORS)
    assert all(r >= 7 for r in ratios.values()), {s: round(r, 2) for s, r in ratios.items() if r < 7}
    screenshot("senior")


def test_the_keyboard_alone_verifies_and_every_request_stays_here_at_aa_contrast(
    page: Page, licence_site: LicenceSite, contrast: Contrast
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_page(page, licence_site.url)
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    for expected in ["#lang-switch", "#senior-switch", "#text"]:
        page.keyboard.press("Tab")
        expect(page.locator(expected)).to_be_focused()
    page.keyboard.insert_text(licence_site.genuine_qr)
    page.keyboard.press("Tab")
    expect(page.locator("#file")).to_be_focused()
    assert page.locator(".file-box").evaluate("el => getComputedStyle(el).outlineStyle") == "solid", "focus is visible"
    page.keyboard.press("Tab")
    expect(page.locator("#verify")).to_be_focused()
    outline = page.locator("#verify").evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "focus is visible"
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_be_focused()
    expect(page.locator("#verdict")).to_have_text("✔ 真实有效")
    ratios = contrast(page, TEXT_SELECTORS)
    assert all(r >= 4.5 for r in ratios.values()), {s: round(r, 2) for s, r in ratios.items() if r < 4.5}
    assert requests and all(url.startswith(licence_site.url) for url in requests), requests
    assert "/verify/document" in " ".join(requests)
