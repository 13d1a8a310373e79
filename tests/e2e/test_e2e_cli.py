"""The ``onething`` command against a running system: the database prefix ``up`` was given is the one used,
one application by hand (``apply``) and where to follow it, intake's refusals shown plainly, and the
demo saying what it does after the last delivery."""

from __future__ import annotations

import asyncio
import re
from datetime import date

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.identifiers import make_resident_id, resident_id_problem
from contracts.topics import CASE_STREAM
from exchange.broker import free_port
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
    assert httpx.get(f"{intake}/cases/{case_id}", timeout=10).json()["bundle_code"] == "P-01"
    applicant = re.search(r"申请人 applicant  \S+ (\S+)", out)
    assert applicant and resident_id_problem(applicant.group(1)) is None  # a valid test applicant

    # The commands it names work as printed, the option after the command.
    code, out, err = run(capsys, "case", case_id, "--data-dir", data_dir)
    assert code == 0 and f"办件 {case_id}  P-01" in out, err
    code, out, err = run(capsys, "tail", CASE_STREAM.name, "--case", case_id, "--follow", "--limit", "1",
                         "--data-dir", data_dir)
    assert code == 0, err
    [line] = out.splitlines()
    assert "intake.case.accepted" in line and f"case={case_id}" in line and "[signed-ok]" in line


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
                                  rating_url=system.url("rating")))
    out = capsys.readouterr().out
    assert result.ok and sum(result.ratings.values()) > 0
    steps = ["2/2 已送达 delivered", "核对有无重复送达 watching 2 s more for duplicate deliveries", "好差评：申请人评价受理、一件事与各部门事项 each applicant rates",
             "2/2 已评价 cases rated"]
    where = [out.find(step) for step in steps]
    assert -1 not in where and where == sorted(where), out
