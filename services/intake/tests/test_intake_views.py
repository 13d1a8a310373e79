"""Intake's read side: a case and its timeline read as rows, made into table models without the ORM (step 31 of
docs/performance.md). Their answers through the routes are the API tests'; here, what holds in a process where no ORM
query ran yet (a freshly started intake answering its first ``POST /cases``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_row_read_before_any_orm_query_reads_back_through_its_model() -> None:
    script = textwrap.dedent("""
        from datetime import UTC, datetime
        from intake.adapters.tables import IntakeTimeline
        from intake.adapters.views import read_only_models

        [entry] = read_only_models(IntakeTimeline, [{
            "id": 7, "case_id": "OT-1", "at": datetime(2026, 12, 7, tzinfo=UTC), "kind": "accepted",
            "item_code": None, "department": None, "text_zh": "已受理", "text_en": "Accepted", "event_id": None,
        }])
        print(entry.id, entry.case_id, entry.kind, entry.text_zh, entry.at.isoformat())
    """)
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["7", "OT-1", "accepted", "已受理", "2026-12-07T00:00:00+00:00"]
