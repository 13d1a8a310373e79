"""The architecture, held by import-linter's contracts (``[tool.importlinter]`` in ``pyproject.toml``): services are
independent, each is layered (bootstrap → entrypoints → service_layer → adapters → domain), the domain is pure rules,
the libraries know no service and ``contracts`` is the bottom. Plus what import-linter cannot say: ``contracts`` uses
only pydantic and the standard library (the exceptions named, each to one module).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_every_import_contract_is_kept() -> None:
    run = lint_imports()
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(CONFIG['contracts'])} kept, 0 broken" in run.stdout


def test_a_broken_contract_is_reported(tmp_path: Path) -> None:
    # The checker sees real imports: a contract every service breaks (each imports the exchange library) fails.
    config = tmp_path / "broken.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["dispatch", "exchange"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "dispatch without exchange"\ntype = "forbidden"\n'
        'source_modules = ["dispatch"]\nforbidden_modules = ["exchange"]\n', encoding="utf-8")
    run = lint_imports(str(config))
    assert run.returncode == 1 and "1 broken" in run.stdout
    assert "dispatch." in run.stdout and "-> exchange" in run.stdout


def test_every_service_is_under_the_contracts() -> None:
    # A new service directory must join the independence and layers contracts, or its imports go unchecked.
    on_disk = {p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir()}
    by_name = {c["type"]: c for c in CONFIG["contracts"]}
    assert set(by_name["independence"]["modules"]) == on_disk | {"simulators"}
    assert set(by_name["layers"]["containers"]) == on_disk
    libraries = {"exchange", "credentials", "onething_catalogue"}
    assert on_disk | {"simulators", "contracts"} | libraries <= set(CONFIG["root_packages"])


def test_contracts_use_only_pydantic_and_the_standard_library() -> None:
    # Exceptions, each to one module: yaml for the publishing tool; the State Council's holiday data and the lunar
    # calendar (pure Python) for the working-day calendar; orjson for the one canonical JSON every signature covers.
    allowed_in = {"contracts.publish": {"yaml"}, "contracts.workdays": {"chinese_calendar", "lunar_python"},
                  "contracts.canonical": {"orjson"}}
    graph = grimp.build_graph("contracts", include_external_packages=True, cache_dir=None)
    problems = sorted(
        f"{module} -> {imported}"
        for module in graph.modules if module.startswith("contracts")
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] not in STDLIB | {"pydantic", "contracts"} | allowed_in.get(module, set())
    )
    assert len(graph.modules) > 20 and problems == []
