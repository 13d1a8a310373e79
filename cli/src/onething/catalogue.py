"""``onething catalogue``: the one-things of a catalogue (the shipped one, or a service centre's folder)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["catalogue_rows", "print_catalogue"]


def catalogue_rows(directory: Path | None) -> dict[str, Any]:
    # The catalogue is intake's data; the CLI reads the same files intake serves (no running system needed).
    from intake.catalogue.loader import load_catalogue

    return load_catalogue(directory).summary()


_LIFE_ZH = {"person": "个人", "enterprise": "企业", "project": "项目"}


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def print_catalogue(directory: Path | None, as_json: bool) -> None:
    rows = catalogue_rows(directory)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print(f"一件事目录 catalogue {rows['version']}: {rows['one_things']} 件一件事 one-things, {rows['items']} 个事项 items")
    for b in rows["bundles"]:
        print(f"{b['code']:<6} {_pad(b['name_zh'], 30)} {_pad(b['name_en'], 48)} "
              f"{_LIFE_ZH[b['life_cycle']]} {b['life_cycle']:<10} {b['items']:>2} 项  牵头 {b['lead_name_zh']}")
