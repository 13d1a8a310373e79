"""``onething dlq``: times as an operator types them, a table whose columns line up with Chinese in it, failure classes
and what is read of a dead letter's value."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

import pytest

from contracts.days import CHINA_TZ
from exchange.dead_letters import failure_class, peek_envelope
from exchange.errors import Malformed, Rejected, SignatureInvalid
from onething.catalogue import display_width
from onething.dlq import letter_table, when


def test_times_without_an_offset_are_china_time() -> None:
    assert when("2026-12-04") == "2026-12-04T00:00:00+08:00"
    assert when("2026-12-04T09:30") == "2026-12-04T09:30:00+08:00"
    assert when("2026-12-04T01:30:00+00:00") == "2026-12-04T01:30:00+00:00"
    two_hours_ago = datetime.fromisoformat(when("2h"))
    assert abs(datetime.now(CHINA_TZ) - timedelta(hours=2) - two_hours_ago) < timedelta(minutes=1)
    with pytest.raises(argparse.ArgumentTypeError, match="not a time"):
        when("yesterday")


def _item(number: int, case_id: str | None, message: str) -> dict[str, object]:
    return {"service": "licence", "id": number, "state": "pending", "failed_at": "2026-12-04T20:58:49+00:00",
            "topic": "onething.case.stream", "consumer_group": "licence", "error_type": "Rejected",
            "failure_class": "rejected", "case_id": case_id, "error_message": message}


def test_the_table_lines_up_and_clips_long_reasons() -> None:
    lines = letter_table([_item(1, "OT1", "参照数据缺失 " * 20), _item(12, None, "short")])
    assert lines[0].startswith("编号 id") and lines[0].endswith("原因 reason")
    start = display_width(lines[0][:lines[0].index("原因 reason")])
    assert display_width(lines[1][:lines[1].index("参照")]) == start == display_width(lines[2][:lines[2].index("short")])
    assert "2026-12-05 04:58:49" in lines[1]  # China time
    assert lines[1].endswith("…") and display_width(lines[1]) - start <= 60
    assert "licence/12 待重投 pending" in lines[2] and " - " in lines[2]


def test_failure_classes_and_what_is_read_of_a_value() -> None:
    assert [failure_class(e) for e in (SignatureInvalid("x"), Malformed("x"), Rejected("x"), KeyError("x"))] == [
        "signature", "malformed", "rejected", "unexpected"]
    assert peek_envelope(b'{"id": "0B6F2D4E-8A1C-5E3F-9B7D-2C4A6E8F0A1B", "type": "t", "subject": "OT1"}') == (
        "0b6f2d4e-8a1c-5e3f-9b7d-2c4a6e8f0a1b", "t", "OT1")
    assert peek_envelope(b'{"id": "not-a-uuid", "type": 3}') == (None, None, None)
    assert peek_envelope(b"\x00{") == peek_envelope(b"[]") == peek_envelope(None) == (None, None, None)
