"""One set of materials (R-11), sharing never asked (R-03), 容缺 (R-15) and 告知承诺 (R-16)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from onething_catalogue.loader import default_catalogue_dir
from onething_catalogue.model import Bundle, Material, MaterialSource, Settings

from contracts.intake.v1 import MaterialProvision
from contracts.workdays import add_working_days
from intake.domain.errors import FieldProblem
from intake.domain.materials import MaterialNeed, MaterialsChecked, Submitted, check_materials, one_set_of_materials

P01 = Bundle.model_validate_json(
    (default_catalogue_dir() / "one-things" / "P-01.json").read_text(encoding="utf-8"))
ALL = tuple(i.code for i in P01.items)
ACCEPTED = date(2026, 1, 2)  # a Friday, and a public holiday (元旦)
SETTINGS = Settings(tolerance_supplement_days=3, commitment_verification_days=10)

CONFIRMATION = "P-01-01-M1"  # applicant, neither tolerable nor replaceable
RESIDENCE = "P-01-03-M4"  # applicant, commitment allowed (告知承诺)
PHOTO = "P-01-05-M1"  # applicant, on the 容缺 list


def upload(document: str | None = "sha256:abc") -> Submitted:
    return Submitted(MaterialProvision.UPLOAD, document)


def complete(changes: dict[str, Submitted | None] | None = None) -> dict[str, Submitted]:
    """Every applicant material of P-01 uploaded, with ``changes`` (None = not submitted)."""
    submitted: dict[str, Submitted] = {CONFIRMATION: upload(), RESIDENCE: upload(), PHOTO: upload()}
    for code, value in (changes or {}).items():
        if value is None:
            submitted.pop(code, None)
        else:
            submitted[code] = value
    return submitted


def check(needs: list[MaterialNeed], submitted: dict[str, Submitted]) -> MaterialsChecked:
    return check_materials(needs, submitted, accepted_on=ACCEPTED, settings=SETTINGS,
                           add_working_days=add_working_days)


def problems_at(checked: MaterialsChecked) -> list[tuple[str, str]]:
    return [(p.path, p.type) for p in checked.problems]


def only_problem(checked: MaterialsChecked) -> FieldProblem:
    (problem,) = checked.problems
    return problem


def material(code: str, name_zh: str, **changes: Any) -> Material:
    return Material(code=code, name_zh=name_zh, name_en=name_zh, legal_basis="《某条例》第一条", **changes)


def two_items_one_material(first: dict[str, Any], second: dict[str, Any]) -> Bundle:
    """P-01-01 and P-01-03 both asking the applicant for 「住所证明」, under their own codes."""
    one = P01.item("P-01-01").model_copy(update={"materials": (material("P-01-01-M9", "住所证明", **first),)})
    three = P01.item("P-01-03").model_copy(update={"materials": (material("P-01-03-M9", "住所证明", **second),)})
    return P01.model_copy(update={"items": (one, three), "together": ()})


# --- R-11 one set of materials --------------------------------------------------------------------------------


def test_r11_material_needed_by_two_items_is_listed_once_with_both() -> None:
    needs = one_set_of_materials(P01, ALL)
    names = [n.name_zh for n in needs]
    assert len(names) == len(set(names))
    birth = next(n for n in needs if n.name_zh == "出生医学证明")
    assert birth.code == "P-01-02-M1"
    assert birth.codes_by_item == {"P-01-02": "P-01-02-M1", "P-01-03": "P-01-03-M1"}
    assert birth.items == ("P-01-02", "P-01-03")
    record = next(n for n in needs if n.name_zh == "户籍证明")
    assert record.items == ("P-01-04", "P-01-06")


def test_r11_only_the_selected_items_materials() -> None:
    needs = one_set_of_materials(P01, ("P-01-03",))
    assert [n.code for n in needs] == ["P-01-03-M1", "P-01-03-M2", "P-01-03-M3", "P-01-03-M4"]
    assert all(n.items == ("P-01-03",) for n in needs)


def test_r11_strictest_terms_win_when_merged() -> None:
    bundle = two_items_one_material({"tolerable": True, "commitment_allowed": True}, {"tolerable": True})
    (need,) = one_set_of_materials(bundle, ("P-01-01", "P-01-03"))
    assert need.tolerable
    assert not need.commitment_allowed


def test_r11_refs_per_item_carry_each_items_own_material_code() -> None:
    bundle = two_items_one_material({}, {})
    needs = one_set_of_materials(bundle, ("P-01-01", "P-01-03"))
    checked = check(needs, {"P-01-01-M9": upload("sha256:one")})
    assert checked.problems == ()
    assert [(r.code, r.provision, r.document) for r in checked.refs["P-01-01"]] == [
        ("P-01-01-M9", MaterialProvision.UPLOAD, "sha256:one")]
    assert [(r.code, r.provision, r.document) for r in checked.refs["P-01-03"]] == [
        ("P-01-03-M9", MaterialProvision.UPLOAD, "sha256:one")]


def test_r11_the_second_items_own_code_is_not_a_submit_code() -> None:
    bundle = two_items_one_material({}, {})
    needs = one_set_of_materials(bundle, ("P-01-01", "P-01-03"))
    checked = check(needs, {"P-01-03-M9": upload()})
    assert problems_at(checked) == [("materials.P-01-03-M9", "unknown_material"),
                                    ("materials.P-01-01-M9", "material_missing")]


# --- R-03 sharing is never asked ---------------------------------------------------------------------------------


def test_r03_complete_submission_needs_no_shared_material() -> None:
    checked = check(one_set_of_materials(P01, ALL), complete())
    assert checked.problems == ()
    assert checked.commitments == ()
    shared = [r for refs in checked.refs.values() for r in refs if r.provision is MaterialProvision.SHARING]
    assert {r.code for r in shared} == {
        m.code for i in P01.items for m in i.materials if m.provided_by is MaterialSource.SHARING}
    assert all(r.shared_from and r.document is None for r in shared)


@pytest.mark.parametrize("code", ["P-01-01-M2", "P-01-02-M1", "P-01-04-M1"])
def test_r03_submitting_a_shared_material_is_refused(code: str) -> None:
    checked = check(one_set_of_materials(P01, ALL), {**complete(), code: upload()})
    problem = only_problem(checked)
    assert (problem.path, problem.type) == (f"materials.{code}", "not_required")
    assert "共享" in problem.message_zh


def test_every_item_gets_refs_for_all_its_materials() -> None:
    checked = check(one_set_of_materials(P01, ALL), complete())
    for item in P01.items:
        assert [r.code for r in checked.refs[item.code]] == [m.code for m in item.materials]


# --- applicant materials ---------------------------------------------------------------------------------------


def test_missing_applicant_material_without_hints() -> None:
    problem = only_problem(check(one_set_of_materials(P01, ALL), complete({CONFIRMATION: None})))
    assert (problem.path, problem.type) == (f"materials.{CONFIRMATION}", "material_missing")
    assert "容缺" not in problem.message_zh
    assert "承诺" not in problem.message_zh


def test_missing_tolerable_material_hints_at_tolerance() -> None:
    problem = only_problem(check(one_set_of_materials(P01, ALL), complete({PHOTO: None})))
    assert (problem.path, problem.type) == (f"materials.{PHOTO}", "material_missing")
    assert "容缺" in problem.message_zh
    assert "supplied later" in problem.message_en


def test_missing_replaceable_material_hints_at_commitment() -> None:
    problem = only_problem(check(one_set_of_materials(P01, ALL), complete({RESIDENCE: None})))
    assert (problem.path, problem.type) == (f"materials.{RESIDENCE}", "material_missing")
    assert "承诺" in problem.message_zh
    assert "commitment" in problem.message_en


@pytest.mark.parametrize("document", [None, "", "   "])
def test_upload_without_document(document: str | None) -> None:
    problem = only_problem(check(one_set_of_materials(P01, ALL), complete({PHOTO: upload(document)})))
    assert (problem.path, problem.type) == (f"materials.{PHOTO}", "document_missing")


@pytest.mark.parametrize("provision", [MaterialProvision.SHARING, MaterialProvision.LICENCE])
def test_applicant_material_cannot_be_claimed_as_shared(provision: MaterialProvision) -> None:
    problem = only_problem(check(one_set_of_materials(P01, ALL), complete({CONFIRMATION: Submitted(provision)})))
    assert (problem.path, problem.type) == (f"materials.{CONFIRMATION}", "provision_invalid")


def test_unknown_material_code() -> None:
    checked = check(one_set_of_materials(P01, ALL), {**complete(), "P-09-01-M1": upload()})
    problem = only_problem(checked)
    assert (problem.path, problem.type) == ("materials.P-09-01-M1", "unknown_material")


def test_material_of_an_unselected_item_is_unknown() -> None:
    needs = one_set_of_materials(P01, ("P-01-01",))
    problem = only_problem(check(needs, {CONFIRMATION: upload(), PHOTO: upload()}))
    assert (problem.path, problem.type) == (f"materials.{PHOTO}", "unknown_material")


# --- R-15 容缺受理 ---------------------------------------------------------------------------------------------------


def test_r15_deferred_tolerable_material_records_a_tolerance_commitment() -> None:
    checked = check(one_set_of_materials(P01, ALL), complete({PHOTO: Submitted(MaterialProvision.DEFERRED)}))
    assert checked.problems == ()
    (commitment,) = checked.commitments
    due = add_working_days(ACCEPTED, SETTINGS.tolerance_supplement_days)
    assert due == date(2026, 1, 6)  # Sunday 4 January is worked (调休), then 5 and 6 January
    assert (commitment.material_code, commitment.kind, commitment.due_on) == (PHOTO, "tolerance", due)
    assert due.isoformat() in commitment.text_zh
    (ref,) = [r for r in checked.refs["P-01-05"] if r.code == PHOTO]
    assert ref.provision is MaterialProvision.DEFERRED


@pytest.mark.parametrize("code", [CONFIRMATION, RESIDENCE])
def test_r15_deferral_refused_off_the_tolerance_list(code: str) -> None:
    checked = check(one_set_of_materials(P01, ALL), complete({code: Submitted(MaterialProvision.DEFERRED)}))
    problem = only_problem(checked)
    assert (problem.path, problem.type) == (f"materials.{code}", "not_tolerable")
    assert checked.commitments == ()


# --- R-16 告知承诺 --------------------------------------------------------------------------------------------------


def test_r16_commitment_replaces_an_allowed_proof() -> None:
    checked = check(one_set_of_materials(P01, ALL), complete({RESIDENCE: Submitted(MaterialProvision.COMMITMENT)}))
    assert checked.problems == ()
    (commitment,) = checked.commitments
    due = add_working_days(ACCEPTED, SETTINGS.commitment_verification_days)
    assert (commitment.material_code, commitment.kind, commitment.due_on) == (RESIDENCE, "notification", due)
    assert due.isoformat() in commitment.text_zh


@pytest.mark.parametrize("code", [CONFIRMATION, PHOTO])
def test_r16_commitment_refused_where_not_allowed(code: str) -> None:
    checked = check(one_set_of_materials(P01, ALL), complete({code: Submitted(MaterialProvision.COMMITMENT)}))
    problem = only_problem(checked)
    assert (problem.path, problem.type) == (f"materials.{code}", "commitment_not_allowed")
    assert checked.commitments == ()


def test_r15_r16_both_commitments_recorded_together() -> None:
    submitted = complete({PHOTO: Submitted(MaterialProvision.DEFERRED),
                            RESIDENCE: Submitted(MaterialProvision.COMMITMENT)})
    checked = check(one_set_of_materials(P01, ALL), submitted)
    assert sorted((c.material_code, c.kind) for c in checked.commitments) == [
        (RESIDENCE, "notification"), (PHOTO, "tolerance")]
