"""The one correction (一次补正) and 容缺 supplements, as the applicant supplies them.

A correction answers the round's consolidated notice: every listed field or material and nothing
already held (R-13, R-14). The case clock is paused from the notice to the correction; the paused
working days move the case's due date. A 容缺 supplement fulfils a recorded commitment (R-15).
"""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.days import china_date
from contracts.intake.v1 import MaterialRef
from contracts.workdays import WorkingCalendar
from intake.domain.correction import CorrectionNotice, check_correction
from intake.domain.errors import ApplicationInvalid, CaseNotFound, FieldProblem, NothingToCorrect
from intake.domain.form import check_form, normalise_form
from intake.domain.materials import Submitted, one_set_of_materials, submit_codes
from intake.domain.messages import MESSAGES
from intake.service_layer.catalogues import CatalogueStore
from intake.service_layer.unit_of_work import IntakeUnitOfWork

__all__ = ["supply_correction", "supply_supplement"]


async def supply_correction(uow: IntakeUnitOfWork, store: CatalogueStore, case_id: str, form: dict[str, str],
                            materials: dict[str, Submitted], calendar: WorkingCalendar) -> None:
    case = await uow.cases.get_for_update(case_id)
    if case is None:
        raise CaseNotFound(case_id)
    if case.correction is None:
        raise NothingToCorrect(case_id)
    notice = CorrectionNotice(case.correction.round, case.correction.deficiencies)
    catalogue = await store.version(case.catalogue_version)
    bundle = catalogue.bundle(case.bundle_code)
    assert bundle is not None, "a recorded catalogue version holds the case's one-thing"
    fields = catalogue.fields_for(bundle, list(case.state.items))
    supplied = normalise_form(fields, form)
    needs = one_set_of_materials(bundle, list(case.state.items))
    problems = check_correction(notice, supplied, materials, submit_codes(needs))
    today = china_date(datetime.now(UTC))
    problems += [p for p in check_form(fields, {**case.form, **supplied}, today) if p.path[5:] in supplied]
    if problems:
        raise ApplicationInvalid(problems)
    refs = tuple(MaterialRef(code=code, name_zh=n.name_zh, provision=materials[n.code].provision,
                             document=materials[n.code].document)
                 for n in needs if n.code in materials for code in n.codes_by_item.values())
    case.correct(supplied, {code: m.document or "" for code, m in materials.items()}, refs, notice.items(),
                 calendar.working_days_between(case.correction.requested_on, today))


async def supply_supplement(uow: IntakeUnitOfWork, case_id: str, materials: dict[str, Submitted]) -> None:
    """容缺补齐: documents for materials accepted missing; each fulfils its open commitment."""
    case = await uow.cases.get_for_update(case_id)
    if case is None:
        raise CaseNotFound(case_id)
    open_codes = {c["material_code"] for c in case.commitments if c["kind"] == "tolerance" and c["status"] == "open"}
    # The same document for a material already supplied is a repeat (a retry whose answer was lost): no effect.
    supplied = {c["material_code"]: c.get("document") for c in case.commitments
                if c["kind"] == "tolerance" and c["status"] == "fulfilled"}
    repeats = {code for code, given in materials.items() if code in supplied and supplied[code] == given.document}
    problems = [FieldProblem.said(f"materials.{code}", "not_outstanding",
                                  MESSAGES.text("not_outstanding", code=code))
                for code in materials if code not in open_codes and code not in repeats]
    problems += [FieldProblem.said(f"materials.{code}", "document_missing",
                                   MESSAGES.text("supplement_document_missing", code=code))
                 for code, given in materials.items() if not (given.document or "").strip()]
    if not materials:
        problems.append(FieldProblem.said("materials", "missing", MESSAGES.text("supplement_missing")))
    if problems:
        raise ApplicationInvalid(problems)
    fresh = {code: given.document or "" for code, given in materials.items() if code not in repeats}
    if fresh:
        case.supplement(fresh, china_date(datetime.now(UTC)))
