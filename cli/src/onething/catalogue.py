"""``onething catalogue``: the one-things of a catalogue (the shipped one, or a service centre's folder)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

__all__ = ["bundle_mix", "catalogue_rows", "display_width", "print_catalogue"]


def catalogue_rows(directory: Path | None) -> dict[str, Any]:
    # The catalogue is intake's data; the CLI reads the same files intake serves (no running system needed).
    from onething_catalogue.loader import load_catalogue

    return load_catalogue(directory).summary()


def bundle_mix(requested: list[str] | None) -> list[str]:
    """The one-things a batch cycles through (``demo``, ``chaos``): those asked for, P-01 by default; ``all`` is
    the whole catalogue interleaved person, enterprise, project, so a short run shows all three."""
    if not requested:
        return ["P-01"]
    if "all" in requested:
        rows = catalogue_rows(None)["bundles"]
        rank: dict[str, int] = {}
        keyed = []
        for b in rows:
            rank[b["life_cycle"]] = rank.get(b["life_cycle"], -1) + 1
            keyed.append((rank[b["life_cycle"]], b["code"]))
        return [code for _, code in sorted(keyed, key=lambda k: (k[0], "PEJ".index(k[1][0])))]
    return requested


_LIFE_ZH = {"person": "个人", "enterprise": "企业", "project": "项目"}


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take 2, combining marks 0."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def print_catalogue(directory: Path | None, as_json: bool) -> None:
    rows = catalogue_rows(directory)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print(f"一件事目录 catalogue {rows['version']}: {rows['one_things']} 件一件事 one-things, {rows['items']} 个事项 items")
    columns = [[b["code"], b["name_zh"], b["name_en"], f"{_LIFE_ZH[b['life_cycle']]} {b['life_cycle']}",
                f"{b['items']:>2} 项", f"牵头 {b['lead_name_zh']}"] for b in rows["bundles"]]
    # Each column as wide as its widest cell, in terminal columns; the last one needs no padding.
    widths = [max(display_width(cells[i]) for cells in columns) for i in range(5)]
    for cells in columns:
        print(*(_pad(cell, width) for cell, width in zip(cells, widths, strict=False)), cells[-1])
