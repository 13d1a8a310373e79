"""The embedded broker killed with cases in flight and started again empty on the same port (消息代理数据丢失):
every case completes exactly once, and a case submitted right after the restart completes too.

The broker keeps nothing, so this is the recovery of :mod:`exchange.recovery`: the services see a new broker
epoch, re-create the topics, re-publish their outboxes and restart their consumers. Effects are counted where
they are made, in the services' outboxes (distinct event ids per case), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from exchange.access.roles import Role
from exchange.broker import _port_open
from onething.applicants import applicant_identity, application_for
from onething.submit import one_time_notice, submit_application, supply_deferred
from onething.system import System, SystemConfig, drop_databases
from onething.tokens import SystemTokens

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CASES = 30  # submitted at once: most are in flight when the broker is killed
RECOVERY_ENV = {
    "ONETHING_SIM_CORRECTION_RATE": "0",  # no applicant here answers a correction notice
    "ONETHING_BROKER_EPOCH_CHECK_MS": "1000",
}


async def _submit(intake_url: str, tokens: SystemTokens, count: int, tag: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=intake_url, timeout=30.0) as client:
        notice = await one_time_notice(client, "P-01")

        async def one(n: int) -> str:
            async with limit:
                body = application_for(notice, rng, n, applicant_id=applicant_identity(notice, rng))
                actor = tokens.submitter(body)
                case = await submit_application(client, body, idempotency_key=f"{tag}-{n}-{uuid.uuid4()}", auth=actor)
                await supply_deferred(client, case, actor)
                return str(case["case_id"])

        return list(await asyncio.gather(*(one(n) for n in range(count))))


async def _statuses(intake_url: str, tokens: SystemTokens, cases: list[str]) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=intake_url, timeout=30.0, auth=tokens.staff(Role.CLERK)) as client:
        return {c: str((await client.get(f"/cases/{c}")).json()["status"]) for c in cases}


def _statuses_once_delivered(intake_url: str, tokens: SystemTokens, cases: list[str], timeout_s: float = 300
                             ) -> dict[str, str]:
    """The cases' statuses once all are delivered, or at the deadline (generous: a loaded machine; the tests
    never assert a duration)."""
    deadline = time.monotonic() + timeout_s
    while True:
        statuses = asyncio.run(_statuses(intake_url, tokens, cases))
        if all(s == "delivered" for s in statuses.values()) or time.monotonic() > deadline:
            return statuses
        time.sleep(1.0)


async def _events(url: str) -> list[tuple[str, dict[str, Any]]]:
    """(event id, envelope) of every row of a service's outbox. The shared PostgreSQL may refuse a connection
    for a moment (too many clients: other test systems run beside this one), so a refusal is asked again."""
    engine = create_async_engine(url)
    try:
        for attempt in range(60):
            try:
                async with engine.connect() as conn:
                    rows = (await conn.execute(text("SELECT event_id, envelope FROM outbox"))).all()
                break
            except DBAPIError:
                if attempt == 59:
                    raise
                await asyncio.sleep(1.0)
    finally:
        await engine.dispose()
    return [(str(event_id), envelope if isinstance(envelope, dict) else json.loads(envelope))
            for event_id, envelope in rows]


def _effects(events: list[tuple[str, dict[str, Any]]], event_type: str) -> Counter[tuple[str, ...]]:
    """How many distinct events of ``event_type`` a service made, per case."""
    seen = {(event_id, (env["subject"],)) for event_id, env in events if env["type"] == event_type}
    return Counter(key for _, key in seen)


def _kill_broker_and_wait_for_its_restart(system: System, timeout_s: float = 60) -> None:
    """SIGKILL the embedded broker; the system's supervisor starts an empty one on the same port."""
    broker = system.broker
    old_pid = system.pid("broker")
    assert broker is not None and old_pid is not None
    os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while system.pid("broker") in (old_pid, None) or not _port_open("127.0.0.1", broker.port):
        assert time.monotonic() < deadline, "the broker was not restarted"
        time.sleep(0.1)


def _database_url(system: System, service: str, postgres_url: str | None, prefix: str) -> str:
    if postgres_url is None:
        return f"sqlite+aiosqlite:///{system.data_dir / f'{service}.db'}"
    return make_url(postgres_url).set(database=f"{prefix}{service}").render_as_string(hide_password=False)


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_cases_in_flight_complete_once_after_the_broker_lost_its_data(
    store: str, tmp_path: Path, postgres_url: str, fast_groups: dict[str, str]
) -> None:
    server = postgres_url if store == "postgresql" else None
    prefix = f"ot_epoch_{uuid.uuid4().hex[:8]}_"
    system = System(SystemConfig(
        data_dir=tmp_path / "system", database_url=server, database_prefix=prefix if server else None,
        free_ports=True, env={**fast_groups, **RECOVERY_ENV},
    ))
    try:
        system.start()
        intake = system.url("intake")
        before = asyncio.run(_submit(intake, system.tokens, CASES, "before", seed=13))
        _kill_broker_and_wait_for_its_restart(system)
        at_kill = Counter(asyncio.run(_statuses(intake, system.tokens, before)).values())
        assert at_kill["delivered"] < CASES, f"nothing was in flight when the broker was killed: {at_kill}"
        after = asyncio.run(_submit(intake, system.tokens, 1, "after", seed=14))  # on the emptied broker, before recovery
        cases = before + after

        statuses = _statuses_once_delivered(intake, system.tokens, cases)
        assert not system.dead(), system.describe_death(system.dead())
        stuck = {c: s for c, s in statuses.items() if s != "delivered"}
        assert not stuck, f"{len(stuck)} of {len(cases)} not delivered (at the kill: {dict(at_kill)}): {stuck}"
        time.sleep(3.0)  # a repeat would have its effect by now

        intake_events = asyncio.run(_events(_database_url(system, "intake", server, prefix)))
        licence_events = asyncio.run(_events(_database_url(system, "licence", server, prefix)))
        deliveries = _effects(intake_events, "intake.case.delivered")
        notices = _effects(intake_events, "intake.case.notified")
        # A licence is announced on two topics, one envelope each: counted by its licence id.
        licences: dict[tuple[str, str], set[str]] = {}
        for _, env in licence_events:
            if env["type"] == "licence.licence.issued":  # in the licence service's outbox: the archive's event
                licences.setdefault((env["subject"], env["data"]["item_code"]), set()).add(env["data"]["licence_id"])
        assert {c: deliveries[(c,)] for c in cases} == dict.fromkeys(cases, 1)
        assert {c: notices[(c,)] for c in cases} == dict.fromkeys(cases, 1)
        assert licences and all(len(ids) == 1 for ids in licences.values()), {k: v for k, v in licences.items()
                                                                               if len(v) != 1}
        assert {case for case, _ in licences} <= set(cases)

        logs = "\n".join(p.log_path.read_text(errors="replace") for p in system.processes.values())
        for spec in ("intake", "dispatch", "licence", "supervision", "rating", "simulators"):
            assert f"{spec}: broker epoch changed" in logs, f"{spec} did not see the new broker epoch"
        with httpx.Client(timeout=5.0) as client:
            for name, process in system.processes.items():
                assert client.get(f"{process.url}/readyz").status_code == 200, name
    finally:
        system.stop()
        if server is not None:
            asyncio.run(drop_databases(server, system.database_names()))


def test_cases_in_flight_when_the_whole_system_lost_power_complete_once_when_it_starts_again(
    tmp_path: Path, fast_groups: dict[str, str]
) -> None:
    """断电重启: every process and the embedded broker SIGKILLed at once with cases in flight; ``onething up`` on
    the same data dir keeps the SQLite databases (no ``--fresh``) and the new, empty broker is a new epoch."""
    config = SystemConfig(data_dir=tmp_path / "system", free_ports=True, env={**fast_groups, **RECOVERY_ENV})
    first = System(config)
    try:
        first.start()
        cases = asyncio.run(_submit(first.url("intake"), first.tokens, 20, "before", seed=15))
        at_cut = Counter(asyncio.run(_statuses(first.url("intake"), first.tokens, cases)).values())
    finally:
        first.power_cut()
    assert at_cut["delivered"] < len(cases), f"nothing was in flight at the power cut: {at_cut}"

    with System(config) as second:
        statuses = _statuses_once_delivered(second.url("intake"), second.tokens, cases)
        stuck = {c: s for c, s in statuses.items() if s != "delivered"}
        assert not stuck, f"{len(stuck)} of {len(cases)} not delivered (at the power cut: {dict(at_cut)}): {stuck}"
        time.sleep(3.0)  # a repeat would have its effect by now
        intake_events = asyncio.run(_events(_database_url(second, "intake", None, "")))
        assert {c: _effects(intake_events, "intake.case.delivered")[(c,)] for c in cases} == dict.fromkeys(cases, 1)
        assert {c: _effects(intake_events, "intake.case.notified")[(c,)] for c in cases} == dict.fromkeys(cases, 1)
