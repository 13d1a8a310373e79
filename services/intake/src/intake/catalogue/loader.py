"""Loading the catalogue from its JSON file (shipped with the package, or a service centre's own)."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from pydantic import ValidationError

from intake.catalogue.model import Catalogue, CatalogueError

__all__ = ["load_catalogue"]


def load_catalogue(path: Path | None = None) -> Catalogue:
    source = path or Path(str(files("intake.catalogue") / "data" / "catalogue.json"))
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
        catalogue = Catalogue.model_validate(raw)
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"{source}: 无法读取目录 cannot read the catalogue: {exc}") from exc
    except ValidationError as exc:
        raise CatalogueError(f"{source}: 目录格式错误 invalid catalogue: {exc}") from exc
    catalogue.check(str(source))
    return catalogue
