"""Bearer tokens for a service's tests: apps that trust the session's identity key, tokens minted with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import httpx
from fastapi import FastAPI

from exchange.access.http import Access, accept_callers
from exchange.access.roles import Role
from exchange.access.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, IDENTITY_PRINCIPAL, TokenVerifier, issue_token
from exchange.signing import KeyRing

__all__ = ["AuthorisedClient", "TestTokens", "trusting"]

# A valid resident ID number (GB 11643 check digit) for an applicant of the tests.
TEST_APPLICANT = "110101199003070011"


def trusting(app: FastAPI, keyring: KeyRing) -> FastAPI:
    """``app`` accepting tokens signed by the session's ``identity`` key and requests signed by its principals,
    as the runtime sets up every service."""
    accept_callers(app, Access(TokenVerifier(DEFAULT_ISSUER, DEFAULT_AUDIENCE, keyring), keyring))
    return app


class TestTokens:
    """``tokens.headers(Role.CLERK)``: an ``Authorization`` header for a caller with that role (and claims)."""

    __test__ = False  # not a test class

    DEFAULT_CLAIMS: ClassVar[dict[Role, dict[str, str]]] = {
        Role.CLERK: {"window_id": "W01", "staff_id": "S001", "channel": "window"},
        Role.KIOSK: {"window_id": "K01", "channel": "kiosk"},
        Role.APPLICANT: {"id_number": TEST_APPLICANT, "name": "测试申请人", "channel": "portal"},
        Role.DEPARTMENT: {"department": "health"},
    }

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    def token(self, *roles: Role, subject: str | None = None, ttl_s: int = 600, issuer: str = DEFAULT_ISSUER,
              audience: str = DEFAULT_AUDIENCE, key_id: str = IDENTITY_PRINCIPAL, **claims: Any) -> str:
        merged: dict[str, str] = {}
        for role in sorted(roles, key=lambda r: r is Role.CLERK):  # a clerk's channel wins over an applicant's
            merged.update(self.DEFAULT_CLAIMS.get(role, {}))
        merged.update(claims)
        if Role.APPLICANT in roles and subject is None:
            subject = f"applicant.{merged['id_number']}"
        return issue_token(self.keyring.private_key(key_id), key_id=key_id, issuer=issuer, audience=audience,
                           subject=subject or f"test.{'+'.join(roles)}", roles=roles, ttl_s=ttl_s, claims=merged)

    def staff(self) -> dict[str, str]:
        """Every staff role at once (window W01's clerk, supervisor, operator, analyst): for end-to-end tests that
        look at a case from every side; who may do what is tested route by route elsewhere."""
        return self.headers(Role.CLERK, Role.SUPERVISOR, Role.OPERATOR, Role.ANALYST)

    @classmethod
    def of_system(cls, data_dir: Path) -> TestTokens:
        """Tokens a running system accepts: signed with the identity key in its data dir."""
        return cls(KeyRing(data_dir / "keys"))

    def headers(self, *roles: Role, **options: Any) -> dict[str, str]:
        """``Authorization`` for a caller holding ``roles`` (several, for tests of what they do, not who asks)."""
        return {"Authorization": f"Bearer {self.token(*roles, **options)}"}


AuthorisedClient = Callable[..., httpx.AsyncClient]


def authorised_client(keyring: KeyRing) -> AuthorisedClient:
    """``client(app, *roles, base_url=…, **claims)``: an in-process client of ``app`` (made to trust the
    session's tokens) whose every request carries a token with ``roles``."""
    tokens = TestTokens(keyring)

    def client(app: FastAPI, *roles: Role, base_url: str = "http://t", **claims: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=trusting(app, keyring)), base_url=base_url,
                                 headers=tokens.headers(*roles, **claims) if roles else {})

    return client
