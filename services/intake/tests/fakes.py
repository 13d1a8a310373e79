"""Intake's unit of work in memory, for fast tests of its use cases: the same aggregates (cases, pre-fill drafts,
委托授权, the blacklist), the same messages (``adapters.messages`` through ``unit_of_work.publish_recorded``), no
database. A transaction works on copies of what it loads and keeps them, with their timeline entries and what it
emitted, only if the use case returns: one that raises leaves nothing, as a rollback would. A new case whose number or
idempotency key is taken, or a second listing of one applicant, fails at commit as the unique keys would.

Every use case takes the unit of work (:meth:`FakeIntake.unit_of_work` opens one), or, when it opens its own
transactions (an acceptance, a listing), the opener itself. :class:`FakeCatalogueVersions` keeps the catalogue
versions served. The PostgreSQL tests cover the repositories, the views, the timeline rows and the outbox
(``test_intake_api.py``, ``test_intake_delegations.py``, ``test_intake_licence_reuse.py``,
``test_intake_catalogue_versions.py``)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError

from exchange.testing.memory import Copies, Staged, StagingOutbox
from intake.domain.blacklist import Listing
from intake.domain.delegation import Delegation
from intake.domain.draft import Draft
from intake.domain.model import Acceptance, Case, KeyedCase, Noted
from intake.service_layer.unit_of_work import publish_recorded

__all__ = ["FakeCatalogueVersions", "FakeIntake", "Staged"]


@dataclass
class FakeIntake:
    """Intake's state and outbox, committed."""

    cases: dict[str, Case] = field(default_factory=dict)
    acceptances: dict[str, Acceptance] = field(default_factory=dict)  # what each case's row was written from
    timelines: dict[str, list[Noted]] = field(default_factory=dict)  # case id → its timeline, oldest first
    drafts: dict[str, Draft] = field(default_factory=dict)
    delegations: dict[str, Delegation] = field(default_factory=dict)
    blacklist: dict[str, Listing] = field(default_factory=dict)
    outbox: list[Staged] = field(default_factory=list)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[_Transaction]:
        work = _Transaction(self)
        yield work
        work.commit()

    def staged(self, event_type: str | None = None) -> list[Staged]:
        return [s for s in self.outbox if event_type is None or s.envelope["type"] == event_type]

    def timeline(self, case_id: str) -> list[str]:
        """The kinds of the case's timeline entries, oldest first."""
        return [entry.kind for entry in self.timelines.get(case_id, [])]


class _Cases(Copies[Case]):
    def __init__(self, store: FakeIntake) -> None:
        super().__init__(store.cases, lambda case: case.case_id)
        self._acceptances = store.acceptances
        self._timelines = store.timelines

    async def noted(self, case_id: str, kind: str) -> bool:
        return any(entry.kind == kind for entry in self._timelines.get(case_id, []))

    async def by_idempotency_key(self, key: str) -> KeyedCase | None:
        """Among the committed cases, as the unique key sees them (a case this transaction adds is not yet one)."""
        return next((KeyedCase(case_id, a.request_digest) for case_id, a in self._acceptances.items()
                     if a.idempotency_key == key), None)


class _Delegations(Copies[Delegation]):
    def __init__(self, committed: dict[str, Delegation]) -> None:
        super().__init__(committed, lambda delegation: delegation.delegation_id)

    async def between(self, *, principal_id: str, proxy_id: str) -> list[Delegation]:
        return [copy.deepcopy(d) for d in {**self._committed, **self.seen}.values()
                if d.principal_id == principal_id and d.proxy_id == proxy_id]


class _Blacklist:
    def __init__(self, committed: dict[str, Listing]) -> None:
        self._committed = committed
        self.added: list[Listing] = []

    async def get(self, id_number: str) -> Listing | None:
        return next((x for x in self.added if x.id_number == id_number), None) or self._committed.get(id_number)

    def add(self, listing: Listing) -> None:
        self.added.append(listing)


def _unique(what: str) -> IntegrityError:
    return IntegrityError(f"INSERT ({what})", None, Exception(f"duplicate key value violates unique constraint: {what}"))


class _Transaction:
    def __init__(self, store: FakeIntake) -> None:
        self._store = store
        self.cases = _Cases(store)
        self.drafts = Copies(store.drafts, lambda draft: draft.draft_id)
        self.delegations = _Delegations(store.delegations)
        self.blacklist = _Blacklist(store.blacklist)
        self._outbox = StagingOutbox("intake")

    def _check_unique(self) -> None:
        keys = {a.idempotency_key for a in self._store.acceptances.values()}
        for case in self.cases.seen.values():
            if case.acceptance is None:
                continue  # loaded, not new
            if case.case_id in self._store.cases:
                raise _unique(f"intake_case.case_id={case.case_id}")
            if case.acceptance.idempotency_key is not None and case.acceptance.idempotency_key in keys:
                raise _unique("intake_case.idempotency_key")
        for listing in self.blacklist.added:
            if listing.id_number in self._store.blacklist:
                raise _unique(f"intake_blacklist.id_number={listing.id_number}")

    def commit(self) -> None:
        self._check_unique()
        for case in self.cases.seen.values():  # the repository writes the timeline from what the case noted
            self._store.timelines.setdefault(case.case_id, []).extend(
                e for e in case.recorded if isinstance(e, Noted))
        publish_recorded(self.cases.seen.values(), self.drafts.seen.values(), self._outbox.emit)
        for case in self.cases.seen.values():
            if case.acceptance is not None:  # written once with the row; a case loaded later carries none
                self._store.acceptances[case.case_id], case.acceptance = case.acceptance, None
        self.cases.commit()
        self.drafts.commit()
        self.delegations.commit()
        self._store.blacklist.update((x.id_number, x) for x in self.blacklist.added)
        self._store.outbox.extend(self._outbox.staged)


class FakeCatalogueVersions:
    """``adapters.catalogue_versions`` in memory: version → (digest, content)."""

    def __init__(self, recorded: dict[str, dict[str, Any]] | None = None) -> None:
        self.recorded: dict[str, tuple[str, dict[str, Any]]] = {
            version: ("", content) for version, content in (recorded or {}).items()}

    async def record(self, version: str, digest: str, content: dict[str, Any]) -> str:
        return self.recorded.setdefault(version, (digest, content))[0]

    async def content(self, version: str) -> dict[str, Any] | None:
        found = self.recorded.get(version)
        return None if found is None else found[1]
