"""Unified identity (统一身份, R-17) for a one-thing: persons by resident ID, organisations by credit code."""

from __future__ import annotations

from datetime import date

from onething_catalogue.model import ApplicantKind, Bundle

from contracts.identifiers import resident_id_problem, uscc_problem
from exchange.messages import Text
from intake.domain.messages import MESSAGES

__all__ = ["identity_problem"]


def identity_problem(bundle: Bundle, id_number: str, today: date) -> tuple[str, Text] | None:
    """(type, text) when ``id_number`` is not the kind of identifier this one-thing's applicant has, or a resident
    ID number whose date of birth lies after ``today`` (the day in China)."""
    if bundle.applicant_kind is ApplicantKind.ORGANISATION:
        problem = uscc_problem(id_number)
        if problem:
            return "uscc_invalid", MESSAGES.text("applicant_not_organisation", problem=Text(*problem))
        return None
    problem = resident_id_problem(id_number, today=today)
    if problem:
        return "resident_id_invalid", MESSAGES.text("applicant_not_person", problem=Text(*problem))
    return None
