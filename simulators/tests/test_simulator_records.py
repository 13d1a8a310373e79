"""Synthesised base-registry records (基础库模拟数据): deterministic, valid, and accepted by the one form."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.identifiers import USCC_ALPHABET, make_resident_id, make_uscc, resident_id_problem
from simulators.records import ENTERPRISE_TYPES, MARITAL_STATUSES, enterprise_record, population_record

MANIFEST = Path(__file__).resolve().parents[2] / "libs/catalogue/src/onething_catalogue/data/manifest.json"
NUMBER = re.compile(r"^\d+(\.\d+)?$")  # the intake's number check
TODAY = date(2026, 1, 15)
PERSON_KEYS = {"name", "sex", "birth_date", "household_address", "residence_address", "marital_status", "ethnicity"}
ENTERPRISE_KEYS = {"name", "enterprise_type", "legal_representative", "legal_representative_id", "address",
                   "registered_capital", "business_scope", "established_on"}


def prefilled_fields(source: str) -> list[dict[str, object]]:
    fields = json.loads(MANIFEST.read_text(encoding="utf-8"))["fields"]
    return [f for f in fields if (f.get("prefill") or {}).get("source") == source]


def assert_passes_form_checks(record: dict[str, str], source: str) -> None:
    """Every form field pre-filled from ``source`` gets a value the intake's field check accepts."""
    fields = prefilled_fields(source)
    assert fields, f"the manifest pre-fills nothing from {source}"
    for field in fields:
        value = record[str(field["prefill"]["attribute"])]  # type: ignore[index]
        assert value.strip(), field["name"]
        match field["type"]:
            case "enum":
                assert value in field["options"], (field["name"], value)  # type: ignore[operator]
            case "number":
                assert NUMBER.match(value), (field["name"], value)
            case "resident_id":
                assert resident_id_problem(value) is None, (field["name"], value)


def test_population_record_reads_sex_and_birth_from_the_number() -> None:
    man = make_resident_id("430104", date(1988, 3, 9), 21)  # odd sequence: male
    woman = make_resident_id("430104", date(1988, 3, 9), 22)
    assert population_record(man, TODAY)["sex"] == "男"  # type: ignore[index]
    assert population_record(woman, TODAY)["sex"] == "女"  # type: ignore[index]
    record = population_record(man, TODAY)
    assert record is not None and set(record) == PERSON_KEYS
    assert record["birth_date"] == "1988-03-09"
    assert record["household_address"].startswith("湖南省长沙市岳麓区")  # the number's own region
    assert record["residence_address"].startswith("湖南省")
    assert record == population_record(man, TODAY)  # deterministic
    assert_passes_form_checks(record, "population")


def test_people_under_22_are_unmarried() -> None:
    for sequence in range(40):
        young = make_resident_id("430102", date(2004, 1, 16), sequence)  # 21 on TODAY
        assert population_record(young, TODAY)["marital_status"] == "未婚"  # type: ignore[index]
    statuses = {population_record(make_resident_id("430102", date(1960, 1, 1), s), TODAY)["marital_status"]  # type: ignore[index]
                for s in range(200)}
    assert "已婚" in statuses and statuses <= set(MARITAL_STATUSES)


def test_enterprise_record_is_complete_and_consistent_with_the_population_registry() -> None:
    code = make_uscc("430104", 424242)
    record = enterprise_record(code)
    assert record is not None and set(record) == ENTERPRISE_KEYS
    assert record == enterprise_record(code)
    assert record["enterprise_type"] in ENTERPRISE_TYPES
    assert record["address"].startswith("湖南省长沙市岳麓区")
    assert NUMBER.match(record["registered_capital"])
    assert date.fromisoformat(record["established_on"]) < TODAY
    representative = population_record(record["legal_representative_id"], TODAY)
    assert representative is not None and representative["name"] == record["legal_representative"]
    assert_passes_form_checks(record, "enterprise")


def test_individual_businesses_are_registered_as_such() -> None:
    assert enterprise_record(make_uscc("430111", 77, category="2"))["enterprise_type"] == "个体工商户"  # type: ignore[index]


def test_invalid_identifiers_are_not_found() -> None:
    valid = make_resident_id("430104", date(1988, 3, 9), 21)
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    for number in (wrong_check, "430104198802301234", "12345", ""):
        assert population_record(number, TODAY) is None
    unborn = make_resident_id("430104", date(2026, 1, 16), 21)  # born the day after TODAY: no such person yet
    assert population_record(unborn, TODAY) is None and population_record(unborn, date(2026, 1, 16)) is not None
    code = make_uscc("430104", 424242)
    for bad in (code[:17] + ("0" if code[17] != "0" else "1"), code.lower(), "91430104MA4L0000", valid):
        assert enterprise_record(bad) is None


@settings(max_examples=300, deadline=None)
@given(
    region=st.integers(min_value=100000, max_value=999999).map(str),
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),  # nobody is born after the registry's today
    sequence=st.integers(min_value=0, max_value=999),
)
def test_any_valid_resident_id_has_a_valid_record(region: str, born: date, sequence: int) -> None:
    number = make_resident_id(region, born, sequence)
    record = population_record(number, TODAY)
    assert record is not None and set(record) == PERSON_KEYS
    assert record["birth_date"] == born.isoformat()
    assert record["sex"] == ("男" if sequence % 2 else "女")
    assert record["marital_status"] in MARITAL_STATUSES
    age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
    if age < 22:
        assert record["marital_status"] == "未婚"
    assert record["household_address"].startswith("湖南省") and record["residence_address"].startswith("湖南省")
    assert_passes_form_checks(record, "population")


_REG = st.sampled_from([c for c in USCC_ALPHABET if c != "0"])


@settings(max_examples=300, deadline=None)
@given(
    region=st.integers(min_value=0, max_value=999999).map(lambda n: f"{n:06d}"),
    serial=st.integers(min_value=0, max_value=len(USCC_ALPHABET) ** 9 - 1),
    authority=_REG,
    category=_REG,
)
def test_any_valid_uscc_has_a_valid_record(region: str, serial: int, authority: str, category: str) -> None:
    code = make_uscc(region, serial, authority=authority, category=category)
    record = enterprise_record(code)
    assert record is not None and set(record) == ENTERPRISE_KEYS
    assert record["enterprise_type"] in ENTERPRISE_TYPES
    assert resident_id_problem(record["legal_representative_id"]) is None
    assert record["address"].startswith("湖南省")
    assert date.fromisoformat(record["established_on"]) <= TODAY
    assert_passes_form_checks(record, "enterprise")
