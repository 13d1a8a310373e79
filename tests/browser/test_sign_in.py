"""Signing in from a screen (网页登录) in a real browser, on the running system: a page sends the person to the
identity platform (统一身份认证, simulated), they sign in there, and the page comes back with a token of their
own (authorization code with PKCE), which it sends to its own service and, across origins, to the others."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from onething.system import System

pytestmark = pytest.mark.browser

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
