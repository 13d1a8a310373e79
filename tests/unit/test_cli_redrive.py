"""``onething redrive-request``: what an operator sees when re-driving a parked department request."""

from __future__ import annotations

import json

import httpx
import pytest

from onething.redrive import redrive_command

PARKED = {"request_id": "7b0b8a2e-0000-5000-8000-000000000001", "case_id": "OT1", "item_code": "P-01-03",
          "department": "police", "kind": "handling", "state": "parked", "total_sends": 6,
          "parked_at": "2026-12-04T20:00:00Z"}


def dispatch(status: int, body: object) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


def test_a_re_drive_says_what_was_sent_again(capsys: pytest.CaptureFixture[str]) -> None:
    done = {**PARKED, "state": "open", "total_sends": 7}
    assert redrive_command("http://d", PARKED["request_id"], parked=False, as_json=False,
                           transport=dispatch(200, done)) == 0
    out = capsys.readouterr().out
    assert "已重发 re-driven" in out and PARKED["request_id"] in out and "police" in out and "7" in out


def test_a_refused_re_drive_prints_both_messages_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    refusal = {"detail": {"message_zh": "部门已答复该请求，无需重发", "message_en": "answered already"}}
    assert redrive_command("http://d", "x", parked=False, as_json=False, transport=dispatch(409, refusal)) == 1
    err = capsys.readouterr().err
    assert "部门已答复该请求" in err and "answered already" in err


def test_the_parked_requests_are_listed_one_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert redrive_command("http://d", None, parked=True, as_json=False, transport=dispatch(200, [PARKED])) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(PARKED["request_id"]) and "police" in line
    assert redrive_command("http://d", None, parked=True, as_json=True, transport=dispatch(200, [])) == 0
    assert json.loads(capsys.readouterr().out) == []
