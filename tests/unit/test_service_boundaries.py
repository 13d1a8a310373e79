"""Architecture rules, read from the source with ``ast``: services talk through contracts and the bus only.

* No service imports another service (they share ``contracts`` and ``exchange``, nothing else).
* ``contracts`` is pydantic and the standard library only (PyYAML only in the publishing tool).
* The ``exchange`` library knows no service.
* Each service's ``domain`` package is pure rules: no database, web framework, broker or HTTP client.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "dispatch", "licence", "supervision", "rating", "gateway", "simulators")
INFRASTRUCTURE = ("sqlalchemy", "sqlmodel", "fastapi", "aiokafka", "httpx")
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


def source_root(service: str) -> Path:
    return ROOT / "simulators" / "src" if service == "simulators" else ROOT / "services" / service / "src"


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def imported_modules(path: Path) -> set[str]:
    """Dotted names of every absolute import in ``path`` (function-level and TYPE_CHECKING ones too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            found.add(node.args[0].value)  # type: ignore[attr-defined]
    return found


def _is_dynamic_import(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return (
        name in ("import_module", "__import__")
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def violations(files: list[Path], forbidden: set[str]) -> list[str]:
    out = []
    for path in files:
        bad = sorted(m for m in imported_modules(path) if m.split(".")[0] in forbidden)
        if bad:
            out.append(f"{relative(path)}: {', '.join(bad)}")
    return out


# --- the walker itself ------------------------------------------------------------------------


def test_import_walker_sees_every_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os.path, json as j\n"
        "from intake.domain import case\n"
        "from . import sibling\n"
        "from .x import y\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from dispatch.adapters import tables\n"
        "def later():\n"
        "    import licence.bootstrap\n"
        "    importlib.import_module('rating.rules')\n",
        encoding="utf-8",
    )
    assert imported_modules(sample) == {
        "os.path",
        "json",
        "intake.domain",
        "typing",
        "dispatch.adapters",
        "licence.bootstrap",
        "rating.rules",
    }
    assert top_level(imported_modules(sample)) == {"os", "json", "intake", "typing", "dispatch", "licence", "rating"}


def test_the_list_of_services_is_complete() -> None:
    # A new service directory must be added to SERVICES, or its imports would go unchecked.
    on_disk = {p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir()}
    assert on_disk == set(SERVICES) - {"simulators"}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_source_to_check(service: str) -> None:
    root = source_root(service)
    assert (root / service / "__init__.py").is_file(), root
    assert python_files(root)


# --- rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another_service(service: str) -> None:
    others = set(SERVICES) - {service}
    assert violations(python_files(source_root(service)), others) == []


@pytest.mark.parametrize("service", SERVICES)
def test_services_import_their_own_package(service: str) -> None:
    # Sanity check that the walk sees real imports (a service that never names itself is suspicious).
    seen = set().union(*(top_level(imported_modules(p)) for p in python_files(source_root(service))))
    assert service in seen
    assert "contracts" in seen


def test_contracts_use_only_pydantic_and_the_standard_library() -> None:
    # Exceptions, each to one file: yaml for the publishing tool, the holiday data and the lunar calendar for the
    # working-day calendar.
    root = ROOT / "contracts" / "src"
    files = python_files(root)
    assert files
    problems = []
    for path in files:
        allowed = STDLIB | {"pydantic", "contracts"}
        if path == root / "contracts" / "publish.py":
            allowed |= {"yaml"}
        if path == root / "contracts" / "workdays.py":
            # the State Council's holiday data (data only), and the lunar calendar and solar terms (pure Python)
            # that give the statutory holidays of a year not yet published
            allowed |= {"chinese_calendar", "lunar_python"}
        bad = sorted(m for m in imported_modules(path) if m.split(".")[0] not in allowed)
        if bad:
            problems.append(f"{relative(path)}: {', '.join(bad)}")
    assert problems == []


def test_only_the_publishing_tool_may_import_yaml() -> None:
    root = ROOT / "contracts" / "src"
    users = [relative(p) for p in python_files(root) if "yaml" in top_level(imported_modules(p))]
    assert set(users) <= {"contracts/src/contracts/publish.py"}


def test_exchange_library_imports_no_service() -> None:
    files = python_files(ROOT / "libs" / "exchange" / "src")
    assert files
    assert violations(files, set(SERVICES)) == []


def domain_files() -> list[Path]:
    files = []
    for service in SERVICES:
        domain = source_root(service) / service / "domain"
        files += python_files(domain) if domain.is_dir() else []
    return files


def test_there_are_domain_packages_to_check() -> None:
    services_with_domain = {p.relative_to(ROOT).parts[1] for p in domain_files()}
    assert {"intake", "dispatch"} <= services_with_domain


@pytest.mark.parametrize("path", domain_files(), ids=lambda p: relative(p))
def test_domain_is_pure_rules(path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) if m.split(".")[0] in INFRASTRUCTURE)
    assert bad == [], f"{relative(path)} imports {bad}"
