"""统一身份认证 (simulated): the token endpoint, its keys, and a service route that only verifies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from exchange.access.client import ApplicantSignIn, ClientCredentials, TokenEndpointRefused
from exchange.access.credentials import ensure_dev_credentials, read_dev_credentials
from exchange.access.http import Access, Allow, accept_callers
from exchange.access.roles import Caller, Role
from exchange.access.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, TokenVerifier
from exchange.broker import free_port
from exchange.http_identity import async_signing_hook
from exchange.signing import KeyRing
from exchange.testing.access import TEST_APPLICANT, TestTokens, trusting
from simulators.identity import FailureLimit, identity_router
from simulators.sign_in import SCREENS_CLIENT_ID, AuthorizationCodes, Grant, pkce_challenge, redirect_allowed

PAGE_ORIGIN = "http://hall.example:8101"


@pytest.fixture
def credentials_path(tmp_path: Path) -> Path:
    path = tmp_path / "credentials.json"
    ensure_dev_credentials(path)
    return path


@pytest.fixture
async def http(keyring: KeyRing, credentials_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(identity_router(keyring, credentials_path, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE,
                                       ttl_s=600, public_url=lambda request: "http://id",
                                       page_origins=[PAGE_ORIGIN]))

    @app.post("/window-only")
    async def window_only(caller: Annotated[Caller, Depends(Allow(Role.CLERK))]) -> dict[str, str | None]:
        return {"subject": caller.subject, "window": caller.window_id, "via": caller.via}

    @app.get("/me")
    async def me(caller: Annotated[Caller, Depends(Allow(*Role))]) -> dict[str, str | None]:
        return {"subject": caller.subject, "id_number": caller.id_number, "department": caller.department}

    trusting(app, keyring)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://id") as client:
        yield client


def test_development_credentials_are_private_and_kept(credentials_path: Path) -> None:
    assert credentials_path.stat().st_mode & 0o777 == 0o600
    first = read_dev_credentials(credentials_path)
    assert ensure_dev_credentials(credentials_path) == first, "secrets are kept across runs"
    assert {c.role for c in first.clients.values()} == set(Role) - {Role.APPLICANT}


async def test_a_window_clerk_gets_a_token_that_carries_the_window(http: httpx.AsyncClient,
                                                                   credentials_path: Path) -> None:
    client = read_dev_credentials(credentials_path).clients["window.W01"]
    http.auth = ClientCredentials("http://id/oauth/token", client.client_id, client.secret)
    answer = await http.post("/window-only")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"subject": "window.W01", "window": "W01", "via": "token"}


async def test_an_applicant_signs_in_with_a_valid_id_number_and_gets_only_the_applicant_role(
        http: httpx.AsyncClient, credentials_path: Path) -> None:
    password = read_dev_credentials(credentials_path).applicant_password
    http.auth = ApplicantSignIn("http://id/oauth/token", TEST_APPLICANT, "张三", password)
    me = await http.get("/me")
    assert me.json()["id_number"] == TEST_APPLICANT
    assert (await http.post("/window-only")).status_code == 403


async def test_failed_sign_ins_look_alike_and_are_limited(http: httpx.AsyncClient, credentials_path: Path) -> None:
    password = read_dev_credentials(credentials_path).applicant_password
    bad_id = await http.post("/oauth/token", data={"grant_type": "password", "username": "110101199003070012",
                                                   "name": "张三", "password": password})
    bad_password = await http.post("/oauth/token", data={"grant_type": "password", "username": TEST_APPLICANT,
                                                         "name": "张三", "password": "guess"})
    assert bad_id.status_code == bad_password.status_code == 400
    assert bad_id.json() == bad_password.json(), "no oracle: an unknown and a known ID number fail alike"
    for _ in range(4):
        await http.post("/oauth/token", data={"grant_type": "password", "username": TEST_APPLICANT,
                                              "name": "张三", "password": "guess"})
    limited = await http.post("/oauth/token", data={"grant_type": "password", "username": TEST_APPLICANT,
                                                    "name": "张三", "password": password})
    assert limited.status_code == 429
    wrong_secret = ClientCredentials("http://id/oauth/token", "supervisor", "not-the-secret")
    with pytest.raises(TokenEndpointRefused, match="401"):
        await http.get("/me", auth=wrong_secret)


def test_the_failure_limit_forgets_after_its_window() -> None:
    now = [0.0]
    limit = FailureLimit(limit=2, window_s=10, clock=lambda: now[0])
    limit.failed("10.0.0.9", "window.W01")
    limit.failed("10.0.0.9", "window.W01")
    assert limit.blocked("10.0.0.9", "window.W01")
    now[0] = 11
    assert not limit.blocked("10.0.0.9", "window.W01")


def test_a_guesser_cannot_lock_an_account_out_from_elsewhere_nor_grow_the_limit_without_end() -> None:
    now = [0.0]
    limit = FailureLimit(limit=2, window_s=10, clock=lambda: now[0], max_keys=3)
    limit.failed("10.0.0.66", "window.W01")
    limit.failed("10.0.0.66", "window.W01")
    assert limit.blocked("10.0.0.66", "window.W01")
    assert not limit.blocked("10.0.0.1", "window.W01"), "the window's own terminal still signs in"
    for n in range(10):
        now[0] = n
        limit.failed(f"10.0.1.{n}", f"guess-{n}")
        assert not limit.blocked("10.0.2.1", f"never-failed-{n}")  # asking leaves nothing behind
    assert len(limit._failures) == 3


async def test_the_published_keys_verify_the_tokens(http: httpx.AsyncClient, credentials_path: Path) -> None:
    client = read_dev_credentials(credentials_path).clients["analyst"]
    token = (await http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "analyst",
                                                   "client_secret": client.secret})).json()["access_token"]
    jwks = (await http.get("/.well-known/jwks.json")).json()
    key = jwt.PyJWKSet.from_dict(jwks)["identity"].key
    claims = jwt.decode(token, key, algorithms=["EdDSA"], audience=DEFAULT_AUDIENCE, issuer=DEFAULT_ISSUER)
    assert claims["roles"] == ["analyst"]
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert discovery["token_endpoint"] == "http://id/oauth/token"


@pytest.mark.parametrize(("options", "problem"), [
    ({"ttl_s": -120}, "expired"),
    ({"audience": "another-platform"}, "wrong_audience"),
    ({"issuer": "someone-else"}, "wrong_issuer"),
    ({"key_id": "dept.health"}, "bad_signature"),  # a department's key is not the identity platform's
])
async def test_a_token_that_does_not_prove_a_caller_is_refused_with_the_reason(
        http: httpx.AsyncClient, tokens: TestTokens, options: dict[str, object], problem: str) -> None:
    answer = await http.post("/window-only", headers=tokens.headers(Role.CLERK, **options))
    assert answer.status_code == 401
    assert answer.json()["detail"]["problem"] == problem
    assert "invalid_token" in answer.headers["www-authenticate"]


async def test_no_credentials_get_401_naming_how_to_get_a_token(http: httpx.AsyncClient) -> None:
    answer = await http.post("/window-only")
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
    assert "POST /oauth/token" in answer.json()["detail"]["message_en"]
    assert (await http.post("/window-only", headers={"Authorization": "Bearer not-a-jwt"})).status_code == 401


async def test_a_signed_request_proves_a_department_and_gets_its_role(http: httpx.AsyncClient, keyring: KeyRing) -> None:
    http.event_hooks = {"request": [async_signing_hook(keyring.signer("dept.health"), "查询")]}
    me = await http.get("/me")
    assert me.status_code == 200 and me.json()["department"] == "health"
    assert (await http.post("/window-only")).status_code == 403


async def test_a_signed_request_that_fails_is_a_401_naming_the_signature_scheme(
        http: httpx.AsyncClient, keyring: KeyRing) -> None:
    sign = async_signing_hook(keyring.signer("dept.health"), "查询")

    async def tamper(request: httpx.Request) -> None:
        await sign(request)
        request.headers["OneThing-Purpose"] = "another-purpose"  # signed for one purpose, sent for another

    http.event_hooks = {"request": [tamper]}
    answer = await http.get("/me")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Signature")
    assert '"onething-purpose"' in answer.headers["accept-signature"]  # RFC 9421 §5.1: which signature to send


async def test_an_unreachable_identity_platform_is_a_503_to_retry_not_a_401(tokens: TestTokens) -> None:
    app = FastAPI()

    @app.get("/me")
    async def me(caller: Annotated[Caller, Depends(Allow(*Role))]) -> str:
        return caller.subject

    nowhere = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"  # nothing listens there
    accept_callers(app, Access(verifier=TokenVerifier(DEFAULT_ISSUER, DEFAULT_AUDIENCE, jwks_url=nowhere),
                               keyring=None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        answer = await client.get("/me", headers=tokens.headers(Role.CLERK))
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.json()["detail"]["problem"] == "issuer_unreachable"


async def test_wrong_content_type_and_grant_are_named(http: httpx.AsyncClient) -> None:
    as_json = await http.post("/oauth/token", content=json.dumps({"grant_type": "password"}),
                              headers={"content-type": "application/json"})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    other = await http.post("/oauth/token", data={"grant_type": "implicit"})
    assert other.json()["error"] == "unsupported_grant_type"


# --- signing in from a page: authorization code with PKCE -------------------------------------------------------

def _asked(verifier: str, *, scope: str = "clerk", redirect_uri: str = f"{PAGE_ORIGIN}/window/") -> dict[str, str]:
    return {"response_type": "code", "client_id": SCREENS_CLIENT_ID, "redirect_uri": redirect_uri, "scope": scope,
            "state": "state-1234", "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256"}


def _code_of(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{PAGE_ORIGIN}/window/"
    params = dict(parse_qsl(back.query))
    assert params["state"] == "state-1234"
    return params["code"]


async def test_a_clerk_signs_in_on_a_page_and_the_page_alone_can_redeem_the_code(
        http: httpx.AsyncClient, credentials_path: Path) -> None:
    known = read_dev_credentials(credentials_path)
    verifier, password = "v" * 50, known.clients["window.W03"].secret
    page = await http.get("/oauth/authorize", params=_asked(verifier))
    assert page.status_code == 200 and "window.W01" in page.text and "申请人" not in page.text  # staff only
    assert "form-action 'self' http://hall.example:8101" in page.headers["content-security-policy"]
    signed_in = await http.post("/oauth/authorize", data={**_asked(verifier), "kind": "staff", "account": "window.W03",
                                                          "password": password})
    code = _code_of(signed_in)
    other = await http.post("/oauth/authorize", data={**_asked(verifier), "kind": "staff", "account": "window.W03",
                                                      "password": known.applicant_password})
    assert other.status_code == 400, "the applicants' password opens no staff account"
    redeem = {"grant_type": "authorization_code", "code": code, "redirect_uri": f"{PAGE_ORIGIN}/window/",
              "client_id": SCREENS_CLIENT_ID}
    assert (await http.post("/oauth/token", data={**redeem, "code_verifier": "w" * 50})).status_code == 400
    code = _code_of(await http.post("/oauth/authorize", data={
        **_asked(verifier), "kind": "staff", "account": "window.W03", "password": password}))
    token = await http.post("/oauth/token", data={**redeem, "code": code, "code_verifier": verifier})
    assert token.status_code == 200, token.text
    claims = jwt.decode(token.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["clerk"] and claims["window_id"] == "W03"
    again = await http.post("/oauth/token", data={**redeem, "code": code, "code_verifier": verifier})
    assert again.json()["error"] == "invalid_grant", "a code is redeemed once"


async def test_an_applicant_signs_in_on_a_page_with_the_simulated_real_name_check(
        http: httpx.AsyncClient, credentials_path: Path) -> None:
    verifier, password = "a" * 43, read_dev_credentials(credentials_path).applicant_password
    form = {**_asked(verifier, scope="applicant"), "kind": "applicant", "username": TEST_APPLICANT, "name": "张三"}
    wrong = await http.post("/oauth/authorize", data={**form, "password": "nope"})
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    operator = read_dev_credentials(credentials_path).clients["operator"].secret
    staff = await http.post("/oauth/authorize", data={**_asked(verifier, scope="applicant"), "kind": "staff",
                                                      "account": "operator", "password": operator})
    assert staff.status_code == 400, "a page asking for an applicant is given one (its scope is the page's wish, " \
        "not a boundary: an operator signs in with the operator's own secret, on a page asking for an operator)"
    code = _code_of(await http.post("/oauth/authorize", data={**form, "password": password}))
    token = await http.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": f"{PAGE_ORIGIN}/window/",
        "client_id": SCREENS_CLIENT_ID, "code_verifier": verifier})
    claims = jwt.decode(token.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["applicant"] and claims["id_number"] == TEST_APPLICANT


@pytest.mark.parametrize(("change", "why"), [
    ({"redirect_uri": "http://elsewhere.example/steal"}, "redirect_uri"),
    ({"client_id": "someone"}, "client_id"),
    ({"code_challenge_method": "plain"}, "PKCE"),
    ({"code_challenge": ""}, "PKCE"),
    ({"state": ""}, "state"),
])
async def test_a_request_the_platform_cannot_check_is_refused_here_and_never_sent_back(
        http: httpx.AsyncClient, change: dict[str, str], why: str) -> None:
    asked = {**_asked("x" * 43), **change}
    page = await http.get("/oauth/authorize", params=asked)
    assert page.status_code == 400 and why in page.text
    posted = await http.post("/oauth/authorize", data={**asked, "kind": "staff", "account": "window.W01",
                                                       "password": "anything"})
    assert posted.status_code == 400 and "location" not in posted.headers


def test_codes_expire_and_belong_to_their_page() -> None:
    now = [0.0]
    codes = AuthorizationCodes(ttl_s=60, clock=lambda: now[0])
    grant = Grant("s", Role.CLERK, {}, SCREENS_CLIENT_ID, "http://p/", pkce_challenge("v" * 43))
    late = codes.issue(grant)
    now[0] = 61
    assert codes.redeem(late, client_id=SCREENS_CLIENT_ID, redirect_uri="http://p/", verifier="v" * 43) is None
    other_page = codes.issue(grant)
    assert codes.redeem(other_page, client_id=SCREENS_CLIENT_ID, redirect_uri="http://q/", verifier="v" * 43) is None
    assert redirect_allowed("http://p:1/x", {"http://p:1"}) and not redirect_allowed("http://u:pw@p:1/x", {"http://p:1"})
    assert not redirect_allowed("javascript:alert(1)", {"http://p:1"})
