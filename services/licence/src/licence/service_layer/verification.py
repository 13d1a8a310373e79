"""Verification as a service (证照验真): the status lists a credential points to, fetched before the pure
check runs. This service's own lists are read from its database (so a revocation counts at once); another
region's lists are fetched from their published address, checked against that issuer's key and cached.

Nothing is fetched for a credential whose signature does not check out, and a list is fetched only from under
the address its issuer publishes them at in the trust list (``status_list_base``), never from wherever a
credential says: a submitted credential cannot make this service call an address of its choosing. A fetch has a
timeout, follows no redirect and reads at most :data:`MAX_STATUS_LIST_BYTES`."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from credentials.status import StatusList, StatusPurpose, parse_status_entries, status_list_id
from credentials.trust import TrustedIssuer
from credentials.verify import Reason, Verification, issuer_id_of, status_list_of, verify_credential
from exchange.db.database import Database
from licence.service_layer.issuers import Issuers
from licence.service_layer.status import status_bits

__all__ = ["MAX_STATUS_LIST_BYTES", "Verifier"]

MAX_STATUS_LIST_BYTES = 1 << 20  # a status list of 131,072 entries is ~16 KiB gzipped; 1 MiB is plenty


class _Fetched:
    """A :class:`credentials.verify.StatusSource` over lists fetched beforehand."""

    def __init__(self, lists: Mapping[tuple[str, StatusPurpose], StatusList | None]) -> None:
        self._lists = lists

    def status_list(self, url: str, issuer: TrustedIssuer, purpose: StatusPurpose) -> StatusList | None:
        return self._lists.get((url, purpose))


class Verifier:
    def __init__(self, database: Database, issuers: Issuers, *, http: httpx.AsyncClient | None = None,
                 remote_ttl_s: float = 300.0) -> None:
        self._database = database
        self._issuers = issuers
        self._http = http
        self._ttl = remote_ttl_s
        self._remote: dict[tuple[str, StatusPurpose], tuple[float, StatusList]] = {}

    async def verify(self, document: Any, *, now: datetime) -> Verification:
        trust = self._issuers.trust_list()
        offline = verify_credential(document, trust=trust, now=now, status=None)
        if offline.reason != Reason.VALID:
            return offline  # not signed by a trusted issuer, tampered, not yet or no longer valid: nothing fetched
        lists: dict[tuple[str, StatusPurpose], StatusList | None] = {}
        issuer_id = issuer_id_of(document)
        issuer = trust.issuer(issuer_id) if issuer_id else None
        if issuer is not None:
            try:
                entries = parse_status_entries(document)
            except ValueError:
                entries = []  # the pure check reports the credential as malformed
            for entry in entries:
                lists[(entry.list_url, entry.purpose)] = await self._status_list(entry.list_url, issuer, entry.purpose)
        return verify_credential(document, trust=trust, now=now, status=_Fetched(lists))

    async def _status_list(self, url: str, issuer: TrustedIssuer, purpose: StatusPurpose) -> StatusList | None:
        own = self._own_list(url, issuer, purpose)
        if own is not None:
            department, number = own
            return await status_bits(self._database, department, purpose, number)
        cached = self._remote.get((url, purpose))
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        if self._http is None or issuer.local or not issuer.publishes(url):
            return None  # a local issuer's list lives here or nowhere; another's only where it publishes them
        try:
            document = await self._fetch(url)
        except (httpx.HTTPError, ValueError):
            return None
        bits = status_list_of(document, url=url, issuer=issuer, purpose=purpose)
        if bits is not None:
            self._remote[(url, purpose)] = (time.monotonic(), bits)
        return bits

    async def _fetch(self, url: str) -> Any:
        """The JSON at ``url``: 200 only, no redirect, at most :data:`MAX_STATUS_LIST_BYTES`; None otherwise."""
        assert self._http is not None
        async with self._http.stream("GET", url, timeout=5.0, follow_redirects=False) as response:
            if response.status_code != 200:
                return None
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_STATUS_LIST_BYTES:
                    return None
        return json.loads(body)

    def _own_list(self, url: str, issuer: TrustedIssuer, purpose: StatusPurpose) -> tuple[str, int] | None:
        """(department, list number) when ``url`` is one of this service's lists and ``issuer`` owns it."""
        department = self._issuers.department_of(issuer.id)
        number = url.rpartition("/")[2]
        if department is None or not number.isdigit():
            return None
        if url != status_list_id(self._issuers.public_url, department, purpose, int(number)):
            return None
        return department, int(number)
