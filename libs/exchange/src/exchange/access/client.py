"""The client side of bearer tokens: an ``httpx.Auth`` that gets a token from the identity platform's token
endpoint when it has none (or it expired, or a service answered 401), then sends it on every request.

Works on sync and async httpx clients alike (the token request goes through the same client):
``httpx.Client(auth=ClientCredentials(token_url, "window.W01", secret))``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator

import httpx

__all__ = ["ApplicantSignIn", "BearerAuth", "ClientCredentials", "TokenEndpointRefused"]


class TokenEndpointRefused(httpx.HTTPError):
    """The identity platform refused to issue a token (wrong secret, identity not verified, rate limited)."""


class BearerAuth(httpx.Auth):
    """Fetches and caches a token; subclasses say which grant."""

    requires_response_body = True

    def __init__(self, token_url: str) -> None:
        self.token_url = token_url
        self._token: str | None = None
        self._expires = 0.0

    def form(self) -> dict[str, str]:
        raise NotImplementedError

    def token(self, client: httpx.Client) -> str:
        """A current token, fetched through ``client`` if none is held (for a command that prints one)."""
        flow = self._refresh()
        if self._token is None or time.monotonic() > self._expires:
            request = next(flow)
            with contextlib.suppress(StopIteration):  # the flow ends once it has kept the token
                flow.send(client.send(request, auth=None))  # the token request itself carries no token
        assert self._token is not None
        return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None or time.monotonic() > self._expires:
            yield from self._refresh()
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401 and "invalid_token" in response.headers.get("www-authenticate", ""):
            yield from self._refresh()  # revoked or expired early: one new token, one retry
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request

    def _refresh(self) -> Generator[httpx.Request, httpx.Response, None]:
        answer = yield httpx.Request("POST", self.token_url, data=self.form())
        try:
            body = answer.json()
        except ValueError:
            body = {}
        if answer.status_code != 200 or "access_token" not in body:
            raise TokenEndpointRefused(
                f"统一身份认证拒绝签发令牌 the identity platform issued no token (HTTP {answer.status_code}): "
                f"{body.get('message_zh', '')} {body.get('error_description', answer.text[:200])}".strip())
        self._token = str(body["access_token"])
        self._expires = time.monotonic() + max(float(body.get("expires_in", 300)) - 30, 5)


class ClientCredentials(BearerAuth):
    """A client of the platform (window, supervisor, operator, analyst, department): OAuth 2.0 client credentials."""

    def __init__(self, token_url: str, client_id: str, secret: str) -> None:
        super().__init__(token_url)
        self.client_id, self.secret = client_id, secret

    def form(self) -> dict[str, str]:
        return {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.secret}


class ApplicantSignIn(BearerAuth):
    """An applicant signed in with 统一身份认证 (the simulated platform's password grant)."""

    def __init__(self, token_url: str, id_number: str, name: str, password: str) -> None:
        super().__init__(token_url)
        self.id_number, self.name, self.password = id_number, name, password

    def form(self) -> dict[str, str]:
        return {"grant_type": "password", "username": self.id_number, "name": self.name, "password": self.password}
