"""The one correction (一次补正) and 容缺 supplements, as the applicant supplies them.

A correction answers the round's consolidated notice: every listed field or material and nothing
already held (R-13, R-14). The case clock is paused from the notice to the correction; the paused
working days move the case's due date. A 容缺 supplement fulfils a recorded commitment (R-15).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from contracts.days import china_date
from contracts.dispatch.v1 import Deficiency
from contracts.intake.v1 import CaseCorrected, CorrectionFiled, MaterialProvision, MaterialRef
from contracts.workdays import WorkingCalendar
from exchange.db.database import Database
from intake.adapters.tables import IntakeCase
from intake.domain.case import CaseState
from intake.domain.correction import CorrectionNotice, check_correction
from intake.domain.errors import ApplicationInvalid, CaseNotFound, FieldProblem, NothingToCorrect
from intake.domain.form import check_form, normalise_form
from intake.domain.materials import Submitted, one_set_of_materials, submit_codes
from intake.service_layer.applications import timeline
from intake.service_layer.catalogues import CatalogueStore

__all__ = ["open_notice", "supply_correction", "supply_supplement"]


def open_notice(case: IntakeCase) -> CorrectionNotice | None:
    if not case.correction:
        return None
    return CorrectionNotice(case.correction["round"],
                            tuple(Deficiency.model_validate(d) for d in case.correction["deficiencies"]))


async def supply_correction(db: Database, store: CatalogueStore, case_id: str, form: dict[str, str],
                            materials: dict[str, Submitted], calendar: WorkingCalendar) -> IntakeCase:
    async with db.unit_of_work() as uow:
        case = await uow.get_for_update(IntakeCase, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        notice = open_notice(case)
        if notice is None or case.correction is None:
            raise NothingToCorrect(case_id)
        catalogue = await store.version(case.catalogue_version)
        bundle = catalogue.bundle(case.bundle_code)
        assert bundle is not None, "a recorded catalogue version holds the case's one-thing"
        state = CaseState.from_rows(case.case_id, case.items, case.delivered_at is not None)
        fields = catalogue.fields_for(bundle, list(state.items))
        supplied = normalise_form(fields, form)
        needs = one_set_of_materials(bundle, list(state.items))
        problems = check_correction(notice, supplied, materials, submit_codes(needs))
        today = china_date(datetime.now(UTC))
        problems += [p for p in check_form(fields, {**case.form, **supplied}, today) if p.path[5:] in supplied]
        if problems:
            raise ApplicationInvalid(problems)
        paused = calendar.working_days_between(date.fromisoformat(case.correction["requested_on"]), today)
        case.paused_days += paused
        if case.due_on is not None:
            case.due_on = calendar.add_working_days(case.due_on, paused)
        case.form = {**case.form, **supplied}
        refs = [MaterialRef(code=code, name_zh=n.name_zh, provision=materials[n.code].provision,
                            document=materials[n.code].document)
                for n in needs if n.code in materials for code in n.codes_by_item.values()]
        case.materials = _with_documents(case.materials, {code: m.document or "" for code, m in materials.items()})
        case.correction_round = notice.round
        case.correction = None
        case.status = state.status
        uow.session.add(case)
        timeline(uow, case_id, "corrected",
                 f"申请人已一次补正（第 {notice.round} 轮），办理时限暂停 {paused} 个工作日，办结期限顺延至 {case.due_on}",
                 f"Correction round {notice.round} supplied; the clock paused {paused} working day(s); due {case.due_on}")
        uow.emit(CaseCorrected(case_id=case_id, item_codes=notice.items(), round=notice.round, form=supplied,
                               materials=tuple(refs)), subject=case_id)  # the values: dossier topic, dispatch
        uow.emit(CorrectionFiled(case_id=case_id, item_codes=notice.items(), round=notice.round),
                 subject=case_id)  # the fact: the case stream
    return case


def _with_documents(rows: list[dict[str, Any]], documents: dict[str, str]) -> list[dict[str, Any]]:
    """The case's material list with newly supplied documents (by submit code) in place: what departments hold."""
    return [{**row, "provision": MaterialProvision.UPLOAD.value, "document": documents[row["submit_code"]]}
            if row.get("submit_code") in documents else row for row in rows]


async def supply_supplement(db: Database, case_id: str, materials: dict[str, Submitted]) -> IntakeCase:
    """容缺补齐: documents for materials accepted missing; each fulfils its open commitment."""
    async with db.unit_of_work() as uow:
        case = await uow.get_for_update(IntakeCase, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        open_codes = {c["material_code"] for c in case.commitments if c["kind"] == "tolerance" and c["status"] == "open"}
        # The same document for a material already supplied is a repeat (a retry whose answer was lost): no effect.
        supplied = {c["material_code"]: c.get("document") for c in case.commitments
                    if c["kind"] == "tolerance" and c["status"] == "fulfilled"}
        repeats = {code for code, given in materials.items() if code in supplied and supplied[code] == given.document}
        problems = [FieldProblem(f"materials.{code}", "not_outstanding", f"材料 {code} 不是待补齐的容缺材料",
                                 f"material {code} is not an outstanding 容缺 material")
                    for code in materials if code not in open_codes and code not in repeats]
        problems += [FieldProblem(f"materials.{code}", "document_missing", f"材料 {code} 缺少文件",
                                  f"material {code} has no document")
                     for code, given in materials.items() if not (given.document or "").strip()]
        if not materials:
            problems.append(FieldProblem("materials", "missing", "请提交待补齐的材料", "supply the outstanding materials"))
        if problems:
            raise ApplicationInvalid(problems)
        materials = {code: given for code, given in materials.items() if code not in repeats}
        if not materials:
            return case
        today = china_date(datetime.now(UTC)).isoformat()
        case.commitments = [
            {**c, "status": "fulfilled", "fulfilled_on": today, "document": materials[c["material_code"]].document}
            if c["kind"] == "tolerance" and c["material_code"] in materials else c
            for c in case.commitments
        ]
        case.materials = _with_documents(case.materials, {code: m.document or "" for code, m in materials.items()})
        uow.session.add(case)
        timeline(uow, case_id, "supplemented", f"容缺材料已补齐：{'、'.join(sorted(materials))}",
                 f"Outstanding materials supplied: {', '.join(sorted(materials))}")
    return case
