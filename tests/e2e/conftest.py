"""The whole system as separate processes, on the real broker, for end-to-end tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from exchange.testing.spans import SpanSink
from onething.chaos.runner import run_scenario
from onething.chaos.scenarios import SCENARIOS
from onething.chaos.target import Target
from onething.cli import _system_config, build_parser
from onething.system import System, SystemConfig, drop_databases

# The embedded broker makes a consumer's first group join wait half the session timeout, and a consumer that
# rejoins after another member of its group left (a restart, a killed process) wait twice it (it does not act on
# LeaveGroup; benchmarks/group_join.py: 4 s sessions, 2 s and 8 s): 2 s sessions, as the exchange tests use.
FAST_GROUPS = {"ONETHING_KAFKA_SESSION_TIMEOUT_MS": "2000", "ONETHING_KAFKA_HEARTBEAT_INTERVAL_MS": "300",
               "ONETHING_CLOCK_CONTROL": "true"}  # the late-case test moves the supervision clock


@pytest.fixture(scope="module")
def span_sink() -> Iterator[SpanSink]:
    sink = SpanSink()
    yield sink
    sink.close()


@pytest.fixture(scope="module")
def postgres_system(postgres_url: str, tmp_path_factory: pytest.TempPathFactory, span_sink: SpanSink) -> Iterator[System]:
    """Every process on PostgreSQL (one database each) and a broker of its own: the tests read whole topics
    and check every signature and chain on them, so no other test's messages may be there. Their spans are
    exported to ``span_sink``."""
    prefix = f"ot_e2e_{uuid.uuid4().hex[:8]}_"
    system = System(SystemConfig(
        data_dir=tmp_path_factory.mktemp("system"), kafka_bootstrap=None, database_url=postgres_url,
        database_prefix=prefix, free_ports=True,
        env={**FAST_GROUPS, "OTEL_EXPORTER_OTLP_ENDPOINT": span_sink.endpoint},
    ))
    try:
        system.start()
        yield system
    finally:
        system.stop()
        asyncio.run(drop_databases(postgres_url, system.database_names()))


@pytest.fixture(scope="module")
def cli_system(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, str]]:
    """The system as ``onething up`` configures it from the environment (PostgreSQL and a database prefix set
    there, the data dir after the command), on free ports; with the prefix it was given."""
    prefix = f"ot_cli_{uuid.uuid4().hex[:8]}_"
    data_dir = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ONETHING_DATABASE_URL", postgres_url)
        env.setenv("ONETHING_DATABASE_PREFIX", prefix)
        env.delenv("ONETHING_KAFKA_BOOTSTRAP", raising=False)
        config = _system_config(build_parser().parse_args(["up", "--data-dir", str(data_dir)]))
        system = System(replace(config, free_ports=True, env={**config.env, **FAST_GROUPS}))
        try:
            system.start()  # the processes take their environment from this one, as it is now
        except BaseException:
            asyncio.run(drop_databases(postgres_url, system.database_names()))
            raise
    try:
        yield system, prefix
    finally:
        system.stop()
        asyncio.run(drop_databases(postgres_url, system.database_names()))


@pytest.fixture
def fast_groups() -> dict[str, str]:
    return dict(FAST_GROUPS)


@pytest.fixture(scope="module")
def embedded_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The embedded default for the chaos short forms. Departments silenced by dept-* are asked again after
    3 s, not the default 30 s (应答时限): the same healing, in a short form's time."""
    env = {**FAST_GROUPS, "ONETHING_DISPATCH_ANSWER_TIMEOUT_S": "3"}
    with System(SystemConfig(data_dir=tmp_path_factory.mktemp("chaos"), free_ports=True, env=env)) as system:
        yield system


ScenarioCheck = Callable[[System, str, int], None]


@pytest.fixture
def scenario_passes() -> ScenarioCheck:
    return _scenario_passes


def _scenario_passes(system: System, name: str, cases: int) -> None:
    """One ``onething chaos`` scenario with a batch of ``cases`` P-01 applications (not rated): every case
    delivered, nothing lost, no effect duplicated."""
    outcome = asyncio.run(run_scenario(Target.of_system(system), SCENARIOS[name], cases=cases, seed=13,
                                       timeout_s=240, bundles=["P-01"], rate=False))
    assert outcome.not_run is None, outcome.line()
    assert outcome.error is None, outcome.error
    assert outcome.line() == f"chaos {name}: submitted {cases}, delivered {cases}, lost 0, duplicated effects 0", \
        "\n".join([outcome.line(), *outcome.details()])
