"""A pre-fill draft (预填草稿, R-11, R-12) as an aggregate. Pure: no I/O.

A draft exists only with the applicant's recorded authorisation; creating it asks the registries (:class:`LookupAsked`,
carrying the authorisation's id). Each registry's answer lands in it once per registry (a late or repeated answer
overwrites the same key), and it authorises one application (本次申请): claimed once by the case that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.sharing.v1 import Registry, SubjectKind, serves
from exchange.aggregates import Aggregate
from intake.domain.errors import ForeignAnswer

__all__ = ["Draft", "DraftEvent", "LookupAsked"]


@dataclass(frozen=True, slots=True)
class LookupAsked:
    """The shared-data lookup the authorisation allows was asked for."""

    request_id: UUID
    purpose_zh: str
    at: datetime


DraftEvent = LookupAsked


@dataclass
class Draft(Aggregate[DraftEvent]):
    draft_id: str
    bundle_code: str
    items: list[str]
    subject_kind: SubjectKind
    subject_id: str
    authorisation: dict[str, Any]  # id, granted_at, statement_zh, channel, granted_by, catalogue_version
    answers: dict[str, Any]  # registry → its answer
    created_at: datetime
    case_id: str | None = None

    @classmethod
    def authorised(cls, draft_id: str, bundle_code: str, items: list[str], subject_kind: SubjectKind,
                   subject_id: str, authorisation: dict[str, Any], request_id: UUID, purpose_zh: str,
                   now: datetime) -> Draft:
        draft = cls(draft_id, bundle_code, items, subject_kind, subject_id, authorisation, {}, now)
        draft.record(LookupAsked(request_id, purpose_zh, now))
        return draft

    def answered(self, registry: Registry, subject_id: str, answer: dict[str, Any]) -> None:
        """A registry's answer about this draft's subject (``ForeignAnswer`` about anyone else, or from a registry
        that does not hold this kind of subject)."""
        if subject_id != self.subject_id or not serves(registry, self.subject_kind):
            raise ForeignAnswer(f"{registry.value} answered about {subject_id} for draft {self.draft_id}")
        self.answers = {**self.answers, registry.value: answer}

    @property
    def ready(self) -> bool:
        """Every registry that holds this kind of subject has answered (found or not)."""
        return {r.value for r in Registry if serves(r, self.subject_kind)} <= set(self.answers)

    def claim(self, case_id: str) -> bool:
        """Used by ``case_id``; False if another application used it first."""
        if self.case_id is not None:
            return False
        self.case_id = case_id
        return True
