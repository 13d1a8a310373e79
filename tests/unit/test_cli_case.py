"""``onething case``: the text a clerk reads."""

from __future__ import annotations

from typing import Any

from onething.case import case_lines


def _case(accepted_at: str) -> dict[str, Any]:
    return {"case_id": "OT1", "bundle_code": "P-01", "status": "accepted", "status_zh": "已受理",
            "accepted_at": accepted_at, "due_on": "2026-12-18", "limit_days": 10, "items": []}


def test_the_day_of_acceptance_is_chinas_day_not_utcs() -> None:
    # 18:24 UTC on 4 December is 02:24 on 5 December in China: the case was accepted on the 5th.
    [header] = case_lines({"case": _case("2026-12-04T18:24:37.072136Z"), "supervision": None})
    assert "受理 2026-12-05" in header
    [header] = case_lines({"case": _case("2026-12-04T15:59:59+00:00"), "supervision": None})
    assert "受理 2026-12-04" in header
