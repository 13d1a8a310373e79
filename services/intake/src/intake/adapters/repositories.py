"""Intake's repositories (仓储): cases (the case row with its items, form, materials, commitments, open correction and
delivery, and the timeline entries the case notes), pre-fill drafts and their answers, 委托授权, and the blacklist
(失信黑名单) an acceptance consults. The only SQL of intake's write side for them; rows never leave this module."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import col, select

from contracts.dispatch.v1 import Deficiency
from contracts.sharing.v1 import SubjectKind
from exchange.db.identity import Loaded
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.tables import IntakeBlacklist, IntakeCase, IntakeDelegation, IntakeDraft, IntakeTimeline
from intake.domain.blacklist import Listing
from intake.domain.case import CaseState, CaseStatus
from intake.domain.delegation import Delegation
from intake.domain.draft import Draft
from intake.domain.model import Case, KeyedCase, Noted, OpenCorrection

__all__ = ["SqlBlacklist", "SqlCases", "SqlDelegations", "SqlDrafts", "delegation_of", "draft_of"]


def _case(row: IntakeCase) -> Case:
    correction = None if row.correction is None else OpenCorrection(
        row.correction["round"], date.fromisoformat(row.correction["requested_on"]),
        tuple(Deficiency.model_validate(d) for d in row.correction["deficiencies"]))
    return Case(
        row.case_id, row.bundle_code, row.catalogue_version, row.channel, row.delivery_method, row.correction_round,
        correction,
        CaseState.from_rows(row.case_id, row.items, row.delivered_at is not None, row.correction is not None),
        row.delivered_at, row.notice_zh, row.notice_en, form=dict(row.form), materials=list(row.materials),
        commitments=list(row.commitments), limit_days=row.limit_days, due_on=row.due_on, paused_days=row.paused_days,
        supervised_due_on=row.supervised_due_on, case_clock_id=row.case_clock_id)


class SqlCases:
    """Cases, one transaction's worth, each locked when loaded (facts of one case arrive on one partition, but a
    correction or a delivery view may write it at once)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[Case, IntakeCase] = Loaded()

    async def get_for_update(self, case_id: str) -> Case | None:
        return await self._loaded.get_or_load(case_id, lambda: self._uow.get_for_update(IntakeCase, case_id), _case)

    async def by_idempotency_key(self, key: str) -> KeyedCase | None:
        query = select(IntakeCase.case_id, IntakeCase.request_digest).where(col(IntakeCase.idempotency_key) == key)
        found = (await self._uow.session.exec(query)).first()
        return None if found is None else KeyedCase(found[0], found[1])

    def add(self, case: Case) -> None:
        """A case just accepted: its row is written from what the application said (``case.acceptance``)."""
        a = case.acceptance
        assert a is not None, "a new case carries its acceptance"
        self._loaded.keep(case.case_id, case, IntakeCase(
            case_id=case.case_id, idempotency_key=a.idempotency_key, request_digest=a.request_digest,
            bundle_code=case.bundle_code, catalogue_version=case.catalogue_version, status=CaseStatus.ACCEPTED,
            applicant=a.applicant.model_dump(mode="json"), channel=case.channel,
            delivery_method=case.delivery_method, delivery_address=a.delivery_address, form=case.form, items=[],
            accepted_at=a.accepted_at, window_id=a.window_id, staff_id=a.staff_id,
            proxy=a.proxy.model_dump(mode="json") if a.proxy else None, fast_track=a.fast_track.granted,
            fast_track_note_zh=a.fast_track.reason_zh, fast_track_note_en=a.fast_track.reason_en,
            materials=case.materials, commitments=case.commitments, limit_days=case.limit_days, due_on=case.due_on,
            draft_id=a.draft_id))

    @property
    def seen(self) -> list[Case]:
        return self._loaded.aggregates

    def save(self) -> None:
        """Write every case back, and each step it noted to its timeline."""
        session, cause = self._uow.session, self._uow.cause
        for case, row in self._loaded:
            row.items, row.status = case.state.item_rows(), case.state.status
            c = case.correction
            row.correction = None if c is None else {
                "round": c.round, "requested_on": c.requested_on.isoformat(),
                "deficiencies": [d.model_dump(mode="json") for d in c.deficiencies]}
            row.delivered_at, row.notice_zh, row.notice_en = case.delivered_at, case.notice_zh, case.notice_en
            row.form, row.materials, row.commitments = case.form, case.materials, case.commitments
            row.correction_round, row.paused_days, row.due_on = case.correction_round, case.paused_days, case.due_on
            row.supervised_due_on, row.case_clock_id = case.supervised_due_on, case.case_clock_id
            session.add(row)
            for event in case.recorded:
                if isinstance(event, Noted):
                    session.add(IntakeTimeline(
                        case_id=case.case_id, at=datetime.now(UTC), kind=event.kind, item_code=event.item_code,
                        department=event.department, text_zh=event.text_zh, text_en=event.text_en,
                        event_id=str(cause.id) if cause else None))


def draft_of(row: IntakeDraft) -> Draft:
    return Draft(row.draft_id, row.bundle_code, list(row.items), SubjectKind(row.subject_kind), row.subject_id,
                 dict(row.authorisation), dict(row.answers), row.created_at, row.case_id)


class SqlDrafts:
    """Pre-fill drafts (预填草稿), one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[Draft, IntakeDraft] = Loaded()

    async def get_for_update(self, draft_id: str) -> Draft | None:
        """The draft, locked: two answers, or an answer and the application that claims it, take turns."""
        return await self._loaded.get_or_load(draft_id, lambda: self._uow.get_for_update(IntakeDraft, draft_id),
                                              draft_of)

    async def get(self, draft_id: str) -> Draft | None:
        """The draft as it stands, not locked; a copy whose changes are not saved."""
        row = (await self._uow.session.exec(select(IntakeDraft).where(col(IntakeDraft.draft_id) == draft_id))).first()
        return None if row is None else draft_of(row)

    def add(self, draft: Draft) -> None:
        self._loaded.keep(draft.draft_id, draft, IntakeDraft(
            draft_id=draft.draft_id, bundle_code=draft.bundle_code, items=draft.items,
            subject_kind=draft.subject_kind.value, subject_id=draft.subject_id, authorisation=draft.authorisation,
            answers=draft.answers, created_at=draft.created_at))

    @property
    def seen(self) -> list[Draft]:
        return self._loaded.aggregates

    def save(self) -> None:
        for draft, row in self._loaded:
            row.answers, row.case_id = draft.answers, draft.case_id
            self._uow.session.add(row)


def delegation_of(row: IntakeDelegation) -> Delegation:
    return Delegation(row.delegation_id, row.principal_id, row.proxy_id, row.bundle_code, row.granted_at,
                      row.expires_at, row.revoked_at)


class SqlDelegations:
    """委托授权, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[Delegation, IntakeDelegation] = Loaded()

    async def get_for_update(self, delegation_id: str) -> Delegation | None:
        return await self._loaded.get_or_load(
            delegation_id, lambda: self._uow.get_for_update(IntakeDelegation, delegation_id), delegation_of)

    async def between(self, *, principal_id: str, proxy_id: str) -> list[Delegation]:
        """Every authorisation ``principal_id`` gave ``proxy_id``, not locked; copies whose changes are not saved."""
        rows = (await self._uow.session.exec(select(IntakeDelegation).where(
            col(IntakeDelegation.principal_id) == principal_id, col(IntakeDelegation.proxy_id) == proxy_id))).all()
        return [delegation_of(row) for row in rows]

    def add(self, delegation: Delegation) -> None:
        self._loaded.keep(delegation.delegation_id, delegation, IntakeDelegation(
            delegation_id=delegation.delegation_id, principal_id=delegation.principal_id,
            proxy_id=delegation.proxy_id, bundle_code=delegation.bundle_code, granted_at=delegation.granted_at,
            expires_at=delegation.expires_at))

    def save(self) -> None:
        for delegation, row in self._loaded:
            row.revoked_at = delegation.revoked_at
            self._uow.session.add(row)


class SqlBlacklist:
    """失信黑名单 (R-22): who is listed, and why."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def get(self, id_number: str) -> Listing | None:
        row = await self._uow.session.get(IntakeBlacklist, id_number)
        return None if row is None else Listing(row.id_number, row.reason_zh, row.reason_en, row.case_id,
                                                row.listed_by, row.listed_at)

    def add(self, listing: Listing) -> None:
        self._uow.session.add(IntakeBlacklist(
            id_number=listing.id_number, reason_zh=listing.reason_zh, reason_en=listing.reason_en,
            case_id=listing.case_id, listed_by=listing.listed_by, listed_at=listing.listed_at))
