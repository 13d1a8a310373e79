"""``onething chaos`` without a system: the scenarios it knows, what a scenario needs, how an outcome reads,
and the poison records (each kind fails where a consumer must refuse it)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from contracts.envelope import Envelope, EnvelopeError
from exchange.errors import SignatureInvalid
from onething.chaos.counting import Tally
from onething.chaos.faults import poison_records
from onething.chaos.runner import Outcome
from onething.chaos.scenarios import SCENARIOS, resolve
from onething.chaos.target import Target
from onething.processes import PROCESSES


def target(keys_dir: Path, databases: list[str] | None = None) -> Target:
    data_dir = keys_dir.parent / f"{keys_dir.name}-data"  # what the target reads as <data dir>/keys
    data_dir.mkdir(exist_ok=True)
    if not (data_dir / "keys").exists():
        (data_dir / "keys").symlink_to(keys_dir)
    return Target(data_dir=data_dir, bootstrap="127.0.0.1:9", urls={}, pid_of=lambda _: None,
                  database_url="postgresql+asyncpg://x@127.0.0.1/postgres" if databases else None,
                  databases=databases or [], embedded_broker=False)


def test_every_scenario_the_issue_names_is_there_and_all_runs_them_with_kill_broker_last() -> None:
    expected = {f"kill-{p.name}" for p in PROCESSES} | {"kill-broker", "db-connections", "db-outage", "dept-silent",
                                                         "dept-slow", "dept-errors", "poison"}
    assert set(SCENARIOS) == expected
    assert [s.name for s in resolve(["all"])][-1] == "kill-broker"
    assert [s.name for s in resolve(["poison", "kill-intake", "poison"])] == ["poison", "kill-intake"]
    with pytest.raises(KeyError, match="kill-nothing"):
        resolve(["kill-nothing"])


def test_a_scenario_says_why_it_cannot_run(keys_dir: Path) -> None:
    on_sqlite = target(keys_dir)
    assert asyncio.run(SCENARIOS["db-outage"].unavailable(on_sqlite)).startswith("skipped: needs PostgreSQL")  # type: ignore[union-attr]
    assert asyncio.run(SCENARIOS["kill-broker"].unavailable(on_sqlite)).startswith("skipped: needs the embedded")  # type: ignore[union-attr]
    assert asyncio.run(SCENARIOS["db-outage"].unavailable(target(keys_dir, ["onething_intake"]))) is None
    assert asyncio.run(SCENARIOS["kill-dispatch"].unavailable(on_sqlite)) is None


def test_an_outcome_reads_as_one_line_and_fails_only_when_it_ran() -> None:
    ok = Outcome("poison", Tally(50, 50, ()))
    assert ok.line() == "chaos poison: submitted 50, delivered 50, lost 0, duplicated effects 0" and not ok.failed
    lost = Outcome("kill-broker", Tally(50, 43, tuple(f"C{n}" for n in range(7))))
    assert lost.failed and "lost: C0, C1" in "\n".join(lost.details())
    skipped = Outcome("db-outage", not_run="skipped: needs PostgreSQL")
    assert skipped.line() == "chaos db-outage: skipped: needs PostgreSQL" and not skipped.failed
    broke = Outcome("db-connections", error="the batch broke: IntakeRefused")
    assert broke.failed and broke.line() == "chaos db-connections: failed to run: the batch broke: IntakeRefused"
    assert json.loads(json.dumps(lost.as_json()))["lost"] == [f"C{n}" for n in range(7)]


def test_each_poison_record_is_refused_where_it_should_be(keys_dir: Path) -> None:
    records = dict(poison_records("exchange.dept.results", "department.result.returned", target(keys_dir),
                                  random.Random(1)))
    assert len(records) == 5  # the two malformed ones share a name; the last one kept
    keyring = target(keys_dir).keyring
    for what in ("malformed",):
        with pytest.raises(EnvelopeError):
            Envelope.from_bytes(records[what])
    assert len(records["oversized"]) > 800_000
    for what in ("unsigned", "wrongly signed"):
        _, wire = Envelope.from_bytes(records[what])
        with pytest.raises(SignatureInvalid):
            keyring.verify_envelope(wire)
    env, wire = Envelope.from_bytes(records["misaddressed"])
    keyring.verify_envelope(wire)  # properly signed by a department …
    assert env.source == "dept.health" and env.data["department"] == "police"  # … about another's item
    assert env.subject.startswith("OTCHAOS")  # a case no one submitted
