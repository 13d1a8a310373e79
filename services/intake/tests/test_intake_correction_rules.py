"""R-14 one consolidated correction, answered once; R-13 nothing already held is asked again."""

from __future__ import annotations

from contracts.dispatch.v1 import Deficiency
from contracts.intake.v1 import MaterialProvision
from intake.domain.correction import CorrectionNotice, check_correction
from intake.domain.errors import FieldProblem
from intake.domain.materials import Submitted


def deficiency(item_code: str, kind: str, code: str, department: str = "police") -> Deficiency:
    return Deficiency(item_code=item_code, department=department, kind=kind, code=code,
                      reason_zh="不符合要求", reason_en="not compliant")


NOTICE = CorrectionNotice(round=1, deficiencies=(
    deficiency("P-01-03", "field", "mother_name"),
    deficiency("P-01-03", "material", "P-01-03-M4"),
    deficiency("P-01-01", "field", "birth_hospital", "health"),
    deficiency("P-01-01", "material", "P-01-01-M1", "health"),
))
CODES: dict[str, str] = {}  # every listed material is submitted under its own code


def upload(document: str | None = "sha256:new") -> Submitted:
    return Submitted(MaterialProvision.UPLOAD, document)


def full_form() -> dict[str, str]:
    return {"mother_name": "王芳", "birth_hospital": "市妇幼保健院"}


def full_materials() -> dict[str, Submitted]:
    return {"P-01-03-M4": upload(), "P-01-01-M1": upload()}


def kinds(problems: list[FieldProblem]) -> list[tuple[str, str]]:
    return [(p.path, p.type) for p in problems]


def test_r14_notice_lists_fields_materials_and_items_once() -> None:
    assert NOTICE.fields() == {"mother_name", "birth_hospital"}
    assert NOTICE.materials() == {"P-01-03-M4", "P-01-01-M1"}
    assert NOTICE.items() == ("P-01-03", "P-01-01")


def test_r14_a_complete_correction_has_no_problem() -> None:
    assert check_correction(NOTICE, full_form(), full_materials(), CODES) == []


def test_r14_every_listed_field_must_be_supplied() -> None:
    form = full_form()
    del form["mother_name"]
    form["birth_hospital"] = "   "
    assert kinds(check_correction(NOTICE, form, full_materials(), CODES)) == [
        ("form.birth_hospital", "missing"), ("form.mother_name", "missing")]


def test_r14_every_listed_material_must_be_supplied_with_a_document() -> None:
    materials = {"P-01-01-M1": upload(None)}
    assert kinds(check_correction(NOTICE, full_form(), materials, CODES)) == [
        ("materials.P-01-01-M1", "missing"), ("materials.P-01-03-M4", "missing")]


def test_r14_a_deferral_does_not_answer_a_correction() -> None:
    materials = {**full_materials(), "P-01-01-M1": Submitted(MaterialProvision.DEFERRED)}
    assert kinds(check_correction(NOTICE, full_form(), materials, CODES)) == [("materials.P-01-01-M1", "missing")]


def test_r13_a_field_not_listed_is_refused() -> None:
    form = {**full_form(), "newborn_name": "李小明"}
    problems = check_correction(NOTICE, form, full_materials(), CODES)
    assert kinds(problems) == [("form.newborn_name", "not_requested")]
    assert "无需重复提交" in problems[0].message_zh


def test_r13_a_material_not_listed_is_refused() -> None:
    materials = {**full_materials(), "P-01-05-M1": upload()}
    assert kinds(check_correction(NOTICE, full_form(), materials, CODES)) == [
        ("materials.P-01-05-M1", "not_requested")]


def test_r13_a_notice_with_only_materials_refuses_any_field() -> None:
    notice = CorrectionNotice(round=2, deficiencies=(deficiency("P-01-03", "material", "P-01-03-M4"),))
    problems = check_correction(notice, {"mother_name": "王芳"}, {"P-01-03-M4": upload()}, CODES)
    assert kinds(problems) == [("form.mother_name", "not_requested")]


def test_r14_material_codes_map_an_items_code_to_the_submit_code() -> None:
    # P-01-03 found its copy of the shared-name material wrong; the applicant submits it under P-01-02-M1.
    notice = CorrectionNotice(round=1, deficiencies=(deficiency("P-01-03", "material", "P-01-03-M1"),))
    codes = {"P-01-03-M1": "P-01-02-M1"}
    assert check_correction(notice, {}, {"P-01-02-M1": upload()}, codes) == []
    assert kinds(check_correction(notice, {}, {"P-01-03-M1": upload()}, codes)) == [
        ("materials.P-01-02-M1", "missing"), ("materials.P-01-03-M1", "not_requested")]


def test_r14_two_items_asking_for_one_material_need_it_once() -> None:
    notice = CorrectionNotice(round=1, deficiencies=(
        deficiency("P-01-02", "material", "P-01-02-M1", "health"),
        deficiency("P-01-03", "material", "P-01-03-M1"),
    ))
    codes = {"P-01-02-M1": "P-01-02-M1", "P-01-03-M1": "P-01-02-M1"}
    assert check_correction(notice, {}, {"P-01-02-M1": upload()}, codes) == []
