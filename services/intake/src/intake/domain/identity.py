"""Unified identity (统一身份, R-17) for a one-thing: persons by resident ID, organisations by credit code."""

from __future__ import annotations

from datetime import date

from onething_catalogue.model import ApplicantKind, Bundle

from contracts.identifiers import resident_id_problem, uscc_problem

__all__ = ["identity_problem"]


def identity_problem(bundle: Bundle, id_number: str, today: date) -> tuple[str, str, str] | None:
    """(type, zh, en) when ``id_number`` is not the kind of identifier this one-thing's applicant has, or a resident
    ID number whose date of birth lies after ``today`` (the day in China)."""
    if bundle.applicant_kind is ApplicantKind.ORGANISATION:
        problem = uscc_problem(id_number)
        if problem:
            return ("uscc_invalid", f"本一件事由企业或组织申请：{problem[0]}",
                    f"this one-thing is applied for by an organisation: {problem[1]}")
        return None
    problem = resident_id_problem(id_number, today=today)
    if problem:
        return ("resident_id_invalid", f"本一件事由个人申请：{problem[0]}",
                f"this one-thing is applied for by a person: {problem[1]}")
    return None
