"""What the ops room's live stream shows of a case event (运维室事件流): the envelope's who, what and when, never its
data (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.dispatch.v1 import LicenceRequested
from contracts.envelope import Envelope
from dispatch.entrypoints.ops_api import case_event_summary

HOLDER_ID = "430102202611210011"


def test_an_event_is_shown_by_type_case_source_and_time_without_its_data() -> None:
    payload = LicenceRequested(case_id="OT1", task_id="OT1/P-01-01", item_code="P-01-01", department="health",
                               attempt=1, document_no=None, licence_type="birth-medical-certificate",
                               holder_id=HOLDER_ID, holder_name="张小明", concluded_at=datetime.now(UTC))
    envelope = Envelope.wrap(payload, source="dispatch", subject="OT1")
    shown = case_event_summary(envelope.to_bytes())
    assert shown == {"event_id": str(envelope.id), "type": LicenceRequested.event_type, "version": envelope.version,
                     "source": "dispatch", "case_id": "OT1", "time": envelope.time.isoformat()}
    assert HOLDER_ID not in str(shown) and "张小明" not in str(shown)


def test_a_record_that_is_no_envelope_is_not_shown() -> None:
    assert case_event_summary(b"{not json") is None
    assert case_event_summary(None) is None
