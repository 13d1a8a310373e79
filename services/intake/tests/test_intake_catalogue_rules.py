"""Catalogue rules (R-01, R-02, R-03, R-07, R-10): one test per breach, each naming file, one-thing, item and rule.

Fixtures are P-01 (the stable shipped example) with one change each, and a small manifest written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from onething_catalogue.catch_all import is_catch_all_condition, is_catch_all_material, normalise_wording
from onething_catalogue.loader import default_catalogue_dir, load_catalogue
from onething_catalogue.model import (
    Bundle,
    Catalogue,
    CatalogueError,
    FormField,
    Manifest,
    MaterialSource,
    SharedMaterial,
)

FILE = "one-things/P-01.json"
MANIFEST_FILE = "manifest.json"

# The shared fields and the sharing catalogue P-01 needs, and nothing else.
MANIFEST = Manifest.model_validate_json((Path(__file__).parent / "data" / "manifest-p01.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def p01() -> Bundle:
    path = default_catalogue_dir() / "one-things" / "P-01.json"
    return Bundle.model_validate_json(path.read_text(encoding="utf-8"))


def catalogue_of(*bundles: Bundle, manifest: Manifest = MANIFEST) -> Catalogue:
    return Catalogue.assemble(manifest, [(f"one-things/{b.code}.json", b) for b in bundles])


def breach(*bundles: Bundle, manifest: Manifest = MANIFEST) -> str:
    with pytest.raises(CatalogueError) as caught:
        catalogue_of(*bundles, manifest=manifest).check(MANIFEST_FILE)
    return str(caught.value)


def with_item(bundle: Bundle, code: str, **changes: Any) -> Bundle:
    items = tuple(i.model_copy(update=changes) if i.code == code else i for i in bundle.items)
    return bundle.model_copy(update={"items": items})


def with_material(bundle: Bundle, item_code: str, material_code: str, **changes: Any) -> Bundle:
    item = bundle.item(item_code)
    materials = tuple(m.model_copy(update=changes) if m.code == material_code else m for m in item.materials)
    return with_item(bundle, item_code, materials=materials)


def assert_names(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def test_p01_with_the_test_manifest_passes(p01: Bundle) -> None:
    catalogue_of(p01).check(MANIFEST_FILE)


# --- R-01 completeness ----------------------------------------------------------------------------------


def test_r01_one_thing_without_items(p01: Bundle) -> None:
    message = breach(p01.model_copy(update={"items": (), "together": ()}))
    assert_names(message, FILE, "P-01", "(R-01)", "needs items")


def test_r01_one_thing_without_co_units(p01: Bundle) -> None:
    message = breach(p01.model_copy(update={"co": ()}))
    assert_names(message, FILE, "P-01", "(R-01)", "co-operating units")


def test_r01_item_department_neither_lead_nor_co(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-06", department="market"))
    assert_names(message, FILE, "P-01", "P-01-06", "(R-01)", "market")


def test_unknown_item_department(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-06", department="no-such-bureau"))
    assert_names(message, FILE, "P-01", "P-01-06", "unknown department", "no-such-bureau")


def test_unknown_lead_department(p01: Bundle) -> None:
    message = breach(p01.model_copy(update={"lead": "no-such-bureau"}))
    assert_names(message, FILE, "P-01", "unknown department", "no-such-bureau")


@pytest.mark.parametrize("attribute", ["legal_basis", "result_zh", "fee_zh"])
@pytest.mark.parametrize("value", ["", "   "])
def test_r01_item_missing_attribute(p01: Bundle, attribute: str, value: str) -> None:
    message = breach(with_item(p01, "P-01-02", **{attribute: value}))
    assert_names(message, FILE, "P-01", "P-01-02", "(R-01)", f"{attribute} is missing")


def test_r01_item_missing_conditions(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-02", conditions_zh=()))
    assert_names(message, FILE, "P-01", "P-01-02", "(R-01)", "conditions")


def test_r01_item_missing_materials(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-02", materials=()))
    assert_names(message, FILE, "P-01", "P-01-02", "(R-01)", "material list")


# --- R-02 no catch-all ----------------------------------------------------------------------------------

CATCH_ALL_WORDINGS = ("其他材料", "其它材料", "有关材料", "其它有关材料", "其他有关材料", "相关材料", "其他相关材料")


@pytest.mark.parametrize("wording", CATCH_ALL_WORDINGS)
def test_r02_catch_all_material(p01: Bundle, wording: str) -> None:
    message = breach(with_material(p01, "P-01-01", "P-01-01-M1", name_zh=wording))
    assert_names(message, FILE, "P-01", "P-01-01", "P-01-01-M1", wording, "(R-02)")


def test_r02_catch_all_material_at_the_end_of_a_name(p01: Bundle) -> None:
    message = breach(with_material(p01, "P-01-01", "P-01-01-M1", name_zh="申请人认为需要提交的其他有关材料"))
    assert_names(message, FILE, "P-01", "P-01-01", "P-01-01-M1", "(R-02)")


def test_r02_catch_all_material_with_a_qualifier(p01: Bundle) -> None:
    message = breach(with_material(p01, "P-01-01", "P-01-01-M1", name_zh="其他材料（如有）"))
    assert_names(message, FILE, "P-01", "P-01-01", "(R-02)")


# Other wordings of the same catch-all, and the same phrases spaced out or punctuated (an exact-phrase list let
# every one of these through).
CATCH_ALL_VARIANTS = (
    "其 他 相 关 材 料",
    "其\u3000他\u3000材\u3000料",  # full-width spaces
    "其他\u200b材料",  # a zero-width space
    "其他、有关材料",
    "其他有关证明文件",
    "其它所需资料",
    "其他必要的证件",
    "其他证明",
    "相关证明材料",
    "有关证明文件",
    "所需资料",
    "审批机关要求提供的材料",
    "申请人认为需要的文件",
)


@pytest.mark.parametrize("wording", CATCH_ALL_VARIANTS)
def test_r02_catch_all_material_in_other_words(p01: Bundle, wording: str) -> None:
    message = breach(with_material(p01, "P-01-01", "P-01-01-M1", name_zh=wording))
    assert_names(message, FILE, "P-01", "P-01-01", "P-01-01-M1", "(R-02)")


@pytest.mark.parametrize("condition", ["法律、行政法规规定的其他条件", "规定的其它条件", "其他条件", "其 它 条 件",
                                       "符合有关规定的条件", "具备相关条件"])
def test_r02_catch_all_condition(p01: Bundle, condition: str) -> None:
    message = breach(with_item(p01, "P-01-02", conditions_zh=("新生儿出生后一个月内办理", condition)))
    assert_names(message, FILE, "P-01", "P-01-02", condition, "(R-02)")


def test_r02_every_shipped_material_and_condition_names_what_it_asks() -> None:
    """The patterns catch wordings, not words: no material or condition of the shipped catalogue is taken for a
    catch-all, among them 「符合有关技术标准、规范要求的设计和施工方案」 and 「…和其他重要涉密单位…」."""
    catalogue = load_catalogue()
    materials = {m.name_zh for b in catalogue.bundles for i in b.items for m in i.materials}
    conditions = {c for b in catalogue.bundles for i in b.items for c in i.conditions_zh}
    assert len(materials) > 300 and len(conditions) > 400
    assert [m for m in sorted(materials) if is_catch_all_material(m)] == []
    assert [c for c in sorted(conditions) if is_catch_all_condition(c)] == []
    assert "符合有关技术标准、规范要求的设计和施工方案" in materials


def test_wording_is_normalised_before_matching() -> None:
    assert normalise_wording("其\u3000他 、有关\t证明（如有）") == "其他有关证明如有"
    assert normalise_wording("ＡＢＣ１２３") == "ABC123"  # NFKC: full-width letters and digits


# --- R-03 legal basis and sharing ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "  "])
def test_r03_material_without_legal_basis(p01: Bundle, value: str) -> None:
    message = breach(with_material(p01, "P-01-01", "P-01-01-M1", legal_basis=value))
    assert_names(message, FILE, "P-01", "P-01-01", "P-01-01-M1", "(R-03)", "legal basis")


def test_r03_material_in_the_sharing_catalogue_asked_of_the_applicant(p01: Bundle) -> None:
    bundle = with_material(p01, "P-01-01", "P-01-01-M2", provided_by=MaterialSource.APPLICANT, shared_from=None)
    message = breach(bundle)
    assert_names(message, FILE, "P-01", "P-01-01", "P-01-01-M2", "居民身份证", "registry.population", "(R-03)")


def test_shared_material_without_shared_from(p01: Bundle) -> None:
    message = breach(with_material(p01, "P-01-01", "P-01-01-M3", shared_from=None))
    assert_names(message, FILE, "P-01", "P-01-01", "P-01-01-M3", "shared_from")


def test_shared_material_from_an_unknown_provider(p01: Bundle) -> None:
    message = breach(with_material(p01, "P-01-01", "P-01-01-M3", shared_from="registry.nowhere"))
    assert_names(message, FILE, "P-01", "P-01-01", "P-01-01-M3", "unknown provider", "registry.nowhere")


def test_r03_shared_material_without_shared_from_names_the_rule(p01: Bundle) -> None:
    assert "R-03" in breach(with_material(p01, "P-01-01", "P-01-01-M3", shared_from=None))


def test_r03_unknown_provider_names_the_rule(p01: Bundle) -> None:
    assert "R-03" in breach(with_material(p01, "P-01-01", "P-01-01-M3", shared_from="registry.nowhere"))


def test_unknown_provider_in_the_sharing_catalogue(p01: Bundle) -> None:
    manifest = MANIFEST.model_copy(update={"sharing": (*MANIFEST.sharing, SharedMaterial(
        name_zh="某证明", shared_from="registry.nowhere"))})
    message = breach(p01, manifest=manifest)
    assert_names(message, MANIFEST_FILE, "某证明", "unknown provider", "registry.nowhere")


@pytest.mark.parametrize("flag", ["tolerable", "commitment_allowed"])
def test_shared_material_cannot_be_tolerated_or_committed(p01: Bundle, flag: str) -> None:
    message = breach(with_material(p01, "P-01-01", "P-01-01-M3", **{flag: True}))
    assert_names(message, FILE, "P-01", "P-01-01", "P-01-01-M3", "commitment")


# --- dependencies and together-groups ----------------------------------------------------------------------


def test_dependency_cycle(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-01", requires=("P-01-03",)))
    assert_names(message, FILE, "P-01", "cycle", "P-01-01 → P-01-03 → P-01-01")


def test_dependency_self_cycle(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-02", requires=("P-01-02",)))
    assert_names(message, FILE, "P-01", "cycle", "P-01-02 → P-01-02")


def test_longer_dependency_cycle(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-01", requires=("P-01-05",)))
    assert_names(message, FILE, "P-01", "cycle", "P-01-01", "P-01-03", "P-01-05")


def test_prerequisite_outside_the_bundle(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-03", requires=("P-01-01", "P-02-01")))
    assert_names(message, FILE, "P-01", "P-01-03", "prerequisite", "P-02-01")


def test_r10_together_group_naming_an_unknown_item(p01: Bundle) -> None:
    message = breach(p01.model_copy(update={"together": (("P-01-04", "P-01-99"),)}))
    assert_names(message, FILE, "P-01", "P-01-99", "(R-10)")


# --- the one form --------------------------------------------------------------------------------------------


def test_undefined_form_field(p01: Bundle) -> None:
    item = p01.item("P-01-02")
    message = breach(with_item(p01, "P-01-02", fields=(*item.fields, "pet_name")))
    assert_names(message, FILE, "P-01", "P-01-02", "undefined form field", "pet_name")


def test_bundle_redefines_a_shared_field(p01: Bundle) -> None:
    again = FormField(name="household_address", label_zh="户籍地址", label_en="Household address")
    message = breach(p01.model_copy(update={"form_fields": (*p01.form_fields, again)}))
    assert_names(message, FILE, "P-01", "household_address", "define it once")


# --- R-07 offline items ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_r07_offline_item_without_reason(p01: Bundle, reason: str | None) -> None:
    message = breach(with_item(p01, "P-01-02", online=False, offline_reason_zh=reason))
    assert_names(message, FILE, "P-01", "P-01-02", "(R-07)")


def test_r07_offline_item_with_reason_passes(p01: Bundle) -> None:
    catalogue_of(with_item(p01, "P-01-02", online=False, offline_reason_zh="须现场接种核验")).check(MANIFEST_FILE)


def test_licence_item_without_licence_type(p01: Bundle) -> None:
    message = breach(with_item(p01, "P-01-02", licence_type=None))
    assert_names(message, FILE, "P-01", "P-01-02", "licence_type")


# --- repeated codes ----------------------------------------------------------------------------------------------


def test_repeated_one_thing_code(p01: Bundle) -> None:
    message = breach(p01, p01)
    assert_names(message, MANIFEST_FILE, "one-thing code", "P-01")


def test_repeated_item_code(p01: Bundle) -> None:
    copy = p01.item("P-01-02").model_copy(update={"name_zh": "重复事项"})
    message = breach(p01.model_copy(update={"items": (*p01.items, copy)}))
    assert_names(message, FILE, "P-01", "item code", "P-01-02")


def test_repeated_material_code(p01: Bundle) -> None:
    message = breach(with_material(p01, "P-01-03", "P-01-03-M4", code="P-01-01-M1"))
    assert_names(message, FILE, "P-01", "material code", "P-01-01-M1")


def test_repeated_bundle_form_field(p01: Bundle) -> None:
    message = breach(p01.model_copy(update={"form_fields": (*p01.form_fields, p01.form_fields[0])}))
    assert_names(message, FILE, "P-01", "form field", p01.form_fields[0].name)


def test_repeated_shared_form_field(p01: Bundle) -> None:
    manifest = MANIFEST.model_copy(update={"fields": (*MANIFEST.fields, MANIFEST.fields[0])})
    message = breach(p01, manifest=manifest)
    assert_names(message, MANIFEST_FILE, "shared form field", "contact_phone")


# --- the loader names the file -----------------------------------------------------------------------------------


def write_folder(root: Path, files: dict[str, str]) -> Path:
    (root / "one-things").mkdir(parents=True)
    (root / "manifest.json").write_text(MANIFEST.model_dump_json(), encoding="utf-8")
    for name, text in files.items():
        (root / "one-things" / name).write_text(text, encoding="utf-8")
    return root


def test_loader_loads_a_good_folder(tmp_path: Path, p01: Bundle) -> None:
    catalogue = load_catalogue(write_folder(tmp_path, {"P-01.json": p01.model_dump_json()}))
    assert catalogue.version == "test-1"
    assert [b.code for b in catalogue.bundles] == ["P-01"]


def test_loader_names_the_file_with_malformed_json(tmp_path: Path, p01: Bundle) -> None:
    root = write_folder(tmp_path, {"P-01.json": p01.model_dump_json()[:-1]})
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    assert_names(str(caught.value), str(root / "one-things" / "P-01.json"), "cannot read")


def test_loader_names_the_file_and_code_of_an_invalid_entry(tmp_path: Path, p01: Bundle) -> None:
    raw = json.loads(p01.model_dump_json())
    raw["items"][1]["time_limit_days"] = -1
    root = write_folder(tmp_path, {"P-01.json": json.dumps(raw, ensure_ascii=False)})
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    assert_names(str(caught.value), str(root / "one-things" / "P-01.json"), "P-01", "items.1.time_limit_days")


def test_loader_names_the_file_whose_name_is_not_its_code(tmp_path: Path, p01: Bundle) -> None:
    root = write_folder(tmp_path, {"P-02.json": p01.model_dump_json()})
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    assert_names(str(caught.value), str(root / "one-things" / "P-02.json"), "P-01.json")


def test_loader_refuses_a_folder_without_one_things(tmp_path: Path) -> None:
    root = write_folder(tmp_path, {})
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    assert_names(str(caught.value), str(root / "one-things"), "no one-thing", "(R-01)")


def test_loader_names_the_file_of_a_rule_breach(tmp_path: Path, p01: Bundle) -> None:
    root = write_folder(tmp_path, {"P-01.json": p01.model_copy(update={"co": ()}).model_dump_json()})
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    assert_names(str(caught.value), str(root / "one-things" / "P-01.json"), "P-01", "(R-01)")


def test_loader_names_a_file_that_is_not_utf8(tmp_path: Path, p01: Bundle) -> None:
    root = write_folder(tmp_path, {})
    (root / "one-things" / "P-01.json").write_bytes(p01.model_dump_json().encode("gb18030"))
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    assert_names(str(caught.value), str(root / "one-things" / "P-01.json"))
