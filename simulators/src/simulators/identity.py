"""The simulated unified identity platform (统一身份认证), standing in for the province's: an OAuth 2.0 token
endpoint and its published keys.

``POST /oauth/token`` (form-encoded, RFC 6749):

* ``grant_type=client_credentials`` with ``client_id`` / ``client_secret`` (or HTTP Basic): a token with the
  client's role and claims (a window clerk's window and staff id, a department's code), from the
  development credentials ``onething up`` wrote (:mod:`exchange.access.credentials`);
* ``grant_type=password`` with ``username`` = the applicant's resident ID number, ``password`` and ``name``:
  an applicant's token. The real platform verifies identity by face or SMS; this one checks the ID number's
  GB 11643 check digit and the development password. With ``username`` = an enterprise's unified social credit
  code (法人账号), the token is its legal representative's (from the simulated enterprise registry) and names the
  enterprise in ``organisation``. Failed attempts per username are limited.
* ``grant_type=authorization_code`` with ``code``, ``redirect_uri``, ``client_id`` and ``code_verifier``: the
  token of the person who signed in at ``GET /oauth/authorize`` for a page (:mod:`simulators.sign_in`).

Tokens are EdDSA JWTs signed with the key of principal ``identity``; ``GET /.well-known/jwks.json`` publishes
its public key, so services configured with ``ONETHING_AUTH_JWKS_URL`` verify them as they would any OIDC
provider's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from contracts.identifiers import resident_id_problem, uscc_problem
from exchange.access.credentials import DevCredentials, read_dev_credentials
from exchange.access.roles import Role
from exchange.access.tokens import IDENTITY_PRINCIPAL, issue_token, jwk_of
from exchange.settings import origin_of
from exchange.signing import KeyRing
from simulators.records import enterprise_record
from simulators.sign_in import AuthorizationCodes, AuthorizeRequest, Grant, sign_in_page

__all__ = ["FailureLimit", "identity_router"]

_FORM = {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials", "password", "authorization_code"]},
        "client_id": {"type": "string", "examples": ["window.W01"]},
        "client_secret": {"type": "string"},
        "username": {"type": "string", "description": "申请人公民身份号码 (password grant)"},
        "password": {"type": "string"},
        "name": {"type": "string", "description": "申请人姓名 (password grant)"},
        "code": {"type": "string", "description": "authorization_code grant"},
        "redirect_uri": {"type": "string"},
        "code_verifier": {"type": "string", "description": "PKCE (RFC 7636)"},
    }}}}


class FailureLimit:
    """At most ``limit`` failed sign-ins per key within ``window_s`` (then 429 until the window passes).

    The key is the caller's address with the account it tries: someone guessing from one address is slowed
    down, but cannot lock a window or an applicant out of their account from elsewhere. Keys without a recent
    failure are forgotten, and at most ``max_keys`` are kept (the oldest go first).
    """

    def __init__(self, limit: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.limit, self.window_s, self.clock, self.max_keys = limit, window_s, clock, max_keys
        self._failures: dict[tuple[str, str], list[float]] = {}

    def blocked(self, address: str, account: str) -> bool:
        key, now = (address, account), self.clock()
        recent = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return len(recent) >= self.limit

    def failed(self, address: str, account: str) -> None:
        self._failures.setdefault((address, account), []).append(self.clock())
        while len(self._failures) > self.max_keys:
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]


def _error(status: int, error: str, zh: str, en: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": en, "message_zh": zh, "message_en": en},
                        status_code=status, headers={"Cache-Control": "no-store"})


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, secret


def applicant_identity(username: str, name: str, password: str, known: DevCredentials
                       ) -> tuple[str, dict[str, str]] | None:
    """The subject and claims of an applicant's token, when the simulated real-name check passes: a resident ID
    number (or an enterprise's credit code: 法人账号, acted for by its legal representative), a name and the
    development password. One answer for every failure: no oracle for ID numbers."""
    enterprise = enterprise_record(username) if uscc_problem(username) is None else None
    person = resident_id_problem(username) is None
    if not (person or enterprise) or not name or len(name) > 64 or \
            not hmac.compare_digest(known.applicant_password.encode(), password.encode()):
        return None
    subject = "applicant." + hashlib.sha256(username.encode()).hexdigest()[:20]
    if enterprise is not None:
        return subject, {"id_number": enterprise["legal_representative_id"],
                         "name": enterprise["legal_representative"], "organisation": username, "channel": "portal"}
    return subject, {"id_number": username, "name": name, "channel": "portal"}


def identity_router(keyring: KeyRing, credentials_path: Path, *, issuer: str, audience: str, ttl_s: int,
                    public_url: Callable[[Request], str], page_origins: Collection[str] = ()) -> APIRouter:
    router = APIRouter(tags=["统一身份认证（模拟）Identity platform (simulated)"])
    limit = FailureLimit()
    codes = AuthorizationCodes()
    cache: dict[str, tuple[float, DevCredentials]] = {}

    def credentials() -> DevCredentials | None:
        try:
            mtime = credentials_path.stat().st_mtime
        except FileNotFoundError:
            return None
        if credentials_path.name not in cache or cache[credentials_path.name][0] != mtime:
            cache[credentials_path.name] = (mtime, read_dev_credentials(credentials_path))
        return cache[credentials_path.name][1]

    def token(subject: str, role: Role, claims: dict[str, str]) -> JSONResponse:
        access = issue_token(keyring.private_key(IDENTITY_PRINCIPAL), key_id=IDENTITY_PRINCIPAL, issuer=issuer,
                             audience=audience, subject=subject, roles=[role], ttl_s=ttl_s, claims=claims)
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": ttl_s, "scope": role.value},
                            headers={"Cache-Control": "no-store"})

    @router.post("/oauth/token", summary="获取访问令牌 Get an access token (OAuth 2.0)",
                 openapi_extra={"requestBody": {"required": True, "content": _FORM}},
                 responses={400: {"description": "invalid_request / unsupported_grant_type / invalid_grant"},
                            401: {"description": "invalid_client"}, 429: {"description": "too many failed sign-ins"}})
    async def oauth_token(request: Request) -> JSONResponse:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _error(400, "invalid_request", "请以 application/x-www-form-urlencoded 提交",
                          "send the form as application/x-www-form-urlencoded")
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
        known = credentials()
        if known is None:
            return _error(400, "invalid_request", "本模拟平台没有开发用凭据（onething up 会生成）",
                          f"no development credentials at {credentials_path} (onething up writes them)")
        grant, address = form.get("grant_type"), request.client.host if request.client else "?"
        if grant == "client_credentials":
            client_id, secret = _basic(request) or (form.get("client_id", ""), form.get("client_secret", ""))
            client = known.clients.get(client_id)
            if limit.blocked(address, client_id):
                return _error(429, "slow_down", "失败次数过多，请稍后再试", "too many failed attempts: try later")
            if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
                limit.failed(address, client_id)
                return _error(401, "invalid_client", "客户端编号或密钥错误", "unknown client or wrong secret")
            return token(client.client_id, client.role, client.claims)
        if grant == "password":
            username = form.get("username", "").strip()
            if limit.blocked(address, username):
                return _error(429, "slow_down", "失败次数过多，请稍后再试", "too many failed attempts: try later")
            applicant = applicant_identity(username, form.get("name", "").strip(), form.get("password", ""), known)
            if applicant is None:
                limit.failed(address, username)
                return _error(400, "invalid_grant", "身份核验未通过", "identity not verified")
            return token(applicant[0], Role.APPLICANT, applicant[1])
        if grant == "authorization_code":
            signed_in = codes.redeem(form.get("code", ""), client_id=form.get("client_id", ""),
                                     redirect_uri=form.get("redirect_uri", ""),
                                     verifier=form.get("code_verifier", ""))
            if signed_in is None:
                return _error(400, "invalid_grant", "登录已失效，请重新登录",
                              "the code is unknown, used, expired, or not this page's: sign in again")
            return token(signed_in.subject, signed_in.role, signed_in.claims)
        return _error(400, "unsupported_grant_type", "仅支持 client_credentials、password 与 authorization_code",
                      "grant_type must be client_credentials, password or authorization_code")

    def accounts(known: DevCredentials) -> list[tuple[str, Role, dict[str, str]]]:
        return [(c.client_id, c.role, c.claims) for c in known.clients.values()]

    def sign_in(asked: AuthorizeRequest, known: DevCredentials | None, *, error: str | None = None,
                status: int = 200) -> HTMLResponse:
        problem = asked.problem(page_origins) if known is not None else "no development credentials (onething up)"
        html = sign_in_page(asked, accounts(known) if known else [], error=error, problem=problem)
        back = "" if problem else " " + origin_of(asked.redirect_uri)  # the redirect after the form is a form action
        return HTMLResponse(html, status_code=400 if problem else status, headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; "
                                       f"form-action 'self'{back}; frame-ancestors 'none'"})

    @router.get("/oauth/authorize", summary="网页登录 Sign in for a page (OAuth 2.0 authorization code, PKCE)",
                response_class=HTMLResponse)
    async def authorize_page(request: Request) -> HTMLResponse:
        return sign_in(AuthorizeRequest.of(dict(request.query_params)), credentials())

    @router.post("/oauth/authorize", summary="提交登录 Sign in (the form of GET /oauth/authorize)",
                 response_class=HTMLResponse, responses={303: {"description": "back to the page with a code"}})
    async def authorize(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
        asked, known = AuthorizeRequest.of(form), credentials()
        if known is None or asked.problem(page_origins) is not None:
            return sign_in(asked, known)
        address, kind, password = request.client.host if request.client else "?", form.get("kind"), form.get(
            "password", "")
        account = form.get("account", "") if kind == "staff" else form.get("username", "").strip()
        if limit.blocked(address, account):
            return sign_in(asked, known, error="失败次数过多，请稍后再试 Too many failed attempts: try later", status=429)
        grant: Grant | None = None
        client = known.clients.get(account) if kind == "staff" else None
        if client is not None and client.role in asked.roles() and client.role is not Role.DEPARTMENT and \
                hmac.compare_digest(client.secret.encode(), password.encode()):  # the account's own secret
            grant = Grant(client.client_id, client.role, client.claims, asked.client_id, asked.redirect_uri,
                          asked.code_challenge)
        elif kind == "applicant" and Role.APPLICANT in asked.roles():
            applicant = applicant_identity(account, form.get("name", "").strip(), password, known)
            if applicant is not None:
                grant = Grant(applicant[0], Role.APPLICANT, applicant[1], asked.client_id, asked.redirect_uri,
                              asked.code_challenge)
        if grant is None:
            limit.failed(address, account)
            return sign_in(asked, known, error="账号或密码错误，或身份核验未通过 Wrong account or password, or identity "
                                               "not verified", status=400)
        return RedirectResponse(asked.back_with(code=codes.issue(grant)), status_code=303,
                                headers={"Cache-Control": "no-store"})

    @router.get("/.well-known/jwks.json", summary="签名公钥 The keys tokens are signed with (JWKS)")
    async def jwks() -> dict[str, Any]:
        return {"keys": [jwk_of(keyring.public_key(IDENTITY_PRINCIPAL), IDENTITY_PRINCIPAL)]}

    @router.get("/.well-known/openid-configuration", summary="发现文档 OpenID Connect discovery")
    async def discovery(request: Request) -> dict[str, Any]:
        base = public_url(request)
        return {"issuer": issuer, "token_endpoint": f"{base}/oauth/token", "jwks_uri": f"{base}/.well-known/jwks.json",
                "authorization_endpoint": f"{base}/oauth/authorize", "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["client_credentials", "password", "authorization_code"],
                "id_token_signing_alg_values_supported": ["EdDSA"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"]}

    return router
