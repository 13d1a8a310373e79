"""Authorised pre-fill (授权预填, R-11, R-12): drafts, the lookups they send and the answers they get.

Nothing is looked up before the applicant's authorisation is recorded; the lookup carries the
authorisation's id. The base registries and the e-licence archive answer on the bus; the draft shows
each pre-filled value with its source, and the applicant confirms the form when submitting.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.days import china_date
from contracts.envelope import Envelope
from contracts.intake.v1 import Channel
from contracts.sharing.v1 import LookupAnswered, LookupRequested, Registry, SubjectKind, registry_principal, serves
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.tables import IntakeDraft
from intake.catalogue.model import ApplicantKind, Bundle, Catalogue, PrefillSource
from intake.domain.errors import ApplicationInvalid, FieldProblem, ForeignAnswer
from intake.domain.identity import identity_problem

__all__ = [
    "Authorisation",
    "DraftNotFound",
    "apply_answer",
    "create_draft",
    "draft_ready",
    "load_draft",
    "prefilled_values",
]


class DraftNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Authorisation:
    granted: bool
    statement_zh: str
    channel: Channel
    granted_by: str  # the subject of the applicant's token (统一身份认证): who authorised, proven, not claimed


async def create_draft(db: Database, catalogue: Catalogue, bundle: Bundle, items: tuple[str, ...], subject_id: str,
                       authorisation: Authorisation) -> IntakeDraft:
    now = datetime.now(UTC)
    problem = identity_problem(bundle, subject_id, china_date(now))
    if problem:
        raise ApplicationInvalid([FieldProblem("id_number", *problem)])
    if not authorisation.granted:
        raise ApplicationInvalid([FieldProblem(
            "authorisation.granted", "not_authorised", "未经申请人授权，不调取共享数据预填表单",
            "without the applicant's authorisation no shared data is looked up")])
    kind = SubjectKind.ORGANISATION if bundle.applicant_kind is ApplicantKind.ORGANISATION else SubjectKind.PERSON
    draft = IntakeDraft(
        draft_id=f"DR{uuid.uuid4().hex[:16].upper()}", bundle_code=bundle.code, items=list(items),
        subject_kind=kind.value, subject_id=subject_id,
        authorisation={"id": str(uuid.uuid4()), "granted_at": now.isoformat(), "statement_zh": authorisation.statement_zh,
                       "channel": authorisation.channel.value, "granted_by": authorisation.granted_by, "catalogue_version": catalogue.version},
        answers={}, created_at=now,
    )
    async with db.unit_of_work() as uow:
        uow.session.add(draft)
        uow.emit(
            LookupRequested(request_id=uuid.uuid4(), draft_id=draft.draft_id, subject_kind=kind, subject_id=subject_id,
                            authorisation_id=draft.authorisation["id"],
                            purpose_zh=f"预填「{bundle.name_zh}」申请表", requested_at=now),
            subject=draft.draft_id, key=subject_id,
        )
    return draft


async def apply_answer(uow: UnitOfWork, envelope: Envelope, payload: LookupAnswered) -> None:
    """A registry's answer lands in its draft (a late or repeated answer simply overwrites the same key)."""
    if envelope.source != registry_principal(payload.registry):
        raise ForeignAnswer(f"{envelope.source} answered as the {payload.registry.value} registry")
    draft = await uow.get_for_update(IntakeDraft, payload.draft_id)
    if draft is None:
        return  # a draft of another intake instance's database; nothing of ours to fill
    if payload.subject_id != draft.subject_id or not serves(payload.registry, SubjectKind(draft.subject_kind)):
        raise ForeignAnswer(f"{payload.registry.value} answered about {payload.subject_id} for draft {draft.draft_id}")
    draft.answers = {**draft.answers, payload.registry.value: {
        "found": payload.found, "record": payload.record, "licences": payload.licences,
        "credentials": payload.credentials,
        "source": envelope.source, "answered_at": payload.answered_at.isoformat()}}
    uow.session.add(draft)


def draft_ready(draft: IntakeDraft) -> bool:
    """Every registry that holds this kind of subject has answered (found or not)."""
    kind = SubjectKind(draft.subject_kind)
    return {r.value for r in Registry if serves(r, kind)} <= set(draft.answers)


async def load_draft(db: Database, draft_id: str) -> IntakeDraft:
    async with db.sessions() as session:
        draft = await session.get(IntakeDraft, draft_id)
    if draft is None:
        raise DraftNotFound(draft_id)
    return draft


def prefilled_values(catalogue: Catalogue, bundle: Bundle, codes: tuple[str, ...] | list[str],
                     draft: IntakeDraft) -> dict[str, dict[str, Any]]:
    """Field → {value, source} for every field of the one form that shared data could fill."""
    out: dict[str, dict[str, Any]] = {}
    for spec in catalogue.fields_for(bundle, codes):
        if spec.prefill is None:
            continue
        answer = draft.answers.get(spec.prefill.source.value)
        if not answer or not answer.get("found"):
            continue
        bag = answer["licences"] if spec.prefill.source is PrefillSource.LICENCE else answer["record"]
        value = bag.get(spec.prefill.attribute)
        if value:
            out[spec.name] = {"value": value, "source": spec.prefill.source.value}
    return out
