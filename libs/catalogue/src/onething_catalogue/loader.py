"""Loading the catalogue from its data folder (shipped with the package, or a service centre's own).

Layout: ``manifest.json`` (version, settings, shared form fields, the data-sharing catalogue) and
``one-things/<CODE>.json``, one file per one-thing, so a breach names the file to open.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from onething_catalogue.model import Bundle, Catalogue, CatalogueError, Manifest

__all__ = ["default_catalogue_dir", "load_catalogue"]

M = TypeVar("M", bound=BaseModel)


def default_catalogue_dir() -> Path:
    return Path(str(files("onething_catalogue") / "data"))


def _read(path: Path, model: type[M]) -> M:
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        return model.model_validate(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"{path}: 无法读取目录文件（须为 UTF-8 编码的 JSON）cannot read the catalogue file "
                             f"(UTF-8 JSON expected): {exc}") from exc
    except ValidationError as exc:
        where = f"{path}: {raw.get('code', '')}" if isinstance(raw, dict) else str(path)
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CatalogueError(f"{where} 目录格式错误 invalid catalogue entry: {problems}") from exc


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Read and check the whole catalogue; raises ``CatalogueError`` naming file, one-thing and item."""
    root = directory or default_catalogue_dir()
    manifest = _read(root / "manifest.json", Manifest)
    # Person, enterprise, project life cycles in that order (个人、企业、项目), then by code.
    paths = sorted((root / "one-things").glob("*.json"), key=lambda p: ("PEJ".find(p.stem[:1]) % 4, p.stem))
    if not paths:
        raise CatalogueError(f"{root / 'one-things'}: 目录中没有一件事 / the catalogue holds no one-thing (R-01)")
    bundles = [(str(path), _read(path, Bundle)) for path in paths]
    for path, bundle in bundles:
        if Path(path).stem != bundle.code:
            raise CatalogueError(f"{path}: 文件名应与一件事编号一致 / the file must be named {bundle.code}.json")
    catalogue = Catalogue.assemble(manifest, bundles)
    catalogue.check(str(root / "manifest.json"))
    return catalogue
