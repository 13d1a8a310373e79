"""R-09 one-time notice: every selected item's terms, one set of materials, one form, the bundle deadline."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from html import escape, unescape
from pathlib import Path
from typing import Any

import pytest
from onething_catalogue.loader import default_catalogue_dir, load_catalogue
from onething_catalogue.model import Bundle, Catalogue, Manifest

from contracts.departments import DEPARTMENTS, department
from contracts.sharing.v1 import REGISTRY_NAMES, Registry, registry_principal
from contracts.workdays import (
    PROVISIONAL_NOTE_EN,
    PROVISIONAL_NOTE_ZH,
    WorkingCalendar,
    add_working_days,
    national_calendar,
)
from exchange.testing.calendars import published_until
from intake.domain.deadline import bundle_deadline
from intake.domain.notice import one_time_notice
from intake.domain.selection import select_items
from intake.entrypoints.notice_page import render_notice

TODAY = date(2026, 3, 2)  # a Monday

# The shared fields and the sharing catalogue P-01 needs, and nothing else.
MANIFEST = Manifest.model_validate_json((Path(__file__).parent / "data" / "manifest-p01.json").read_text("utf-8"))
P01 = Bundle.model_validate_json(
    (default_catalogue_dir() / "one-things" / "P-01.json").read_text(encoding="utf-8"))
CATALOGUE = Catalogue.assemble(MANIFEST, [("one-things/P-01.json", P01)])


def notice_for(wanted: list[str] | None, catalogue: Catalogue = CATALOGUE, bundle: Bundle = P01, *,
               today: date = TODAY, calendar: WorkingCalendar | None = None) -> dict[str, Any]:
    return one_time_notice(catalogue, bundle, select_items(bundle, wanted), today, calendar or national_calendar())


def repeated(values: list[str]) -> list[str]:
    return [v for v, n in Counter(values).items() if n > 1]


def test_the_test_catalogue_is_valid() -> None:
    CATALOGUE.check("manifest.json")


@pytest.mark.parametrize("wanted", [None, ["P-01-02"], ["P-01-05"], ["P-01-06", "P-01-02"]])
def test_r09_every_selected_item_with_its_terms(wanted: list[str] | None) -> None:
    notice = notice_for(wanted)
    selection = select_items(P01, wanted)
    assert [i["code"] for i in notice["items"]] == list(selection.codes)
    for entry in notice["items"]:
        item = P01.item(entry["code"])
        assert entry["conditions_zh"] == list(item.conditions_zh)
        assert entry["conditions_zh"]
        assert entry["time_limit_days"] == item.time_limit_days
        assert (entry["fee_zh"], entry["fee_yuan"]) == (item.fee_zh, item.fee_yuan)
        assert entry["result_zh"] == item.result_zh
        assert entry["legal_basis"] == item.legal_basis
        assert entry["department"]["code"] == item.department


def test_r09_partial_selection_leaves_out_other_items() -> None:
    notice = notice_for(["P-01-02"])
    assert [i["code"] for i in notice["items"]] == ["P-01-02"]
    assert [m["code"] for m in notice["materials"]] == ["P-01-02-M1"]
    assert notice["added"] == []
    assert notice["fees"]["lines"] == [{"item_code": "P-01-02", "fee_zh": "不收费", "fee_yuan": 0}]


@pytest.mark.parametrize("wanted", [None, ["P-01-05"], ["P-01-03"]])
def test_r11_one_set_of_materials_no_name_twice(wanted: list[str] | None) -> None:
    notice = notice_for(wanted)
    assert repeated([m["name_zh"] for m in notice["materials"]]) == []
    assert repeated([m["code"] for m in notice["materials"]]) == []


def test_r11_merged_material_lists_every_item_that_needs_it() -> None:
    birth = next(m for m in notice_for(None)["materials"] if m["name_zh"] == "出生医学证明")
    assert [x["code"] for x in birth["for_items"]] == ["P-01-02", "P-01-03"]
    assert birth["item_material_codes"] == ["P-01-02-M1", "P-01-03-M1"]
    assert birth["submit"] is False
    assert birth["shared_from"] == "licence"


def test_r11_only_applicant_materials_are_to_submit() -> None:
    to_submit = {m["code"] for m in notice_for(None)["materials"] if m["submit"]}
    assert to_submit == {"P-01-01-M1", "P-01-03-M4", "P-01-05-M1"}


@pytest.mark.parametrize("wanted", [None, ["P-01-02"], ["P-01-05"]])
def test_r11_one_form_no_field_asked_twice(wanted: list[str] | None) -> None:
    notice = notice_for(wanted)
    selection = select_items(P01, wanted)
    names = [f["name"] for f in notice["form"]]
    assert repeated(names) == []
    assert repeated([f["label_zh"] for f in notice["form"]]) == []
    assert set(names) == {n for c in selection.codes for n in P01.item(c).fields}


def test_r11_no_field_asked_twice_in_any_shipped_bundle() -> None:
    catalogue = load_catalogue()  # a catalogue that does not load is a failure, not a skip
    for bundle in catalogue.bundles:
        for wanted in [None, *([i.code] for i in bundle.items)]:
            form = notice_for(wanted, catalogue, bundle)["form"]
            assert repeated([f["name"] for f in form]) == [], bundle.code
            assert repeated([f["label_zh"] for f in form]) == [], bundle.code


@pytest.mark.parametrize("wanted", [None, ["P-01-05"], ["P-01-02"]])
def test_r05_deadline_section_is_the_bundle_deadline(wanted: list[str] | None) -> None:
    notice = notice_for(wanted)
    items = [P01.item(c) for c in select_items(P01, wanted).codes]
    deadline = bundle_deadline(items, CATALOGUE.settings.sequential_compression)
    section = notice["deadline"]
    assert section["limit_days"] == deadline.limit_days
    assert section["statutory_days"] == deadline.statutory_days
    assert section["chains"] == [{"items": list(c.items), "statutory_days": c.statutory_days,
                                  "limit_days": c.limit_days} for c in deadline.chains]
    assert section["due_on_if_accepted_today"] == add_working_days(TODAY, deadline.limit_days).isoformat()
    assert "30%" in section["rule_zh"]


def test_r05_a_due_date_counted_into_an_unpublished_year_is_printed_provisional() -> None:
    # Accepted Monday 21 December 2026 with P-01's 10 working days, on the calendar as published in 2026: 1 January 2027
    # is New Year's Day by law, so Tuesday 5 January (not Monday 4), and 暂定 until 2027's arrangement is published.
    notice = notice_for(None, today=date(2026, 12, 21), calendar=published_until(2026))
    section = notice["deadline"]
    assert (section["due_on_if_accepted_today"], section["due_on_provisional"]) == ("2027-01-05", True)
    assert (section["provisional_note_zh"], section["provisional_note_en"]) == (PROVISIONAL_NOTE_ZH, PROVISIONAL_NOTE_EN)
    html = render_notice(notice)
    assert "预计 2027-01-05（暂定） 前办结" in html
    assert escape(PROVISIONAL_NOTE_ZH) in html and escape(PROVISIONAL_NOTE_EN) in html


def test_r05_a_due_date_within_a_published_year_is_not_provisional() -> None:
    notice = notice_for(None)
    assert not notice["deadline"]["due_on_provisional"] and notice["deadline"]["provisional_note_zh"] is None
    assert "暂定" not in render_notice(notice)


def test_r05_p01_deadline_figures() -> None:
    section = notice_for(None)["deadline"]
    # longest chain P-01-01 → P-01-03 → P-01-04 → P-01-05: 5 + 5 + 5 + 20 = 35 → ⌊10.5⌋
    assert section["limit_days"] == 10
    assert section["statutory_days"] == 37


def test_r05_each_item_states_its_statutory_and_promised_limit() -> None:
    notice = notice_for(None)
    assert {i["code"]: (i["time_limit_days"], i["promised_limit_days"]) for i in notice["items"]} == {
        "P-01-01": (5, 1), "P-01-02": (1, 1), "P-01-03": (5, 1), "P-01-04": (5, 1), "P-01-05": (20, 6),
        "P-01-06": (1, 1)}
    assert "时限<br>（工作日）" in (page := render_notice(notice)) and "法定时限 20<br>承诺时限 6" in page


def test_r10_added_item_messages_are_in_the_notice() -> None:
    selection = select_items(P01, ["P-01-05"])
    notice = notice_for(["P-01-05"])
    assert [a["message_zh"] for a in notice["added"]] == [a.message_zh for a in selection.added]
    assert {a["item_code"] for a in notice["added"]} == {"P-01-01", "P-01-03", "P-01-04", "P-01-06"}
    assert all(a["message_en"] for a in notice["added"])


def test_r09_notice_states_the_process_and_free_proxy() -> None:
    notice = notice_for(None)
    assert [p["step"] for p in notice["process"]] == list(range(1, len(notice["process"]) + 1))
    assert "老年人" in notice["proxy_free_zh"]
    assert notice["tolerance_supplement_days"] == CATALOGUE.settings.tolerance_supplement_days


# --- the printable page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("wanted", [None, ["P-01-05"], ["P-01-02"]])
def test_r09_printed_notice_is_zh_cn_with_name_materials_and_deadline(wanted: list[str] | None) -> None:
    notice = notice_for(wanted)
    html = render_notice(notice)
    assert '<html lang="zh-CN">' in html
    assert escape(P01.name_zh) in html
    for material in notice["materials"]:
        assert escape(material["name_zh"]) in html
    for item in notice["items"]:
        assert escape(item["name_zh"]) in html
    assert f"<b>{notice['deadline']['limit_days']}</b> 个工作日" in html
    assert notice["deadline"]["due_on_if_accepted_today"] in html


def test_r10_printed_notice_shows_added_items() -> None:
    notice = notice_for(["P-01-05"])
    html = render_notice(notice)
    assert "自动加选的事项" in html
    for added in notice["added"]:
        assert escape(added["message_zh"]) in html


def test_r10_printed_notice_without_additions_has_no_added_section() -> None:
    assert "自动加选的事项" not in render_notice(notice_for(None))


# Every key id a principal signs with, and every department code: internal names an applicant must never read.
INTERNAL_IDS = sorted({d.code for d in DEPARTMENTS} | {registry_principal(r) for r in Registry} | {"intake"})
SHIPPED = load_catalogue()


def visible_text(page: str, notice: dict[str, Any]) -> str:
    """What the applicant reads: no style sheet or markup, and without the one-thing's English name (whose
    words, such as "tax" or "approval", may spell a department code)."""
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body)).replace(notice["name_en"], "")


@pytest.mark.parametrize("bundle", SHIPPED.bundles, ids=lambda b: b.code)
def test_r09_printed_notice_names_departments_and_registries_never_internal_ids(bundle: Bundle) -> None:
    notice = one_time_notice(SHIPPED, bundle, select_items(bundle, None), TODAY, national_calendar())
    page = render_notice(notice)
    text = visible_text(page, notice)
    for prefix in ("registry.", "dept.", "seal."):
        assert prefix not in page
    leaked = [code for code in INTERNAL_IDS if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)]
    assert leaked == []
    for material in notice["materials"]:
        if not material["submit"]:
            assert f"免提交，由{material['shared_by']['name_zh']}共享获取" in text
    for item in notice["items"]:
        assert department(item["department"]["code"]).name_zh in text


def test_r09_shared_materials_are_named_by_their_registry_or_department() -> None:
    shared = {m["code"]: m["shared_by"] for m in notice_for(None)["materials"] if not m["submit"]}
    assert shared["P-01-01-M2"] == {"code": "registry.population", "name_zh": "人口基础信息库",
                                    "name_en": "population base registry"}
    assert shared["P-01-02-M1"]["name_zh"] == REGISTRY_NAMES[Registry.LICENCE][0] == "电子证照库"
    assert shared["P-01-03-M3"] == {"code": "civil-affairs", "name_zh": "民政局", "name_en": "Civil Affairs Bureau"}
    page = render_notice(notice_for(None))
    for name in ("人口基础信息库", "电子证照库", "民政局", "卫生健康委员会"):
        assert name in page


def test_r09_printed_notice_has_no_note_for_developers() -> None:
    """Which figures the seeds leave open is the service centre's business (docs/catalogue.md, the JSON notice's
    ``assumed``), not the applicant's."""
    notice = notice_for(None)
    assert any(item["assumed"] for item in notice["items"])
    page = render_notice(notice)
    for words in ("假设值", "种子", "seed", "assumed"):
        assert words not in page
