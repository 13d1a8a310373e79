"""Intake's repositories (仓储): cases (the case row with its items, form, materials, commitments, open correction and
delivery, and the timeline entries the case notes), pre-fill drafts and their answers, 委托授权, and the blacklist
(失信黑名单) an acceptance consults. The only SQL of intake's write side for them; rows never leave this module.

Rows are read and written with SQLAlchemy Core through ``exchange.db.rows`` (no ORM session): each repository keeps
the aggregates it handed out in this transaction and, at ``publish()``, writes back the columns that changed (an
``UPDATE``), or the whole row of one it was given (an ``INSERT``). Rows read are never changed in place: aggregates
are built from copies, and what is written back is built afresh (the ``_values`` functions)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, select

from contracts.dispatch.v1 import Deficiency
from contracts.sharing.v1 import SubjectKind
from exchange.db.identity import Aggregates
from exchange.db.rows import TableRows
from exchange.db.statements import insert_rows, run
from exchange.db.tables import table_of
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.tables import IntakeBlacklist, IntakeCase, IntakeDelegation, IntakeDraft, IntakeTimeline
from intake.domain.blacklist import Listing
from intake.domain.case import CaseState
from intake.domain.delegation import Delegation
from intake.domain.draft import Draft
from intake.domain.model import Case, KeyedCase, Noted, OpenCorrection

__all__ = ["SqlBlacklist", "SqlCases", "SqlDelegations", "SqlDrafts", "delegation_of", "draft_of"]

_TIMELINE: Table = table_of(IntakeTimeline)


def _case(row: Mapping[str, Any]) -> Case:
    c = row["correction"]
    correction = None if c is None else OpenCorrection(
        c["round"], date.fromisoformat(c["requested_on"]), tuple(Deficiency.model_validate(d) for d in c["deficiencies"]))
    # The case replaces its form, materials and commitments (and each entry it changes, 补正 and 容缺补齐 alike),
    # never changes one in place; copies of the entries keep the rows read out of its reach all the same.
    return Case(
        row["case_id"], row["bundle_code"], row["catalogue_version"], row["channel"], row["delivery_method"],
        row["correction_round"], correction,
        CaseState.from_rows(row["case_id"], row["items"], row["delivered_at"] is not None, c is not None),
        row["delivered_at"], row["notice_zh"], row["notice_en"], form=dict(row["form"]),
        materials=[dict(m) for m in row["materials"]], commitments=[dict(m) for m in row["commitments"]],
        limit_days=row["limit_days"], due_on=row["due_on"], paused_days=row["paused_days"],
        supervised_due_on=row["supervised_due_on"], case_clock_id=row["case_clock_id"])


def _case_values(case: Case) -> dict[str, Any]:
    """What the case's row holds that the case may change; with what the application said for a case just accepted
    (``case.acceptance``: the whole row, written once)."""
    c = case.correction
    values: dict[str, Any] = {
        "case_id": case.case_id, "status": case.state.status.value, "items": case.state.item_rows(),
        "correction": None if c is None else {
            "round": c.round, "requested_on": c.requested_on.isoformat(),
            "deficiencies": [d.model_dump(mode="json") for d in c.deficiencies]},
        "delivered_at": case.delivered_at, "notice_zh": case.notice_zh, "notice_en": case.notice_en,
        "form": dict(case.form), "materials": [dict(m) for m in case.materials],
        "commitments": [dict(m) for m in case.commitments], "correction_round": case.correction_round,
        "paused_days": case.paused_days, "due_on": case.due_on, "supervised_due_on": case.supervised_due_on,
        "case_clock_id": case.case_clock_id,
    }
    if (a := case.acceptance) is not None:
        values.update(
            idempotency_key=a.idempotency_key, request_digest=a.request_digest, bundle_code=case.bundle_code,
            catalogue_version=case.catalogue_version, applicant=a.applicant.model_dump(mode="json"),
            channel=case.channel, delivery_method=case.delivery_method, delivery_address=a.delivery_address,
            accepted_at=a.accepted_at, window_id=a.window_id, staff_id=a.staff_id,
            proxy=a.proxy.model_dump(mode="json") if a.proxy else None, fast_track=a.fast_track.granted,
            fast_track_note_zh=a.fast_track.reason_zh, fast_track_note_en=a.fast_track.reason_en,
            limit_days=case.limit_days, draft_id=a.draft_id)
    return values


class SqlCases:
    """Cases, one transaction's worth, each locked when loaded (facts of one case arrive on one partition, but a
    correction or a delivery view may write it at once)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._rows = TableRows(uow, IntakeCase)
        self._loaded: Aggregates[Case] = Aggregates()

    async def get_for_update(self, case_id: str) -> Case | None:
        return await self._loaded.get_or_load(case_id, lambda: self._rows.get(case_id, for_update=True), _case)

    async def noted(self, case_id: str, kind: str) -> bool:
        connection = await self._uow.connection()
        found = await connection.execute(select(_TIMELINE.c.id).where(
            _TIMELINE.c.case_id == case_id, _TIMELINE.c.kind == kind).limit(1))
        return found.first() is not None

    async def by_idempotency_key(self, key: str) -> KeyedCase | None:
        found = await self._rows.where(idempotency_key=key)
        return None if not found else KeyedCase(found[0]["case_id"], found[0]["request_digest"])

    def add(self, case: Case) -> None:
        """A case just accepted: its row is written from what the application said (``case.acceptance``)."""
        assert case.acceptance is not None, "a new case carries its acceptance"
        self._loaded.add(case.case_id, case)

    @property
    def seen(self) -> list[Case]:
        return self._loaded.all

    async def save(self) -> None:
        """Write every case back (only the columns that changed; the whole row of a case just accepted), and each
        step it noted to its timeline (进度, inserts only)."""
        cause = self._uow.cause
        event_id = str(cause.id) if cause else None
        timeline: list[dict[str, Any]] = []
        for case in self._loaded.all:
            await self._rows.save(_case_values(case))
            timeline += [
                {"case_id": case.case_id, "at": datetime.now(UTC), "kind": event.kind, "item_code": event.item_code,
                 "department": event.department, "text_zh": event.text_zh, "text_en": event.text_en,
                 "event_id": event_id}
                for event in case.recorded if isinstance(event, Noted)]
        if timeline:
            connection = await self._uow.connection()
            await run(connection, insert_rows(_TIMELINE), timeline)


def draft_of(row: Mapping[str, Any]) -> Draft:
    """A draft from its row (copies: the row is not changed through it)."""
    return Draft(row["draft_id"], row["bundle_code"], list(row["items"]), SubjectKind(row["subject_kind"]),
                 row["subject_id"], copy.deepcopy(row["authorisation"]), copy.deepcopy(row["answers"]),
                 row["created_at"], row["case_id"])


def _draft_values(draft: Draft) -> dict[str, Any]:
    return {
        "draft_id": draft.draft_id, "bundle_code": draft.bundle_code, "items": list(draft.items),
        "subject_kind": draft.subject_kind.value, "subject_id": draft.subject_id,
        "authorisation": copy.deepcopy(draft.authorisation), "answers": copy.deepcopy(draft.answers),
        "created_at": draft.created_at, "case_id": draft.case_id,
    }


class SqlDrafts:
    """Pre-fill drafts (预填草稿), one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._rows = TableRows(uow, IntakeDraft)
        self._loaded: Aggregates[Draft] = Aggregates()

    async def get_for_update(self, draft_id: str) -> Draft | None:
        """The draft, locked: two answers, or an answer and the application that claims it, take turns."""
        return await self._loaded.get_or_load(draft_id, lambda: self._rows.get(draft_id, for_update=True), draft_of)

    async def get(self, draft_id: str) -> Draft | None:
        """The draft as it stands, not locked; a copy whose changes are not saved."""
        row = await self._rows.get(draft_id)
        return None if row is None else draft_of(row)

    def add(self, draft: Draft) -> None:
        self._loaded.add(draft.draft_id, draft)

    @property
    def seen(self) -> list[Draft]:
        return self._loaded.all

    async def save(self) -> None:
        await self._rows.save_all(_draft_values(d) for d in self._loaded.all)


def delegation_of(row: Mapping[str, Any]) -> Delegation:
    return Delegation(row["delegation_id"], row["principal_id"], row["proxy_id"], row["bundle_code"],
                      row["granted_at"], row["expires_at"], row["revoked_at"])


def _delegation_values(delegation: Delegation) -> dict[str, Any]:
    return {
        "delegation_id": delegation.delegation_id, "principal_id": delegation.principal_id,
        "proxy_id": delegation.proxy_id, "bundle_code": delegation.bundle_code, "granted_at": delegation.granted_at,
        "expires_at": delegation.expires_at, "revoked_at": delegation.revoked_at,
    }


class SqlDelegations:
    """委托授权, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._rows = TableRows(uow, IntakeDelegation)
        self._loaded: Aggregates[Delegation] = Aggregates()

    async def get_for_update(self, delegation_id: str) -> Delegation | None:
        return await self._loaded.get_or_load(delegation_id, lambda: self._rows.get(delegation_id, for_update=True),
                                              delegation_of)

    async def between(self, *, principal_id: str, proxy_id: str) -> list[Delegation]:
        """Every authorisation ``principal_id`` gave ``proxy_id``, not locked; copies whose changes are not saved."""
        rows = await self._rows.where(principal_id=principal_id, proxy_id=proxy_id)
        return [delegation_of(row) for row in rows]

    def add(self, delegation: Delegation) -> None:
        self._loaded.add(delegation.delegation_id, delegation)

    async def save(self) -> None:
        await self._rows.save_all(_delegation_values(d) for d in self._loaded.all)


def _listing_values(listing: Listing) -> dict[str, Any]:
    return {
        "id_number": listing.id_number, "reason_zh": listing.reason_zh, "reason_en": listing.reason_en,
        "case_id": listing.case_id, "listed_by": listing.listed_by, "listed_at": listing.listed_at,
    }


class SqlBlacklist:
    """失信黑名单 (R-22): who is listed, and why. A listing is written once, never changed (终身)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._rows = TableRows(uow, IntakeBlacklist)
        self._added: list[Listing] = []

    async def get(self, id_number: str) -> Listing | None:
        row = await self._rows.get(id_number)
        return None if row is None else Listing(row["id_number"], row["reason_zh"], row["reason_en"], row["case_id"],
                                                row["listed_by"], row["listed_at"])

    def add(self, listing: Listing) -> None:
        self._added.append(listing)

    async def save(self) -> None:
        """Insert the listings added: one made at the same moment by another transaction fails this one on the
        primary key (``IntegrityError``, which the listing use case answers by reading the first)."""
        await self._rows.save_all(_listing_values(x) for x in self._added)
