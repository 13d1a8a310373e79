"""Signing people in to a screen (网页登录) at the simulated identity platform: OAuth 2.0 authorization code with
PKCE (RFC 6749 §4.1, RFC 7636), as a page in a browser does it with any OIDC provider.

A page sends the browser to ``GET /oauth/authorize`` with its ``redirect_uri`` (on an origin of the system's own
services), a ``state`` and an S256 ``code_challenge``; the person signs in here and the browser goes back with a
one-time ``code``, which the page exchanges at ``POST /oauth/token`` (``grant_type=authorization_code``) with the
``code_verifier`` only it knows. The page is a public client (``onething-screens``, no secret): PKCE is what keeps
a code that leaks on the way back useless to whoever caught it.

How a person proves who they are is simulated (the real platform does it by face, SMS or a staff card): staff pick
one of the development accounts (a window, a kiosk, the 12345 seat, the supervision office, operations, analysis)
and give that account's own secret from ``credentials.json`` (knowing the applicants' password opens no staff
account); an applicant gives a resident ID number with a valid check digit (or an enterprise's credit code, 法人账号),
a name and the applicants' development password.

The rules (:class:`AuthorizationCodes`, :func:`pkce_challenge`, :func:`redirect_allowed`) are I/O-free; the page is
rendered here as plain HTML with every value escaped, and needs no script.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode, urlsplit

from exchange.access.roles import ROLE_ZH, Role
from exchange.settings import origin_of

__all__ = [
    "SCREENS_CLIENT_ID", "STAFF_ROLES", "AuthorizationCodes", "AuthorizeRequest", "Grant", "pkce_challenge",
    "redirect_allowed", "sign_in_page",
]

SCREENS_CLIENT_ID = "onething-screens"  # the public client every OneThing page signs in as
STAFF_ROLES = (Role.CLERK, Role.KIOSK, Role.SUPERVISOR, Role.OPERATOR, Role.ANALYST)  # people, not systems
CODE_TTL_S = 120.0


def pkce_challenge(verifier: str) -> str:
    """The S256 challenge of a verifier: base64url(SHA-256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def redirect_allowed(redirect_uri: str, origins: Collection[str]) -> bool:
    """A page of the system's own services: http(s), no credentials or fragment, on an allowed origin."""
    parts = urlsplit(redirect_uri)
    return (parts.scheme in ("http", "https") and not parts.username and not parts.password and not parts.fragment
            and origin_of(redirect_uri) in origins)


@dataclass(frozen=True)
class AuthorizeRequest:
    """What a page asked for at ``/oauth/authorize``, checked (:meth:`problem`) before anyone signs in."""

    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str
    code_challenge_method: str
    scope: str
    response_type: str = "code"

    @classmethod
    def of(cls, params: Mapping[str, str]) -> AuthorizeRequest:
        return cls(client_id=params.get("client_id", ""), redirect_uri=params.get("redirect_uri", ""),
                   state=params.get("state", ""), code_challenge=params.get("code_challenge", ""),
                   code_challenge_method=params.get("code_challenge_method", ""), scope=params.get("scope", ""),
                   response_type=params.get("response_type", ""))

    def problem(self, origins: Collection[str]) -> str | None:
        """Why this request cannot be served at all (shown here, never sent back to an unchecked address)."""
        if self.client_id != SCREENS_CLIENT_ID:
            return f"unknown client_id (this platform signs people in to {SCREENS_CLIENT_ID} only)"
        if not redirect_allowed(self.redirect_uri, origins):
            return "redirect_uri is not a page of this system's services"
        if self.response_type != "code":
            return "response_type must be code"
        if self.code_challenge_method != "S256" or not 43 <= len(self.code_challenge) <= 128:
            return "PKCE is required: code_challenge (43–128 characters) with code_challenge_method=S256"
        if not 8 <= len(self.state) <= 256:
            return "state is required (8–256 characters)"
        return None

    def roles(self) -> list[Role]:
        """The roles the page asked for in ``scope`` (any person's role when it names none it knows)."""
        asked = [Role(word) for word in self.scope.split() if word in Role.__members__.values()]
        return [r for r in asked if r is not Role.DEPARTMENT] or [Role.APPLICANT, *STAFF_ROLES]

    def back_with(self, **params: str) -> str:
        """The page's address with ``params`` (a code, or an error) and the page's ``state``."""
        separator = "&" if urlsplit(self.redirect_uri).query else "?"
        return f"{self.redirect_uri}{separator}{urlencode({**params, 'state': self.state})}"


@dataclass(frozen=True)
class Grant:
    """Who signed in, for which page and challenge: what a code stands for until it is redeemed."""

    subject: str
    role: Role
    claims: dict[str, str]
    client_id: str
    redirect_uri: str
    code_challenge: str


@dataclass
class AuthorizationCodes:
    """One-time codes, each valid ``ttl_s`` seconds and redeemed at most once (a second try finds nothing)."""

    ttl_s: float = CODE_TTL_S
    clock: Callable[[], float] = time.monotonic
    max_codes: int = 10_000
    _codes: dict[str, tuple[float, Grant]] = field(default_factory=dict)

    def issue(self, grant: Grant) -> str:
        now = self.clock()
        for code in [c for c, (at, _) in self._codes.items() if now - at >= self.ttl_s]:
            del self._codes[code]
        while len(self._codes) >= self.max_codes:
            del self._codes[next(iter(self._codes))]  # the oldest: dicts keep insertion order
        code = secrets.token_urlsafe(32)
        self._codes[code] = (now, grant)
        return code

    def redeem(self, code: str, *, client_id: str, redirect_uri: str, verifier: str) -> Grant | None:
        """The grant, when the code is live and the page presenting it is the one it was issued to."""
        issued = self._codes.pop(code, None)
        if issued is None or self.clock() - issued[0] >= self.ttl_s:
            return None
        grant = issued[1]
        if grant.client_id != client_id or grant.redirect_uri != redirect_uri or not 43 <= len(verifier) <= 128:
            return None
        return grant if hmac.compare_digest(pkce_challenge(verifier), grant.code_challenge) else None


# --- the page ---------------------------------------------------------------------------------------------

_ACCOUNT_ZH = {Role.CLERK: "窗口", Role.KIOSK: "自助终端", Role.SUPERVISOR: "监察", Role.OPERATOR: "运维",
               Role.ANALYST: "分析"}


def _hidden(request: AuthorizeRequest) -> str:
    fields = {"client_id": request.client_id, "redirect_uri": request.redirect_uri, "state": request.state,
              "code_challenge": request.code_challenge, "code_challenge_method": request.code_challenge_method,
              "scope": request.scope, "response_type": request.response_type}
    return "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in fields.items())


def _account_label(client_id: str, role: Role, claims: Mapping[str, str]) -> str:
    where = claims.get("window_id") or ("12345" if claims.get("channel") == "12345" else "")
    staff = f" · {claims['staff_id']}" if "staff_id" in claims else ""
    return f"{ROLE_ZH[role]} {where}{staff} ({client_id})".replace("  ", " ")


def sign_in_page(request: AuthorizeRequest, accounts: list[tuple[str, Role, dict[str, str]]], *,
                 error: str | None = None, problem: str | None = None) -> str:
    """The sign-in page for ``request`` (or, with ``problem``, why it cannot be served)."""
    roles = request.roles()
    parts = ['<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<title>统一身份认证（模拟） Sign in (simulated)</title>',
             '<link rel="stylesheet" href="/shell/shell.css"></head><body>',
             '<header class="shell-bar"><span class="shell-brand">统一身份认证 <span lang="en">Unified identity</span>'
             '</span><span class="shell-place">模拟平台 · 演示用 <span lang="en">simulated, for demonstration</span>'
             '</span></header><main id="main" class="shell-main sign-in">',
             '<h1>登录 <span lang="en">Sign in</span></h1>']
    if problem is not None:
        parts.append(f'<p role="alert" class="badge warn">无法登录：请求无效 <span lang="en">Cannot sign in: '
                     f'{escape(problem)}</span></p></main></body></html>')
        return "".join(parts)
    parts.append(f'<p>登录后返回 <span lang="en">After signing in you go back to</span> '
                 f'<code>{escape(request.redirect_uri)}</code></p>')
    if error:
        parts.append(f'<p role="alert" id="sign-in-error" class="badge warn">{escape(error)}</p>')
    staff = [(c, r, claims) for c, r, claims in accounts if r in roles and r in STAFF_ROLES]
    if staff:
        options = "".join(f'<option value="{escape(c)}">{escape(_account_label(c, r, claims))}</option>'
                          for c, r, claims in staff)
        parts.append(
            '<form method="post" action="/oauth/authorize" class="sign-in-form" aria-labelledby="staff-title">'
            '<h2 id="staff-title">工作人员 <span lang="en">Staff</span></h2>' + _hidden(request) +
            '<input type="hidden" name="kind" value="staff">'
            f'<label for="account">账号 <span lang="en">Account</span></label><select id="account" name="account">'
            f'{options}</select>'
            '<label for="staff-password">密码 <span lang="en">Password</span></label>'
            '<input id="staff-password" name="password" type="password" autocomplete="current-password" required>'
            '<button type="submit">登录 <span lang="en">Sign in</span></button></form>')
    if Role.APPLICANT in roles:
        parts.append(
            '<form method="post" action="/oauth/authorize" class="sign-in-form" aria-labelledby="applicant-title">'
            '<h2 id="applicant-title">申请人 <span lang="en">Applicant</span></h2>' + _hidden(request) +
            '<input type="hidden" name="kind" value="applicant">'
            '<label for="username">公民身份号码或统一社会信用代码 <span lang="en">Resident ID number or unified social '
            'credit code</span></label><input id="username" name="username" autocomplete="username" required '
            'maxlength="18">'
            '<label for="name">姓名 <span lang="en">Name</span></label>'
            '<input id="name" name="name" autocomplete="name" required maxlength="64">'
            '<label for="applicant-password">密码 <span lang="en">Password</span></label>'
            '<input id="applicant-password" name="password" type="password" autocomplete="current-password" required>'
            '<button type="submit">登录 <span lang="en">Sign in</span></button></form>')
    hints = []
    if staff:
        hints.append('工作人员用本账号在 <code>credentials.json</code> 中的 <code>secret</code> <span lang="en">Staff: their '
                     'account\'s <code>secret</code> in <code>credentials.json</code></span>')
    if Role.APPLICANT in roles:
        hints.append('申请人用 <code>credentials.json</code> 中的 <code>applicant_password</code> <span lang="en">Applicants: '
                     '<code>applicant_password</code> in <code>credentials.json</code></span>')
    parts += [f'<p class="lead">演示用密码 <span lang="en">Demonstration passwords</span>: {hint}</p>' for hint in hints]
    parts.append(f'<p><a href="{escape(request.back_with(error="access_denied"))}">取消 <span lang="en">Cancel</span>'
                 '</a></p></main></body></html>')
    return "".join(parts)
