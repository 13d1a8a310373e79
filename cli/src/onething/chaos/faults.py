"""Fault injectors (故障注入器), one small function per kind of fault, each returning what it did.

They only break things; the system must heal by itself: a killed process is restarted by the
supervisor (``onething up``/``System``), dropped database connections are reopened by the services,
refused connections are waited out, a department's silence is met by re-sends, and poison records are
dead-lettered while everything else carries on.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from contracts.topics import ALL_TOPICS
from exchange.access.roles import Role
from exchange.ed25519 import SigningKey
from exchange.signing import Signer
from onething.chaos.target import Target
from onething.submit import send_patiently

__all__ = ["NotAvailable", "department_fault", "kill", "poison", "probe_department_faults",
           "refuse_connections", "terminate_connections"]


class NotAvailable(RuntimeError):
    """The system lacks what the fault needs (e.g. the simulators have no fault modes)."""


# -- processes -------------------------------------------------------------------------------------------

async def kill(target: Target, name: str, after_s: float, restart_timeout_s: float = 120.0) -> str:
    """SIGKILL ``name`` after ``after_s`` and wait until its supervisor has started it again."""
    await asyncio.sleep(after_s)
    pid = target.pid_of(name)
    if pid is None:
        raise NotAvailable(f"{name} has no pid to kill (is it started by this system?)")
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + restart_timeout_s
    while target.pid_of(name) in (pid, None):
        if time.monotonic() > deadline:
            return f"SIGKILL {name} (pid {pid}) after {after_s:.1f}s; NOT restarted within {restart_timeout_s:.0f}s"
        await asyncio.sleep(0.2)
    return f"SIGKILL {name} (pid {pid}) after {after_s:.1f}s; restarted as pid {target.pid_of(name)}"


# -- PostgreSQL ------------------------------------------------------------------------------------------

def _admin_engine(target: Target) -> AsyncEngine:
    if not target.database_url or not target.databases:
        raise NotAvailable("needs PostgreSQL (--database-url)")
    return create_async_engine(make_url(target.database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")


_TERMINATE = text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                  "WHERE datname = ANY(:names) AND pid <> pg_backend_pid()")


async def terminate_connections(target: Target, for_s: float, every_s: float = 1.0, after_s: float = 0.5) -> str:
    """``pg_terminate_backend`` every connection of every service, every ``every_s`` for ``for_s``."""
    await asyncio.sleep(after_s)
    engine, killed, rounds = _admin_engine(target), 0, 0
    try:
        async with engine.connect() as conn:
            deadline = time.monotonic() + for_s
            while time.monotonic() < deadline:
                killed += int((await conn.execute(_TERMINATE, {"names": target.databases})).scalar_one())
                rounds += 1
                await asyncio.sleep(every_s)
    finally:
        await engine.dispose()
    return f"terminated {killed} service connections in {rounds} rounds over {for_s:.0f}s"


async def refuse_connections(target: Target, for_s: float, after_s: float = 0.5) -> str:
    """A database outage: ``ALLOW_CONNECTIONS false`` on every service database and its connections
    terminated, for ``for_s``; then connections are allowed again (always, even if this is cancelled)."""
    await asyncio.sleep(after_s)
    engine = _admin_engine(target)

    async def allow(conn: Any, yes: bool) -> None:
        for name in target.databases:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if yes else "false"}'))

    try:
        async with engine.connect() as conn:
            try:
                await allow(conn, False)
                deadline = time.monotonic() + for_s
                while time.monotonic() < deadline:  # connections opened before the ALTER go too
                    await conn.execute(_TERMINATE, {"names": target.databases})
                    await asyncio.sleep(1.0)
            finally:
                await asyncio.shield(allow(conn, True))
    finally:
        await engine.dispose()
    return f"databases refused connections for {for_s:.0f}s, then allowed them"


# -- departments -----------------------------------------------------------------------------------------

async def _set_department_faults(target: Target, operator: httpx.Auth, mode: str) -> httpx.Response:
    """``POST /faults`` as an operator, on a fresh connection, sent again while the simulators cannot be reached
    (a loaded machine, a restarting process): the mode must be set, and above all set back."""
    async with httpx.AsyncClient(base_url=target.urls["simulators"], timeout=30, auth=operator) as client:
        answer, _ = await send_patiently(client, "POST", "/faults", json={"mode": mode}, patience_s=60)
    return answer


async def probe_department_faults(target: Target) -> None:
    """Raise :class:`NotAvailable` unless the simulators take ``POST /faults``."""
    answer = await _set_department_faults(target, target.tokens.staff(Role.OPERATOR), "none")
    if answer.status_code in (404, 405):
        raise NotAvailable("the department simulators have no POST /faults (部门模拟器不支持故障模式)")
    answer.raise_for_status()


async def department_fault(target: Target, mode: str, for_s: float, after_s: float = 0.5) -> str:
    """Every simulated department in fault ``mode`` (silent, slow, errors) for ``for_s``, then healthy again."""
    operator = target.tokens.staff(Role.OPERATOR)
    await asyncio.sleep(after_s)
    (await _set_department_faults(target, operator, mode)).raise_for_status()
    try:
        await asyncio.sleep(for_s)
    finally:
        (await asyncio.shield(_set_department_faults(target, operator, "none"))).raise_for_status()
    return f"departments {mode} for {for_s:.0f}s"


# -- poison records --------------------------------------------------------------------------------------

def _envelope(event_type: str, source: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    event_id = str(uuid.uuid4())
    return {"id": event_id, "type": event_type, "version": 1, "source": source, "subject": subject,
            "time": datetime.now(UTC).isoformat(), "correlation_id": event_id, "data": data}


def poison_records(topic: str, event_type: str, target: Target, rng: random.Random) -> list[tuple[str, bytes]]:
    """(what, bytes) of every kind of bad record for one topic: malformed, oversized, unsigned, wrongly signed,
    misaddressed. None names a case of the run, so a forgery that got through would show as a new case."""
    case = f"OTCHAOS{rng.getrandbits(48):012X}"
    data = {"case_id": case, "department": "police", "item_code": "P-01-03", "outcome": "approved"}
    unsigned = _envelope(event_type, "intake", case, data)
    forged = Signer("dispatch", SigningKey.generate()).sign_envelope(_envelope(event_type, "dispatch", case, data))
    # Signed by a real department, but a department's answer about another department's item, on a topic
    # that does not carry it (or, on the results topic, claiming to be police).
    misaddressed = target.keyring.signer("dept.health").sign_envelope(
        _envelope("department.result.returned", "dept.health", case, data))
    return [
        ("malformed", b"{\"id\": not json"),
        ("malformed", b"\xff\xfe\x00binary"),
        ("oversized", json.dumps({**unsigned, "data": {**data, "blob": "x" * 900_000}}).encode()),
        ("unsigned", json.dumps(unsigned).encode()),
        ("wrongly signed", json.dumps(forged).encode()),
        ("misaddressed", json.dumps(misaddressed).encode()),
    ]


async def poison(target: Target, rng: random.Random, rounds: int = 3, every_s: float = 2.0,
                 after_s: float = 0.5) -> str:
    """Publish every kind of bad record on every topic, ``rounds`` times while the batch runs."""
    await asyncio.sleep(after_s)
    producer = AIOKafkaProducer(bootstrap_servers=target.bootstrap, max_request_size=2 * 1024 * 1024)
    await producer.start()
    sent, refused = 0, 0
    try:
        for n in range(rounds):
            for spec in ALL_TOPICS:
                event_type = spec.event_types[0] if spec.event_types else "intake.case.delivered"
                for what, value in poison_records(spec.name, event_type, target, rng):
                    if what == "oversized" and n > 0:  # one ~1 MB record per topic is the point; more is load
                        continue
                    try:
                        await producer.send_and_wait(spec.name, value, key=f"OTCHAOS{n}".encode())
                        sent += 1
                    except KafkaError:  # e.g. the broker refuses the oversized one: a refusal is fine too
                        refused += 1
            await asyncio.sleep(every_s)
    finally:
        await producer.stop()
    return f"{sent} poison records on {len(ALL_TOPICS)} topics ({refused} refused by the broker)"
