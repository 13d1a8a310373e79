"""Development credentials (开发用凭据) of the embedded default, one OAuth 2.0 client per role.

``onething up`` writes ``<data dir>/credentials.json`` (0600) once; the simulated identity platform checks
client secrets against it, and the ``onething`` commands read it to get tokens for what they do. In
production the province's identity platform holds its own clients and this file does not exist.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.departments import DEPARTMENTS
from exchange.access.roles import Role

__all__ = ["CREDENTIALS_FILE", "Client", "DevCredentials", "ensure_dev_credentials", "read_dev_credentials"]

CREDENTIALS_FILE = "credentials.json"

# The clients of the embedded default: (client id, role, claims). The service centre's windows W01–W08 (综合窗口),
# its self-service kiosks K01–K08 (自助终端, the kiosk role: they follow only what they accepted) and a 12345
# hotline seat (热线, a clerk).
_CLIENTS: list[tuple[str, Role, dict[str, str]]] = [
    *((f"window.W{n:02d}", Role.CLERK, {"window_id": f"W{n:02d}", "staff_id": f"S{n:03d}", "channel": "window"})
      for n in range(1, 9)),
    *((f"kiosk.K{n:02d}", Role.KIOSK, {"window_id": f"K{n:02d}", "channel": "kiosk"}) for n in range(1, 9)),
    ("hotline", Role.CLERK, {"staff_id": "S101", "channel": "12345"}),
    ("supervisor", Role.SUPERVISOR, {}),
    ("operator", Role.OPERATOR, {}),
    ("analyst", Role.ANALYST, {}),
    *((f"department.{d.code}", Role.DEPARTMENT, {"department": d.code}) for d in DEPARTMENTS),
]


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    role: Role
    claims: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DevCredentials:
    clients: dict[str, Client]
    applicant_password: str  # the simulated real-name check every applicant passes with (演示用)

    def for_role(self, role: Role) -> Client:
        return next(c for c in self.clients.values() if c.role is role)

    def to_json(self) -> dict[str, Any]:
        return {"applicant_password": self.applicant_password,
                "clients": {c.client_id: {"secret": c.secret, "role": c.role.value, "claims": c.claims}
                            for c in self.clients.values()}}


def read_dev_credentials(path: Path) -> DevCredentials:
    data = json.loads(path.read_text(encoding="utf-8"))
    return DevCredentials(
        clients={cid: Client(cid, c["secret"], Role(c["role"]), dict(c.get("claims", {})))
                 for cid, c in data["clients"].items()},
        applicant_password=data["applicant_password"])


def ensure_dev_credentials(path: Path) -> DevCredentials:
    """The credentials at ``path``, created (0600) with fresh secrets the first time; clients added since are
    added, existing secrets kept, and each client's role and claims are the code's (a kiosk written as a clerk
    by an earlier version becomes a kiosk)."""
    existing = read_dev_credentials(path) if path.exists() else None
    clients = dict(existing.clients) if existing else {}
    for client_id, role, claims in _CLIENTS:
        kept = clients.get(client_id)
        clients[client_id] = Client(client_id, kept.secret if kept else secrets.token_urlsafe(24), role, claims)
    credentials = DevCredentials(clients, existing.applicant_password if existing else secrets.token_urlsafe(12))
    if existing is None or credentials != existing:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(credentials.to_json(), out, ensure_ascii=False, indent=1)
        path.chmod(0o600)
    return credentials
