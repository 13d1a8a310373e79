"""The ``onething`` command against a running system: the database prefix ``up`` was given is the one used,
one application by hand (``apply``) and where to follow it, intake's refusals shown plainly, and the
demo saying what it does after the last delivery, and the dead letters of a running service (onething dlq)."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.identifiers import make_resident_id, resident_id_problem
from contracts.topics import CASE_STREAM, DEPARTMENT_RESULTS, dead_letter_topic
from exchange.broker import free_port
from exchange.kafka.producer import Producer
from exchange.testing.access import TestTokens
from onething.cli import main
from onething.demo import run_demo
from onething.processes import PROCESSES
from onething.system import System

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


async def _databases(server_url: str, prefix: str) -> set[str]:
    engine = create_async_engine(server_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"),
                                      {"p": prefix})
            return {str(r[0]) for r in rows}
    finally:
        await engine.dispose()


def test_up_uses_the_database_prefix_set_in_the_environment(cli_system: tuple[System, str], postgres_url: str) -> None:
    _, prefix = cli_system
    assert asyncio.run(_databases(postgres_url, prefix)) == {f"{prefix}{p.name}" for p in PROCESSES if p.has_database}


def test_apply_submits_one_application_and_says_where_to_follow_it(
    cli_system: tuple[System, str], capsys: pytest.CaptureFixture[str]
) -> None:
    system, _ = cli_system
    data_dir, intake = str(system.config.data_dir), system.url("intake")
    code, out, err = run(capsys, "apply", "--bundle", "P-01", "--data-dir", data_dir)
    assert code == 0, err
    found = re.search(r"已受理 accepted: 办件 case (\S+)  P-01 ", out)
    assert found, out
    case_id = found.group(1)
    assert f"{intake}/cases/{case_id}" in out
    assert f"onething --data-dir {data_dir} case {case_id}" in out
    assert f"onething --data-dir {data_dir} tail {CASE_STREAM.name} --case {case_id} --follow" in out
    staff = TestTokens.of_system(system.data_dir).staff()
    assert httpx.get(f"{intake}/cases/{case_id}", timeout=10, headers=staff).json()["bundle_code"] == "P-01"
    applicant = re.search(r"申请人 applicant  \S+ (\S+)", out)
    assert applicant and resident_id_problem(applicant.group(1)) is None  # a valid test applicant

    # The commands it names work as printed, the option after the command.
    code, out, err = run(capsys, "case", case_id, "--data-dir", data_dir)
    assert code == 0 and f"办件 {case_id}  P-01" in out, err
    code, out, err = run(capsys, "tail", CASE_STREAM.name, "--case", case_id, "--follow", "--limit", "1",
                         "--data-dir", data_dir)
    assert code == 0, err
    [line] = out.splitlines()
    assert "intake.case.registered" in line and f"case={case_id}" in line and "[signed-ok]" in line


def test_token_prints_a_token_the_services_accept_for_that_role_only(
    cli_system: tuple[System, str], capsys: pytest.CaptureFixture[str]
) -> None:
    system, _ = cli_system
    data_dir = str(system.config.data_dir)
    code, supervisor, err = run(capsys, "token", "supervisor", "--data-dir", data_dir)
    assert code == 0, err
    bearer = {"Authorization": f"Bearer {supervisor.strip()}"}
    assert httpx.get(f"{system.url('supervision')}/figures", headers=bearer, timeout=10).status_code == 200
    assert httpx.post(f"{system.url('supervision')}/clock/advance", json={"days": 0}, headers=bearer,
                      timeout=10).status_code == 403, "the clock is the operators'"
    code, _, err = run(capsys, "token", "nobody", "--data-dir", data_dir)
    assert code == 2 and "window.W01" in err
    code, applicant, err = run(capsys, "token", "--applicant", "110101199003070011", "--name", "张三",
                               "--data-dir", data_dir)
    assert code == 0 and applicant.count(".") == 2, err  # a JWT: header.claims.signature


def test_intakes_refusals_are_shown_plainly(cli_system: tuple[System, str], capsys: pytest.CaptureFixture[str]) -> None:
    system, _ = cli_system
    data_dir = str(system.config.data_dir)
    valid = make_resident_id("430104", date(1990, 1, 1), 123)
    wrong_check = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    code, out, err = run(capsys, "apply", "--bundle", "P-01", "--id-number", wrong_check, "--data-dir", data_dir)
    assert code == 1 and not out and "Traceback" not in err
    assert "受理服务拒绝 intake refused the application for P-01 (HTTP 422)" in err
    assert "申请内容有误" in err and "- applicant.id_number:" in err and "check" in err.lower()

    code, out, err = run(capsys, "apply", "--bundle", "X-99", "--data-dir", data_dir)
    assert code == 1 and "(HTTP 404)" in err and "没有该一件事" in err and "onething catalogue" in err

    nowhere = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(capsys, "apply", "--bundle", "P-01", "--intake-url", nowhere)
    assert code == 2 and f"无法连接受理服务 cannot reach intake at {nowhere}" in err


def test_the_demo_says_what_it_does_after_the_last_delivery(
    cli_system: tuple[System, str], capsys: pytest.CaptureFixture[str]
) -> None:
    system, _ = cli_system
    result = asyncio.run(run_demo(system.url("intake"), system.bootstrap, 2, seed=16, timeout_s=120,
                                  rating_url=system.url("rating"), tokens=system.tokens))
    out = capsys.readouterr().out
    assert result.ok and sum(result.ratings.values()) > 0
    steps = ["2/2 已送达 delivered", "核对有无重复送达 watching 2 s more for duplicate deliveries", "好差评：申请人评价受理、一件事与各部门事项 each applicant rates",
             "2/2 已评价 cases rated"]
    where = [out.find(step) for step in steps]
    assert -1 not in where and where == sorted(where), out


async def _send(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    producer = Producer(bootstrap, client_id="e2e-poison")
    await producer.start()
    try:
        await producer.send(topic, key, value)
    finally:
        await producer.stop()


def test_dlq_shows_and_redrives_what_a_service_could_not_apply(
    cli_system: tuple[System, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A record dispatch can never read: kept in dispatch's store, counted on its /healthz, listed, shown and
    re-driven by the command (it fails again: nothing can fix bytes that are no envelope)."""
    system, _ = cli_system
    data_dir = str(system.config.data_dir)
    healthz = f"{system.url('dispatch')}/healthz"
    dlq = dead_letter_topic(DEPARTMENT_RESULTS.name, "dispatch").name
    before = httpx.get(healthz, timeout=10).json()["dead_letters"].get(dlq, {"total": 0, "pending": 0})
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    asyncio.run(_send(system.bootstrap, DEPARTMENT_RESULTS.name, marker, f"{{not json {marker}".encode()))
    deadline = time.monotonic() + 30
    while httpx.get(healthz, timeout=10).json()["dead_letters"].get(dlq, before)["total"] == before["total"]:
        assert time.monotonic() < deadline, "dispatch did not dead-letter the record"
        time.sleep(0.2)
    health = httpx.get(healthz, timeout=10).json()
    assert health["dead_letters"][dlq] == {"total": before["total"] + 1, "pending": before["pending"] + 1}
    assert isinstance(health["gap_waits"]["dispatch"], int)  # records waited for when shown out of order
    assert isinstance(health["polls_taken_one_by_one"]["dispatch"], int)
    assert health["outbox_held"] == {}  # every row of its outbox is one it can sign

    code, out, err = run(capsys, "dlq", "list", "--topic", DEPARTMENT_RESULTS.name, "--json", "--data-dir", data_dir)
    assert code == 0, err
    [letter] = [i for i in json.loads(out)["items"] if i["key"] == marker]
    assert (letter["service"], letter["consumer_group"], letter["error_type"]) == ("dispatch", "dispatch", "Malformed")
    name = f"dispatch/{letter['id']}"
    code, out, err = run(capsys, "dlq", "list", "--data-dir", data_dir)
    assert code == 0 and name in out and "待重投 pending" in out, err

    code, out, err = run(capsys, "dlq", "show", name, "--data-dir", data_dir)
    assert code == 0 and f"死信 dead letter {name}" in out and "不是信封 not an envelope" in out and marker in out, err

    code, out, err = run(capsys, "dlq", "redrive", name, "--data-dir", data_dir)
    assert code == 1 and out.startswith(f"{name}  再次失败 failed_again → 新死信 new dead letter dispatch/"), (out, err)
    assert httpx.get(healthz, timeout=10).json()["dead_letters"][dlq] == {
        "total": before["total"] + 2, "pending": before["pending"] + 1}
