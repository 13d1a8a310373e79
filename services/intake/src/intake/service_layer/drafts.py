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

from onething_catalogue.model import ApplicantKind, Bundle, Catalogue, PrefillSource

from contracts.days import china_date
from contracts.envelope import Envelope
from contracts.intake.v1 import Channel
from contracts.sharing.v1 import LookupAnswered, SubjectKind, registry_principal
from intake.domain.draft import Draft
from intake.domain.errors import ApplicationInvalid, FieldProblem, ForeignAnswer
from intake.domain.identity import identity_problem
from intake.domain.messages import MESSAGES
from intake.service_layer.unit_of_work import IntakeUnitOfWork

__all__ = ["Authorisation", "apply_answer", "create_draft", "prefilled_values"]


@dataclass(frozen=True)
class Authorisation:
    granted: bool
    statement_zh: str
    channel: Channel
    granted_by: str  # the subject of the applicant's token (统一身份认证): who authorised, proven, not claimed


async def create_draft(uow: IntakeUnitOfWork, catalogue: Catalogue, bundle: Bundle, items: tuple[str, ...],
                       subject_id: str, authorisation: Authorisation) -> Draft:
    now = datetime.now(UTC)
    problem = identity_problem(bundle, subject_id, china_date(now))
    if problem:
        raise ApplicationInvalid([FieldProblem.said("id_number", *problem)])
    if not authorisation.granted:
        raise ApplicationInvalid([FieldProblem.said("authorisation.granted", "not_authorised",
                                                    MESSAGES.text("not_authorised"))])
    kind = SubjectKind.ORGANISATION if bundle.applicant_kind is ApplicantKind.ORGANISATION else SubjectKind.PERSON
    draft = Draft.authorised(
        f"DR{uuid.uuid4().hex[:16].upper()}", bundle.code, list(items), kind, subject_id,
        {"id": str(uuid.uuid4()), "granted_at": now.isoformat(), "statement_zh": authorisation.statement_zh,
         "channel": authorisation.channel.value, "granted_by": authorisation.granted_by,
         "catalogue_version": catalogue.version},
        uuid.uuid4(), MESSAGES.text("lookup_purpose", bundle=bundle.name_zh).zh, now)
    uow.drafts.add(draft)
    return draft


async def apply_answer(uow: IntakeUnitOfWork, envelope: Envelope, payload: LookupAnswered) -> None:
    """A registry's answer lands in its draft (a late or repeated answer simply overwrites the same key)."""
    if envelope.source != registry_principal(payload.registry):
        raise ForeignAnswer(f"{envelope.source} answered as the {payload.registry.value} registry")
    draft = await uow.drafts.get_for_update(payload.draft_id)
    if draft is None:
        return  # a draft of another intake instance's database; nothing of ours to fill
    draft.answered(payload.registry, payload.subject_id, {
        "found": payload.found, "record": payload.record, "licences": payload.licences,
        "credentials": payload.credentials, "source": envelope.source, "answered_at": payload.answered_at.isoformat()})


def prefilled_values(catalogue: Catalogue, bundle: Bundle, codes: tuple[str, ...] | list[str],
                     draft: Draft) -> dict[str, dict[str, Any]]:
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
