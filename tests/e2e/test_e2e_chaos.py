"""``onething chaos``, short form: every scenario that kills a process, with 50 cases on one system (the
embedded default: tansu and SQLite), each judged on its own batch: nothing lost, no effect duplicated. The
department and record scenarios run on a system of their own (``test_e2e_chaos_departments.py``), so the two
files run side by side on two test workers; kill-broker too (``test_e2e_chaos_broker.py``): the embedded broker
keeps nothing, so what ran after it on the same system would depend on broker recovery too. The database
scenarios run on PostgreSQL: ``test_e2e_chaos_database.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from onething.chaos.scenarios import SCENARIOS
from onething.cli import main
from onething.system import System

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CASES = 50
ORDER = [n for n in SCENARIOS if n.startswith("kill-") and n not in ("kill-simulators", "kill-broker")]


def test_the_command_attaches_to_the_running_system_and_prints_one_line(
    embedded_system: System, capsys: pytest.CaptureFixture[str]
) -> None:
    # kill-simulators through the command line: it finds the system through
    # system.json, and the supervisor restarts what it kills. (Ratings, which `onething chaos` makes by
    # default, are left out to save time.)
    with pytest.raises(SystemExit) as exit_:
        main(["chaos", "kill-simulators", "--cases", str(CASES), "--seed", "5", "--bundle", "P-01", "--no-ratings",
              "--data-dir", str(embedded_system.config.data_dir)])
    out, err = capsys.readouterr()
    assert exit_.value.code == 0, out + err
    assert out.splitlines() == [f"chaos kill-simulators: submitted {CASES}, delivered {CASES}, lost 0, duplicated effects 0"]
    assert "SIGKILL simulators" in err and "restarted as pid" in err


@pytest.mark.parametrize("name", ORDER)
def test_a_scenario_loses_nothing_and_duplicates_nothing(
    embedded_system: System, scenario_passes: Callable[[System, str, int], None], name: str
) -> None:
    scenario_passes(embedded_system, name, CASES)
