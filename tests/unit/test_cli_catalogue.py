"""``onething catalogue`` lists every one-thing for people and, with ``--json``, for machines."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
from onething_catalogue.loader import default_catalogue_dir

from onething.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_json_lists_every_one_thing_with_its_lead(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue", "--json")
    assert code == 0
    body = json.loads(out)
    files = sorted(p.stem for p in (default_catalogue_dir() / "one-things").glob("*.json"))
    assert sorted(b["code"] for b in body["bundles"]) == files
    assert body["one_things"] == len(files) and body["items"] == sum(b["items"] for b in body["bundles"])
    p01 = next(b for b in body["bundles"] if b["code"] == "P-01")
    assert (p01["name_zh"], p01["life_cycle"], p01["lead"], p01["lead_name_zh"]) == (
        "新生儿出生一件事", "person", "health", "卫生健康委员会")
    assert [b["life_cycle"] for b in body["bundles"]] == sorted(
        (b["life_cycle"] for b in body["bundles"]), key=["person", "enterprise", "project"].index)


def test_table_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue")
    assert code == 0
    assert "一件事目录" in out and "P-01" in out and "新生儿出生一件事" in out and "Newborn birth" in out
    assert "牵头 卫生健康委员会" in out


def test_a_broken_catalogue_is_refused_with_file_and_item(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "catalogue"
    shutil.copytree(default_catalogue_dir(), folder)
    p01 = folder / "one-things" / "P-01.json"
    p01.write_text(p01.read_text(encoding="utf-8").replace("新生儿近期免冠彩色照片（电子版）", "其他材料"), encoding="utf-8")
    code, _, err = run(capsys, "catalogue", "--dir", str(folder))
    assert code == 1
    assert "P-01.json" in err and "P-01-05" in err and "R-02" in err


def _columns(text: str) -> int:
    """Terminal columns, counted here independently: East Asian wide (W) and full-width (F) characters take 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_columns_line_up_on_long_chinese_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue", "--json")
    bundles = json.loads(out)["bundles"]
    code, out, _ = run(capsys, "catalogue")
    rows = out.splitlines()[1:]
    assert code == 0 and len(rows) == len(bundles)
    longest = max(bundles, key=lambda b: _columns(b["name_zh"]))
    assert _columns(longest["name_zh"]) > 30  # the catalogue has names wider than the old fixed column
    life = {"person": "个人 person", "enterprise": "企业 enterprise", "project": "项目 project"}
    cells = {"name_en": lambda b: b["name_en"], "life cycle": lambda b: life[b["life_cycle"]],
             "lead": lambda b: f"牵头 {b['lead_name_zh']}"}
    for column, cell in cells.items():
        starts = {_columns(row[: row.index(cell(b))]) for row, b in zip(rows, bundles, strict=True)}
        assert len(starts) == 1, f"{column} starts at columns {sorted(starts)}"
