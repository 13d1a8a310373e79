"""The tokens the ``onething`` commands act with (开发用凭据): each command signs in with the role its work
needs — the demo's windows as clerks and its portal applicants as themselves, the clock and the simulated
faults as an operator, ``onething case`` as an operator — using the development credentials ``onething up``
wrote to the data dir and the identity platform of the running system (the simulators' port)."""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from exchange.access.client import ApplicantSignIn, ClientCredentials
from exchange.access.credentials import CREDENTIALS_FILE, DevCredentials, read_dev_credentials
from exchange.access.roles import Role

__all__ = ["ACCESS_TOKEN_ENV", "StaticBearer", "SystemTokens", "command_auth"]

ACCESS_TOKEN_ENV = "ONETHING_ACCESS_TOKEN"  # noqa: S105 - a variable name, not a secret; a token got elsewhere (an OIDC provider), for a system not run here


@dataclass(frozen=True)
class SystemTokens:
    token_url: str
    credentials: DevCredentials

    @classmethod
    def of(cls, data_dir: Path, urls: Mapping[str, str]) -> SystemTokens:
        path = data_dir / CREDENTIALS_FILE
        if not path.exists():
            raise FileNotFoundError(f"没有开发用凭据 no development credentials at {path}: `onething up` writes them")
        return cls(f"{urls['simulators']}/oauth/token", read_dev_credentials(path))

    def staff(self, role: Role) -> ClientCredentials:
        """The first client of ``role`` (supervisor, operator, analyst, a window clerk)."""
        return self.client(self.credentials.for_role(role).client_id)

    def client(self, client_id: str) -> ClientCredentials:
        known = self.credentials.clients[client_id]
        return ClientCredentials(self.token_url, known.client_id, known.secret)

    def clerk_at(self, channel: str, window_id: str | None) -> ClientCredentials:
        """The client of a window, kiosk or hotline seat (``window.W03``, ``kiosk.K02``, ``hotline``)."""
        for client in self.credentials.clients.values():
            if client.role in (Role.CLERK, Role.KIOSK) and client.claims.get("channel") == channel and \
                    client.claims.get("window_id") == window_id:
                return self.client(client.client_id)
        raise KeyError(f"no clerk client for {channel} {window_id}")

    def applicant(self, id_number: str, name: str) -> ApplicantSignIn:
        return ApplicantSignIn(self.token_url, id_number, name, self.credentials.applicant_password)

    def submitter(self, body: Mapping[str, Any], applicant: httpx.Auth | None = None) -> httpx.Auth:
        """Who submits an application: the applicant on the portal or the app (``applicant``, if already signed
        in), else the clerk of the window, kiosk or hotline seat it names."""
        if body.get("channel") in ("portal", "mobile"):
            return applicant or self.applicant(body["applicant"]["id_number"], body["applicant"]["name"])
        return self.clerk_at(body.get("channel", "window"), body.get("window_id"))


class StaticBearer(httpx.Auth):
    """A token the caller already holds."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def command_auth(data_dir: Path, urls: Mapping[str, str] | None, role: Role) -> httpx.Auth | None:
    """How a command proves ``role``: ``$ONETHING_ACCESS_TOKEN`` if set, else the running system's development
    credentials; None when neither is at hand (the service's 401 then says how to get a token)."""
    if token := os.environ.get(ACCESS_TOKEN_ENV):
        return StaticBearer(token)
    if urls is None or "simulators" not in urls or not (data_dir / CREDENTIALS_FILE).exists():
        return None
    return SystemTokens.of(data_dir, urls).staff(role)
