"""Every screen's files ship in its service's package (a non-editable install, as the Dockerfile's, has only what the
package data names: a page left out makes the service fail to start)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = sorted(p.parent for p in [*ROOT.glob("services/*/pyproject.toml"), ROOT / "libs/screens/pyproject.toml"])


def _page_files(project: Path) -> list[tuple[Path, str]]:
    """(package folder, path inside it) of every file beside a page (an index.html) or in the shared shell."""
    found = []
    for package in (project / "src").iterdir():
        if not (package / "__init__.py").exists():
            continue
        folders = {page.parent for page in package.rglob("index.html")} | set(package.glob("shell"))
        found += [(package, str(f.relative_to(package))) for folder in folders for f in folder.iterdir() if f.is_file()]
    return found


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_every_file_of_every_screen_is_package_data(project: Path) -> None:
    patterns = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["setuptools"].get("package-data", {})
    wanted = [pattern for patterns_of in patterns.values() for pattern in patterns_of]
    missing = [f"{package.name}/{name}" for package, name in _page_files(project)
               if not any(fnmatchcase(name, pattern) for pattern in wanted)]
    assert not missing, f"not in {project.name}'s package data: {missing}"
