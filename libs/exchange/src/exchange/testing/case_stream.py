"""Intake's dossier events as the case stream carries them, for tests of the services that read the stream.

Tests build the whole :class:`CaseAccepted` (it is what the catalogue and the applicant decide); supervision,
rating and analysts see only :class:`CaseRegistered` and :class:`CorrectionFiled`, as intake publishes them.
"""

from __future__ import annotations

import hashlib

from contracts.envelope import EventPayload
from contracts.intake.v1 import CaseAccepted, CaseCorrected, CaseRegistered, CorrectionFiled

__all__ = ["on_the_case_stream", "pseudonym_for_tests"]


def pseudonym_for_tests(id_number: str) -> str:
    """A stand-in for intake's keyed pseudonym: one per applicant, and not the ID number."""
    return hashlib.sha256(f"test-pseudonym\n{id_number}".encode()).hexdigest()


def on_the_case_stream(payload: EventPayload, *, rater_key: bytes | None = None) -> EventPayload:
    """``payload`` as the case stream carries it; with ``rater_key`` the rater digests are keyed, as intake keys them."""
    if isinstance(payload, CaseAccepted):
        return CaseRegistered.of(payload, applicant_ref=pseudonym_for_tests(payload.applicant.id_number),
                                 rater_key=rater_key)
    if isinstance(payload, CaseCorrected):
        return CorrectionFiled(case_id=payload.case_id, item_codes=payload.item_codes, round=payload.round)
    return payload
