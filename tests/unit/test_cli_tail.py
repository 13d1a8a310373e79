"""``onething tail`` on the real broker: ``--limit`` is exact, it stops at the end of the topic unless it
follows, a plain ``tail`` shows the last events, ``--json`` keeps the verdict apart from the envelope's
own ``signature``, and Ctrl-C ends it without a traceback. Each test runs the installed command."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.rating.v1 import RatingLevel, RatingSubmitted
from contracts.topics import TopicSpec
from exchange.broker import free_port
from exchange.kafka.admin import ensure_topics
from exchange.signing import KeyRing

pytestmark = pytest.mark.integration

ONETHING = str(Path(sys.executable).parent / "onething")
# Six events over three partitions, one second apart: case A at 0, 2, 4; case B at 1, 3, and at 5 altered after signing.
CASES = ("case-A", "case-B", "case-A", "case-B", "case-A", "case-B")


def _wire(keyring: KeyRing, case_id: str, n: int, *, tamper: bool = False) -> dict[str, Any]:
    payload = RatingSubmitted(rating_id=f"r-{n}", case_id=case_id, level=RatingLevel.SATISFIED,
                              submitted_at=datetime.now(UTC))
    wire = keyring.signer("tests").sign_envelope(Envelope.wrap(payload, source="tests", subject=case_id).to_wire())
    if tamper:
        wire["data"]["level"] = "very_dissatisfied"
    return wire


async def _produce(bootstrap: str, topic: str, wires: list[dict[str, Any]], first: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        base = int(time.time() * 1000)
        for n, wire in enumerate(wires, start=first):
            await producer.send_and_wait(topic, json.dumps(wire).encode(), key=wire["subject"].encode(),
                                         partition=n % 3, timestamp_ms=base + (n - first) * 1000)
    finally:
        await producer.stop()


@pytest.fixture
async def topic(kafka_bootstrap: str, keyring: KeyRing) -> str:
    name = f"test.tail.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, [TopicSpec(name=name, key="case_id", description_zh="测试主题",
                                                    description_en="test topic", event_types=(), partitions=3)], 3)
    await _produce(kafka_bootstrap, name, [_wire(keyring, c, n, tamper=n == 5) for n, c in enumerate(CASES)], 0)
    return name


@pytest.fixture
def data_dir(tmp_path: Path, keys_dir: Path) -> Path:
    """A data dir with the keys (so signatures are checked) and no running system."""
    shutil.copytree(keys_dir, tmp_path / "keys")
    return tmp_path


def _env(bootstrap: str) -> dict[str, str]:
    return {**os.environ, "ONETHING_KAFKA_BOOTSTRAP": bootstrap}


def onething(bootstrap: str, data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The command run to its end; a command that does not end fails the test after 60 s."""
    return subprocess.run([ONETHING, "--data-dir", str(data_dir), *argv], env=_env(bootstrap),
                          capture_output=True, text=True, timeout=60, check=False)


class Running:
    """A command that keeps running, its output read line by line as it comes."""

    def __init__(self, bootstrap: str, data_dir: Path, *argv: str) -> None:
        self.proc = subprocess.Popen([ONETHING, "--data-dir", str(data_dir), *argv], env=_env(bootstrap),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def read(self, count: int, timeout_s: float = 60) -> list[str]:
        deadline, out = time.monotonic() + timeout_s, []
        while len(out) < count:
            try:
                out.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"read {len(out)} of {count} lines: {out}") from None
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for command in started:
        command.stop()


def test_limit_is_exact(kafka_bootstrap: str, topic: str, data_dir: Path) -> None:
    done = onething(kafka_bootstrap, data_dir, "tail", topic, "--from-beginning", "--limit", "4")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 4, done.stdout


def test_without_follow_it_stops_at_the_end_of_the_topic(kafka_bootstrap: str, topic: str, data_dir: Path) -> None:
    done = onething(kafka_bootstrap, data_dir, "tail", topic, "--from-beginning", "--limit", "20")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 6, lines
    assert sum("[signed-ok]" in line for line in lines) == 5
    [bad] = [line for line in lines if "SIGNATURE-BAD" in line]
    assert "case=case-B" in bad


def test_a_plain_tail_shows_the_last_events_oldest_first(kafka_bootstrap: str, topic: str, data_dir: Path) -> None:
    done = onething(kafka_bootstrap, data_dir, "tail", topic, "--limit", "2", "--json")
    assert done.returncode == 0, done.stderr
    shown = [json.loads(line) for line in done.stdout.splitlines()]
    assert [s["envelope"]["data"]["rating_id"] for s in shown] == ["r-4", "r-5"]


def test_json_keeps_the_verdict_beside_the_envelopes_signature(kafka_bootstrap: str, topic: str, data_dir: Path) -> None:
    done = onething(kafka_bootstrap, data_dir, "tail", topic, "--from-beginning", "--json")
    assert done.returncode == 0, done.stderr
    shown = {s["envelope"]["data"]["rating_id"]: s for s in map(json.loads, done.stdout.splitlines())}
    assert sorted(shown) == [f"r-{n}" for n in range(6)]
    assert {rid: s["verdict"] for rid, s in shown.items()} == {**{f"r-{n}": "signed-ok" for n in range(5)},
                                                                "r-5": "SIGNATURE-BAD"}
    for s in shown.values():  # the envelope is whole: its own signature object is still there
        assert s["envelope"]["signature"]["alg"] == "Ed25519" and s["envelope"]["signature"]["key_id"] == "tests"
        assert s["topic"] == topic and s["partition"] == int(s["envelope"]["data"]["rating_id"][2:]) % 3


def test_case_keeps_one_cases_events(kafka_bootstrap: str, topic: str, data_dir: Path) -> None:
    done = onething(kafka_bootstrap, data_dir, "tail", topic, "--case", "case-A")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and all("case=case-A" in line for line in lines), lines


async def test_follow_waits_for_new_events_and_stops_at_the_limit(
    kafka_bootstrap: str, topic: str, data_dir: Path, keyring: KeyRing, running: list[Running]
) -> None:
    follower = Running(kafka_bootstrap, data_dir, "tail", topic, "--from-beginning", "--follow", "--limit", "8")
    running.append(follower)
    assert len(follower.read(6)) == 6
    await asyncio.sleep(1.0)
    assert follower.proc.poll() is None, "with --follow it waits for more"
    await _produce(kafka_bootstrap, topic, [_wire(keyring, "case-C", n) for n in (6, 7, 8)], 6)
    assert all("case=case-C" in line for line in follower.read(2))
    assert follower.proc.wait(30) == 0
    assert follower.lines.empty(), "exactly --limit events"


def test_ctrl_c_ends_it_without_a_traceback(kafka_bootstrap: str, topic: str, data_dir: Path,
                                            running: list[Running]) -> None:
    follower = Running(kafka_bootstrap, data_dir, "tail", topic, "--from-beginning", "--follow")
    running.append(follower)
    follower.read(6)
    follower.proc.send_signal(signal.SIGINT)
    assert follower.proc.wait(30) == 130
    assert follower.proc.stderr is not None
    assert "Traceback" not in follower.proc.stderr.read()


def test_no_broker_or_no_topic_is_said_plainly(kafka_bootstrap: str, data_dir: Path) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    done = onething(nowhere, data_dir, "tail", "onething.case.stream")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"无法连接消息总线 cannot reach the broker at {nowhere}" in done.stderr and "onething up" in done.stderr
    done = onething(kafka_bootstrap, data_dir, "tail", "no.such.topic")
    assert done.returncode == 2 and "没有该主题 no such topic: no.such.topic" in done.stderr
