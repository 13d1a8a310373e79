"""Options where users put them: ``--data-dir`` before or after the command; the environment's settings
reach the services (``ONETHING_DATABASE_PREFIX``); a missing system is said with the data dir looked in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from onething.cli import _system_config, build_parser, main
from onething.system import STATE_FILE, System


@pytest.mark.parametrize("command", [["up"], ["demo"], ["case", "C-1"], ["tail", "t"], ["keys"], ["catalogue"],
                                     ["verify", "x.json"], ["apply", "--bundle", "P-01"], ["status"], ["chaos", "poison"]])
def test_data_dir_goes_before_or_after_the_command(command: list[str], tmp_path: Path) -> None:
    parser = build_parser()
    assert parser.parse_args(["--data-dir", str(tmp_path), *command]).data_dir == tmp_path
    assert parser.parse_args([*command, "--data-dir", str(tmp_path)]).data_dir == tmp_path
    assert parser.parse_args([command[0], "--data-dir", str(tmp_path), *command[1:]]).data_dir == tmp_path


def test_without_data_dir_the_environment_or_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ONETHING_DATA_DIR", raising=False)
    assert build_parser().parse_args(["up"]).data_dir == Path(".onething")
    monkeypatch.setenv("ONETHING_DATA_DIR", str(tmp_path))
    assert build_parser().parse_args(["case", "C-1"]).data_dir == tmp_path


@pytest.mark.parametrize("argv", [["up"], ["demo", "--cases", "3"]])
def test_the_database_prefix_of_the_environment_reaches_every_service(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ONETHING_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    monkeypatch.setenv("ONETHING_DATABASE_PREFIX", "team_b_")
    system = System(_system_config(build_parser().parse_args([*argv, "--data-dir", str(tmp_path)])))
    assert system._env(8101)["ONETHING_DATABASE_PREFIX"] == "team_b_"
    assert system.databases() == ("PostgreSQL team_b_intake, team_b_dispatch, team_b_licence, team_b_supervision, "
                                  "team_b_rating, team_b_gateway")
    monkeypatch.delenv("ONETHING_DATABASE_PREFIX")  # unset: the services' own default, onething_
    system = System(_system_config(build_parser().parse_args([*argv, "--data-dir", str(tmp_path)])))
    assert "ONETHING_DATABASE_PREFIX" not in system._env(8101)
    assert system.databases().startswith("PostgreSQL onething_intake, ")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_case_without_a_system_says_where_it_looked_and_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "case", "C-1", "--data-dir", str(tmp_path))
    assert code == 1
    assert f"no running system in the data dir {tmp_path.resolve()}" in err
    assert f"onething --data-dir {tmp_path} up" in err and "--data-dir DIR" in err and "ONETHING_DATA_DIR" in err
    # A state file left by a system that has gone (its process no longer runs) is named as such.
    (tmp_path / STATE_FILE).write_text(json.dumps({"pid": 2**22 + 1, "processes": {}}))
    code, _, err = run(capsys, "case", "C-1", "--data-dir", str(tmp_path))
    assert code == 1 and "has stopped" in err


def test_apply_without_a_system_names_both_ways_to_find_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "apply", "--bundle", "P-01", "--data-dir", str(tmp_path))
    assert code == 1 and str(tmp_path.resolve()) in err and "--intake-url URL" in err
    assert "Traceback" not in err


def test_a_limit_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "tail", "onething.case.stream", "--limit", "0")
    assert code == 2 and "--limit" in err


def test_keys_after_the_command_go_to_that_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "keys", "--data-dir", str(tmp_path))
    assert code == 0 and str(tmp_path / "keys") in out
    assert (tmp_path / "keys" / "public" / "intake.pub").exists() and os.listdir(tmp_path) == ["keys"]
    assert (tmp_path / "keys" / "private" / "intake" / "intake.key").exists()


@pytest.mark.parametrize(("given", "said"), [(["--window-review", "helth"], "unknown department code 'helth'"),
                                             (["--window-review", "*,health"], "stands alone"),
                                             ([], "unknown department code 'polce'")])
def test_a_bench_with_an_unknown_window_review_stops_before_starting_anything(
        given: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """委托窗口初审 names departments: a mistyped one is said at once, not after a system was started to refuse it."""
    monkeypatch.setenv("ONETHING_DISPATCH_WINDOW_REVIEW", "polce")  # what the option's absence falls back to
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", str(tmp_path), "bench", *given])
    assert exit_.value.code == 2 and said in capsys.readouterr().err
    assert not (tmp_path / "bench").exists()
