"""``python -m onething_catalogue.check [DIR]``: check a catalogue folder and print what it holds."""

from __future__ import annotations

import sys
from pathlib import Path

from onething_catalogue.loader import load_catalogue
from onething_catalogue.model import CatalogueError


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        catalogue = load_catalogue(Path(args[0]) if args else None)
    except CatalogueError as exc:
        sys.stderr.write(f"目录检查未通过 catalogue check failed:\n  {exc}\n")
        return 1
    items = sum(len(b.items) for b in catalogue.bundles)
    sys.stdout.write(f"目录 {catalogue.version}: {len(catalogue.bundles)} 件一件事 one-things, {items} 个事项 items — OK\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
