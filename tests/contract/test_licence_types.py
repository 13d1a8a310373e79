"""The table of electronic licence types covers every licence the catalogue names, once and in order."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.licence_types import LICENCE_TYPES, LicenceType, licence_type

CATALOGUE = Path(__file__).resolve().parents[2] / "libs/catalogue/src/onething_catalogue/data/one-things"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _licence_types(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "licence_type" and isinstance(value, str):
                yield value
            else:
                yield from _licence_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _licence_types(value)


def _catalogue_codes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(CATALOGUE.glob("*.json")):
        for code in _licence_types(json.loads(path.read_text(encoding="utf-8"))):
            found.setdefault(code, set()).add(path.name)
    return found


def test_codes_are_unique_and_sorted() -> None:
    codes = [t.code for t in LICENCE_TYPES]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)


def test_every_catalogue_licence_type_is_in_the_table() -> None:
    found = _catalogue_codes()
    assert found, f"no licence_type found under {CATALOGUE}"
    known = {t.code for t in LICENCE_TYPES}
    missing = {code: sorted(files) for code, files in found.items() if code not in known}
    assert not missing, f"licence types in the catalogue but not in the table: {missing}"


def test_lookup_by_code() -> None:
    for entry in LICENCE_TYPES:
        assert licence_type(entry.code) is entry
    assert licence_type("food-business-licence").valid_years == 5


def test_unknown_code_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="nope") as raised:
        licence_type("nope")
    assert "未知证照类型" in str(raised.value)


@pytest.mark.parametrize("entry", LICENCE_TYPES, ids=lambda t: t.code)
def test_names_and_validity_are_filled_in(entry: LicenceType) -> None:
    assert entry.name_zh.strip() and CJK.search(entry.name_zh)
    assert entry.name_en.strip()
    assert entry.validity_basis.strip()
    assert entry.valid_years is None or entry.valid_years > 0
    if entry.valid_years is not None:
        assert entry.validity_basis != "长期有效"
