"""``onething chaos kill-broker``, short form: 50 cases on the embedded default while the embedded broker is
SIGKILLed and restarted empty on its port. On a system of its own: nothing that runs after it depends on broker
recovery, and it runs beside the other short forms (``test_e2e_chaos.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from onething.system import System

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_kill_broker_loses_nothing_and_duplicates_nothing(
    embedded_system: System, scenario_passes: Callable[[System, str, int], None]
) -> None:
    scenario_passes(embedded_system, "kill-broker", 50)
