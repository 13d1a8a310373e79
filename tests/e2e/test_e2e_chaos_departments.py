"""``onething chaos``, short form: the department scenarios (silent, slow, failing) and poison records on every
topic, 50 cases each on one system of their own (the embedded default), each judged on its own batch: nothing
lost, no effect duplicated. Beside ``test_e2e_chaos.py``, which kills processes on another system.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from onething.chaos.scenarios import SCENARIOS
from onething.system import System

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CASES = 50
ORDER = [n for n in SCENARIOS if n.startswith("dept-") or n == "poison"]


@pytest.mark.parametrize("name", ORDER)
def test_a_department_or_poison_scenario_loses_nothing_and_duplicates_nothing(
    embedded_system: System, scenario_passes: Callable[[System, str, int], None], name: str
) -> None:
    scenario_passes(embedded_system, name, CASES)
