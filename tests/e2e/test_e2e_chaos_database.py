"""``onething chaos``, short form, the database scenarios: 50 cases each on the whole system on PostgreSQL
while every service's connections are terminated again and again (db-connections), or while the databases
refuse connections for a while (db-outage). Nothing lost, no effect duplicated.
"""

from __future__ import annotations

import asyncio

import pytest

from onething.chaos.runner import run_scenario
from onething.chaos.scenarios import SCENARIOS
from onething.chaos.target import Target
from onething.system import System

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CASES = 50


@pytest.mark.parametrize("name", ["db-connections", "db-outage"])
def test_a_database_scenario_loses_nothing_and_duplicates_nothing(postgres_system: System, name: str) -> None:
    target = Target.of_system(postgres_system)
    assert target.databases, "the services' PostgreSQL databases are known"
    outcome = asyncio.run(run_scenario(target, SCENARIOS[name], cases=CASES, seed=13, timeout_s=240,
                                       bundles=["P-01"], rate=False))
    assert outcome.not_run is None and outcome.error is None, outcome.line()
    assert outcome.line() == f"chaos {name}: submitted {CASES}, delivered {CASES}, lost 0, duplicated effects 0", \
        "\n".join([outcome.line(), *outcome.details()])
