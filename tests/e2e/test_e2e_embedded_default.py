"""The embedded default (tansu + one SQLite file per service) runs a case end to end."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from onething.demo import run_demo
from onething.processes import PROCESSES
from onething.system import System, SystemConfig

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_one_case_end_to_end_on_sqlite(tmp_path: Path, fast_groups: dict[str, str]) -> None:
    data_dir = tmp_path / "embedded"
    with System(SystemConfig(data_dir=data_dir, free_ports=True, env=fast_groups)) as system:
        assert system.broker is not None, "no Kafka configured: the embedded broker runs"
        result = asyncio.run(run_demo(system.url("intake"), system.bootstrap, 1, seed=5, timeout_s=120, quiet=True,
                                      tokens=system.tokens))
        assert result.ok, f"deliveries={dict(result.deliveries)}"
    # Personal data and keys are the operating user's alone (个人信息保护): no group or other access anywhere.
    assert data_dir.stat().st_mode & 0o777 == 0o700
    loose = [p for p in data_dir.rglob("*") if p.stat().st_mode & 0o077]
    assert not loose, [(str(p.relative_to(data_dir)), oct(p.stat().st_mode & 0o777)) for p in loose]
    for spec in PROCESSES:
        if spec.has_database:
            db = data_dir / f"{spec.name}.db"
            assert db.exists(), f"{spec.name} keeps its own SQLite file"
            if spec.name == "gateway":
                continue  # serves no department unless ONETHING_GATEWAY_DEPARTMENTS lists some: nothing to consume
            with sqlite3.connect(db) as conn:
                assert conn.execute("SELECT count(*) FROM processed_event").fetchone()[0] > 0
