"""docker-compose.yml, the Dockerfile and deploy/ agree with the code (部署文件与代码一致).

No Docker engine is needed: the files are parsed and compared with the process table
(``onething.processes.PROCESSES``), the settings (``exchange.settings.ExchangeSettings``), the CLI
parser (``onething.cli.build_parser``), the topic registry and the Makefile's component list.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from contracts.topics import ALL_TOPICS
from exchange.settings import ExchangeSettings
from gateway.config import GatewaySettings
from onething.processes import PROCESSES, ProcessSpec
from onething.system import key_holdings
from simulators.config import SimulatorSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
MAKEFILE = ROOT / "Makefile"
ENV_PREFIX = "ONETHING_"
KAFKA_BROKERS = 1  # the compose file runs a single KRaft node

_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?::?-)(?P<default>[^}]*))?\}")


def _load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))  # resolves anchors and `<<` merges
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


COMPOSE = _load_compose()
SERVICES: dict[str, dict[str, Any]] = COMPOSE.get("services") or {}
SPECS = {spec.name: spec for spec in PROCESSES}


# ── helpers ──────────────────────────────────────────────────────────────────────────────────────


def _interpolate(value: str) -> str:
    """What compose substitutes when no variable is set: ``${X:-default}`` → default, ``${X}`` → ''."""
    return _INTERPOLATION.sub(lambda m: m.group("default") or "", value)


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in env)
        return {k: v for k, v in pairs}
    out: dict[str, str] = {}
    for key, value in env.items():
        if isinstance(value, bool):
            out[str(key)] = "true" if value else "false"
        else:
            out[str(key)] = "" if value is None else str(value)
    return out


def _published_ports(service: dict[str, Any]) -> set[tuple[int, int]]:
    """(host port, container port) pairs, from short ("[ip:]host:container[/proto]") or long syntax."""
    out: set[tuple[int, int]] = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            if port.get("published") is not None:
                out.add((int(port["published"]), int(port["target"])))
            continue
        parts = str(port).split("/", 1)[0].split(":")
        if len(parts) >= 2:
            out.add((int(parts[-2]), int(parts[-1])))
    return out


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (cond or {}).get("condition", "service_started") for name, cond in deps.items()}


def _volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Mount target → source, short or long syntax."""
    out: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            out[str(volume["target"])] = str(volume.get("source", ""))
        else:
            source, _, rest = str(volume).partition(":")
            out[rest.split(":", 1)[0]] = source
    return out


def _assert_only_its_own_keys(name: str, service: dict[str, Any], keys_dir: str) -> None:
    """最小持有: the trust list and the process's own private folder (as key_holdings plans it), read-only; never the
    whole keys volume, never another holder's folder."""
    keyed = {str(v["target"]): v for v in service.get("volumes") or [] if isinstance(v, dict) and v.get("source") == "keys"}
    assert keys_dir not in _volume_mounts(service), f"{name}: the whole keys volume is mounted"
    wanted = {f"{keys_dir}/public": "public", f"{keys_dir}/private/{name}": f"private/{name}"}
    for target, subpath in wanted.items():
        volume = keyed.get(target)
        assert volume is not None, f"{name}: {target} is not mounted"
        assert (volume.get("volume") or {}).get("subpath") == subpath and volume.get("read_only") is True, volume
    others = set(keyed) - set(wanted) - {f"{keys_dir}/clients"}
    assert not others, f"{name} mounts other keys: {others}"
    assert name in key_holdings(), f"{name} holds no keys in onething.system.key_holdings"


def _settings_env_names() -> set[str]:
    """Every environment variable ExchangeSettings reads."""
    names: set[str] = set()
    for field_name, info in ExchangeSettings.model_fields.items():
        if isinstance(info.validation_alias, str):
            names.add(info.validation_alias.upper())
        else:
            names.add(f"{ENV_PREFIX}{field_name.upper()}")
    return names


def _per_service_overrides() -> set[str]:
    return {f"{ENV_PREFIX}{spec.name.upper()}_DATABASE_URL" for spec in PROCESSES if spec.has_database}


def _onething_services() -> list[str]:
    return sorted(name for name, svc in SERVICES.items() if _command(svc)[:1] == ["onething"])


def _python_m_services() -> list[str]:
    return sorted(name for name, svc in SERVICES.items() if _command(svc)[:2] == ["python", "-m"])


def _build_parser() -> argparse.ArgumentParser:
    cli = importlib.import_module("onething.cli")
    parser = cli.build_parser()
    assert isinstance(parser, argparse.ArgumentParser), "onething.cli.build_parser() must return an ArgumentParser"
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert actions, "the onething parser has no subcommands"
    return {name for action in actions for name in action.choices}


def _makefile_pkgs() -> list[str]:
    text = MAKEFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(r"^PKGS\s*:?=\s*(.+)$", text, flags=re.MULTILINE)
    assert match, "no PKGS variable in the Makefile"
    return match.group(1).split("#", 1)[0].split()


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines = [line for line in DOCKERFILE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    text = re.sub(r"\\[ \t]*\n", " ", "\n".join(lines))
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.strip():
            instruction, _, args = line.strip().partition(" ")
            out.append((instruction.upper(), args.strip()))
    return out


def _assert_runnable_with_python_m(module: str) -> None:
    """``python -m <module>`` works: the module exists and, for a package, so does its ``__main__``."""
    found = importlib.util.find_spec(module)
    assert found is not None, f"module {module!r} is not importable"
    if found.submodule_search_locations is not None:
        assert importlib.util.find_spec(f"{module}.__main__") is not None, f"package {module!r} has no __main__"


def _norm(path: str) -> str:
    path = path.strip().rstrip("/")
    return path[2:] if path.startswith("./") else path


# ── the processes ────────────────────────────────────────────────────────────────────────────────


def test_compose_has_services() -> None:
    assert SERVICES, "docker-compose.yml defines no services"


@pytest.mark.parametrize("spec", PROCESSES, ids=lambda s: s.name)
def test_every_process_has_a_container_running_its_module(spec: ProcessSpec) -> None:
    assert spec.name in SERVICES, f"no compose service {spec.name!r} for the process {spec.module!r}"
    service = SERVICES[spec.name]
    assert _command(service) == ["python", "-m", spec.module]
    _assert_runnable_with_python_m(spec.module)
    build = service.get("build")
    assert build is not None, f"{spec.name} is not built from the repository's Dockerfile"
    if isinstance(build, dict):
        assert _norm(str(build.get("context", "."))) in ("", "."), build
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile", build
    else:
        assert _norm(str(build)) in ("", "."), build


@pytest.mark.parametrize("spec", PROCESSES, ids=lambda s: s.name)
def test_every_process_listens_on_its_default_port(spec: ProcessSpec) -> None:
    service = SERVICES[spec.name]
    env = _env(service)
    assert env.get(f"{ENV_PREFIX}HTTP_PORT") == str(spec.default_port)
    assert env.get(f"{ENV_PREFIX}HTTP_HOST") == "0.0.0.0", "the service must listen beyond the container"
    assert (spec.default_port, spec.default_port) in _published_ports(service), (
        f"{spec.name}: port {spec.default_port} is not published as {spec.default_port}:{spec.default_port}"
    )


@pytest.mark.parametrize("spec", PROCESSES, ids=lambda s: s.name)
def test_every_process_waits_for_its_infrastructure_and_reports_readiness(spec: ProcessSpec) -> None:
    service = SERVICES[spec.name]
    env = _env(service)
    deps = _depends_on(service)
    assert deps.get("kafka") == "service_healthy"
    assert deps.get("keys-init") == "service_completed_successfully"
    assert env.get(f"{ENV_PREFIX}KAFKA_BOOTSTRAP") == "kafka:9092"
    assert env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == "http://otel-collector:4318"
    keys_dir = env.get(f"{ENV_PREFIX}KEYS_DIR")
    assert keys_dir, f"{spec.name}: {ENV_PREFIX}KEYS_DIR is not set"
    _assert_only_its_own_keys(spec.name, service, keys_dir)
    healthcheck = service.get("healthcheck") or {}
    assert not healthcheck.get("disable"), f"{spec.name} has no healthcheck"
    test = healthcheck.get("test")
    text = test if isinstance(test, str) else " ".join(str(t) for t in test or [])
    assert "/readyz" in text, f"{spec.name}: the healthcheck does not ask /readyz"
    assert "curl" not in text and "wget" not in text, "python:3.11-slim has neither curl nor wget"


@pytest.mark.parametrize("spec", PROCESSES, ids=lambda s: s.name)
def test_database_backed_processes_get_the_postgres_server(spec: ProcessSpec) -> None:
    service = SERVICES[spec.name]
    env = _env(service)
    own = f"{ENV_PREFIX}{spec.name.upper()}_DATABASE_URL"
    assert f"{ENV_PREFIX}DATABASE_URL" not in env, f"{spec.name}: no server-wide URL (it names the superuser)"
    url = env.get(own)
    if not spec.has_database:
        assert url is None, f"{spec.name} has no database but is given {own}"
        return
    assert url, f"{spec.name} needs {own}"
    parts = urlsplit(_interpolate(url))
    assert parts.scheme == "postgresql+asyncpg"
    assert parts.hostname == "postgres"
    assert parts.port == 5432
    prefix = ExchangeSettings.model_fields["database_prefix"].default
    assert parts.path == f"/{prefix}{spec.name}", "its own database"
    assert parts.username == f"{prefix}{spec.name}", "as its own least-privilege role (deploy/postgres/init.sql)"
    assert parts.password, "the password comes from ${POSTGRES_SERVICE_PASSWORD:-...}"
    assert _depends_on(service).get("postgres") == "service_healthy"


def test_every_python_m_container_is_a_process() -> None:
    modules = {spec.module: spec for spec in PROCESSES}
    for name in _python_m_services():
        module = _command(SERVICES[name])[2]
        assert module in modules, f"compose service {name!r} runs {module!r}, which is not in PROCESSES"
        assert modules[module].name == name, f"{module!r} runs as {name!r}, not as {modules[module].name!r}"


# ── the onething CLI used by keys-init and demo ──────────────────────────────────────────────────


def test_keys_init_and_demo_use_the_cli() -> None:
    assert {"keys-init", "demo"} <= set(_onething_services())
    keys_init = _command(SERVICES["keys-init"])
    assert keys_init[:2] == ["onething", "keys"]
    assert "--dir" in keys_init, "keys-init must say where the keys go"
    keys_dir = keys_init[keys_init.index("--dir") + 1]
    assert _volume_mounts(SERVICES["keys-init"]).get(keys_dir) == "keys"
    assert "keys" in (COMPOSE.get("volumes") or {}), "the shared `keys` volume is not declared"

    demo = SERVICES["demo"]
    assert "demo" in (demo.get("profiles") or []), "the demo runs only under the `demo` profile"
    assert _depends_on(demo).get("intake") == "service_healthy"
    argv = _command(demo)
    assert "--intake-url" in argv
    intake_url = urlsplit(argv[argv.index("--intake-url") + 1])
    assert (intake_url.hostname, intake_url.port) == ("intake", SPECS["intake"].default_port)


@pytest.mark.parametrize("name", _onething_services())
def test_onething_commands_are_accepted_by_the_cli_parser(name: str) -> None:
    argv = _command(SERVICES[name])[1:]
    parser = _build_parser()
    assert argv, f"{name} runs `onething` without a subcommand"
    assert argv[0] in _subcommands(parser), f"{name}: `onething {argv[0]}` is not a subcommand"
    try:
        parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports bad arguments by exiting
        pytest.fail(f"{name}: the CLI rejects `onething {shlex.join(argv)}` (exit {exc.code})")


# ── environment variables ────────────────────────────────────────────────────────────────────────


def test_every_onething_variable_is_read_by_the_settings() -> None:
    known = _settings_env_names() | _per_service_overrides()
    # Read by the gateway and the simulators (their own settings) and by `onething keys` (who holds which key).
    assert "gateway_departments" in GatewaySettings.model_fields and "gateway_departments" in SimulatorSettings.model_fields
    known.add(f"{ENV_PREFIX}GATEWAY_DEPARTMENTS")
    for name, service in SERVICES.items():
        for variable in _env(service):
            if variable.startswith(ENV_PREFIX):
                assert variable in known, f"{name}: {variable} is not a setting of ExchangeSettings"


# ── the image ────────────────────────────────────────────────────────────────────────────────────


def test_the_dockerfile_copies_and_installs_every_component() -> None:
    pkgs = _makefile_pkgs()
    assert pkgs, "the Makefile lists no components"
    instructions = _dockerfile_instructions()
    copied: set[str] = set()
    for instruction, args in instructions:
        if instruction in ("COPY", "ADD") and "--from" not in args:
            tokens = [t for t in shlex.split(args) if not t.startswith("--")]
            copied |= {_norm(t) for t in tokens[:-1]}
    installs = [
        shlex.split(args) for instruction, args in instructions if instruction == "RUN" and "pip install" in args
    ]
    assert installs, "the Dockerfile runs no pip install"
    installed = {_norm(t) for tokens in installs for t in tokens}
    assert not ({"-e", "--editable"} & installed), "the image installs the components non-editable"
    for pkg in pkgs:
        assert (ROOT / pkg / "pyproject.toml").is_file(), f"PKGS lists {pkg}, which has no pyproject.toml"
        assert pkg in copied or "." in copied, f"the Dockerfile does not copy {pkg}"
        assert pkg in installed, f"the Dockerfile does not pip install ./{pkg}"


def test_the_image_runs_as_a_non_root_user_with_the_cli_as_default() -> None:
    instructions = _dockerfile_instructions()
    froms = [args for instruction, args in instructions if instruction == "FROM"]
    assert froms and froms[-1].split()[0] == "python:3.11-slim"
    users = [args.split(":", 1)[0] for instruction, args in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must end as a non-root user"
    cmds = [args for instruction, args in instructions if instruction == "CMD"]
    assert cmds and json.loads(cmds[-1]) == ["onething", "--help"]
    assert all(instruction != "HEALTHCHECK" for instruction, _ in instructions), "compose defines health checks"


def test_the_dockerignore_keeps_local_state_out() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".venv", ".git", ".onething"):
        assert required in patterns, f".dockerignore does not exclude {required}"


# ── infrastructure ───────────────────────────────────────────────────────────────────────────────


def test_kafka_never_auto_creates_topics_and_fits_one_broker() -> None:
    env = _env(SERVICES["kafka"])
    assert env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "").lower() == "false", "services create topics at start-up"
    assert "broker" in env.get("KAFKA_PROCESS_ROLES", "") and "controller" in env.get("KAFKA_PROCESS_ROLES", "")
    assert env.get("KAFKA_ADVERTISED_LISTENERS") == "PLAINTEXT://kafka:9092"
    for variable in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    ):
        assert int(env.get(variable, "3")) <= KAFKA_BROKERS, f"{variable} exceeds the single broker"
    assert int(env.get("KAFKA_DEFAULT_REPLICATION_FACTOR", "1")) <= KAFKA_BROKERS
    healthcheck = SERVICES["kafka"].get("healthcheck") or {}
    assert "kafka-topics.sh" in json.dumps(healthcheck.get("test")), "kafka is healthy once it lists topics"


def test_every_registry_topic_can_be_created_on_the_single_broker() -> None:
    legal = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
    for spec in ALL_TOPICS:
        assert legal.match(spec.name), f"illegal Kafka topic name {spec.name!r}"
        assert spec.partitions >= 1
        configs = spec.kafka_configs()
        assert int(configs.get("min.insync.replicas", "1")) <= KAFKA_BROKERS, spec.name


def test_postgres_is_healthchecked_and_creates_the_service_databases() -> None:
    postgres = SERVICES["postgres"]
    env = _env(postgres)
    assert env.get("POSTGRES_PASSWORD", "").startswith("${POSTGRES_PASSWORD"), "the password comes from the env"
    assert "pg_isready" in json.dumps((postgres.get("healthcheck") or {}).get("test"))
    mounts = _volume_mounts(postgres)
    init = [source for target, source in mounts.items() if target.startswith("/docker-entrypoint-initdb.d")]
    assert init and _norm(init[0]) == "deploy/postgres/init.sql"
    sql = (ROOT / "deploy/postgres/init.sql").read_text(encoding="utf-8")
    assert "\\set prefix onething_" in sql and ExchangeSettings.model_fields["database_prefix"].default == "onething_"
    for spec in PROCESSES:  # each service's database and role (tests/integration/test_database_roles.py runs it)
        if spec.has_database:
            assert f"('{spec.name}')" in sql, f"init.sql lacks {spec.name}"
    assert "POSTGRES_SERVICE_PASSWORD" in env, "the roles' password reaches init.sql"


def test_traces_flow_from_the_services_through_the_collector_to_jaeger() -> None:
    collector = SERVICES["otel-collector"]
    mounts = _volume_mounts(collector)
    assert any(_norm(source) == "deploy/otel/collector.yaml" for source in mounts.values())
    assert "jaeger" in SERVICES
    assert _env(SERVICES["jaeger"]).get("COLLECTOR_OTLP_ENABLED", "").lower() == "true"
    config = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text(encoding="utf-8"))
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["http"]["endpoint"].endswith(":4318") and protocols["grpc"]["endpoint"].endswith(":4317")
    traces = config["service"]["pipelines"]["traces"]
    assert "otlp" in traces["receivers"] and "batch" in traces["processors"]
    exporters = {name: config["exporters"][name] for name in traces["exporters"]}
    assert any(e and e.get("endpoint") == "jaeger:4317" for e in exporters.values()), "no exporter to Jaeger"
    assert "debug" in exporters


def test_prometheus_scrapes_every_process_on_its_port() -> None:
    prometheus = SERVICES["prometheus"]
    mounts = _volume_mounts(prometheus)
    assert any(_norm(source) == "deploy/prometheus/prometheus.yml" for source in mounts.values())
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    targets = {target for job in config["scrape_configs"] if job.get("metrics_path", "/metrics") == "/metrics"
               for group in job["static_configs"] for target in group["targets"]}
    assert targets == {f"{spec.name}:{spec.default_port}" for spec in PROCESSES}
