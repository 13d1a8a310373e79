"""Every payload survives the wire: wrap → bytes → envelope → registry decode (信封往返)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from contracts.envelope import Envelope, EnvelopeError, EventPayload, canonical_bytes
from contracts.registry import PAYLOADS, PayloadError, UnknownEventType, decode_payload

APPLICANT: dict[str, Any] = {
    "name": "张三",
    "id_type": "resident_id",
    "id_number": "110101199003077777",
    "phone": "13800000000",
}
NOW = "2026-03-02T09:30:00+08:00"
REQUEST_ID = "6f1c2b0e-8d5a-4c1e-9a57-3f2d4b6c8e90"

# Minimal valid example of every payload, by event type: explicit on purpose.
EXAMPLES: dict[str, dict[str, Any]] = {
    "intake.case.accepted": {
        "case_id": "YJS-20260302-0001",
        "bundle_code": "newborn",
        "bundle_name_zh": "出生一件事",
        "bundle_name_en": "Newborn",
        "catalogue_version": "2026.1",
        "lead_department": "health",
        "applicant": APPLICANT,
        "channel": "window",
        "delivery_method": "mail",
        "items": [
            {
                "item_code": "birth-cert",
                "name_zh": "出生医学证明",
                "name_en": "Birth medical certificate",
                "department": "health",
                "time_limit_days": 5,
            },
            {
                "item_code": "hukou",
                "name_zh": "户口登记",
                "name_en": "Household registration",
                "department": "police",
                "time_limit_days": 3,
                "requires": ["birth-cert"],
                "yields_licence": True,
                "licence_type": "hukou",
            },
        ],
        "form": {"child_name": "张小明"},
        "accepted_at": NOW,
        "accepted_on": "2026-03-02",
    },
    "intake.case.corrected": {"case_id": "YJS-20260302-0001", "item_codes": ["hukou"], "round": 1},
    "intake.case.delivered": {
        "case_id": "YJS-20260302-0001",
        "method": "window",
        "items": [{"item_code": "hukou", "department": "police", "outcome": "approved"}],
        "delivered_at": NOW,
    },
    "intake.case.notified": {
        "case_id": "YJS-20260302-0001",
        "channel": "mobile",
        "text_zh": "您的出生一件事已办结。",
        "text_en": "Your newborn case is complete.",
    },
    "dispatch.task.released": {
        "case_id": "YJS-20260302-0001",
        "task_id": "T-1",
        "item_code": "birth-cert",
        "department": "health",
        "attempt": 1,
        "time_limit_days": 5,
        "released_at": NOW,
    },
    "dispatch.request.sent": {
        "request_id": REQUEST_ID,
        "case_id": "YJS-20260302-0001",
        "task_id": "T-2",
        "item_code": "hukou",
        "item_name_zh": "户口登记",
        "department": "police",
        "attempt": 1,
        "applicant": APPLICANT,
        "form": {"child_name": "张小明"},
        "evidence": [{"item_code": "birth-cert", "department": "health", "document_no": "BC-1"}],
    },
    "dispatch.task.concluded": {
        "case_id": "YJS-20260302-0001",
        "task_id": "T-2",
        "item_code": "hukou",
        "department": "police",
        "attempt": 1,
        "outcome": "approved",
        "concluded_at": NOW,
    },
    "department.result.returned": {
        "request_id": REQUEST_ID,
        "case_id": "YJS-20260302-0001",
        "task_id": "T-2",
        "item_code": "hukou",
        "department": "police",
        "attempt": 1,
        "outcome": "needs_correction",
        "reason_zh": "缺少父母结婚证",
        "reason_en": "Parents' marriage certificate missing",
        "decided_at": NOW,
    },
    "licence.licence.issued": {
        "licence_id": "L-1",
        "case_id": "YJS-20260302-0001",
        "item_code": "hukou",
        "licence_type": "hukou",
        "number": "HK-0001",
        "holder_id": "110101202603020011",
        "holder_name": "张小明",
        "issuer_department": "police",
        "issued_at": NOW,
        "valid_from": "2026-03-02",
        "record_digest": "0" * 64,
        "record_signature": "c2lnbmF0dXJl",
        "signer": "urn:onething:issuer:cn-430100:police#z6MkExample",
        "issuer_id": "urn:onething:issuer:cn-430100:police",
        "status_index": 0,
        "credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:L-1"},
    },
    "licence.licence.status_changed": {
        "licence_id": "L-1",
        "case_id": "YJS-20260302-0001",
        "item_code": "birth-cert",
        "licence_type": "birth-medical-certificate",
        "holder_id": "110101202603020011",
        "issuer_department": "health",
        "action": "revoke",
        "state": "revoked",
        "reason_zh": "出生医学证明信息有误，依法撤销",
        "actor": "dept.health",
        "changed_at": NOW,
    },
    "supervision.clock.started": {
        "case_id": "YJS-20260302-0001",
        "task_id": "T-1",
        "item_code": "birth-cert",
        "department": "health",
        "limit_working_days": 5,
        "started_on": "2026-03-02",
        "due_on": "2026-03-09",
    },
    "supervision.clock.stopped": {
        "case_id": "YJS-20260302-0001",
        "clock_id": "K-1",
        "kind": "item",
        "task_id": "T-1",
        "item_code": "birth-cert",
        "department": "health",
        "due_on": "2026-03-09",
        "finished_on": "2026-03-06",
        "on_time": True,
        "handling_days": 4,
    },
    "rating.invitation.sent": {
        "invitation_id": "I-1",
        "case_id": "YJS-20260302-0001",
        "channel": "window",
        "touchpoints": [{"touchpoint": "delivery", "department": "health"},
                        {"touchpoint": "item", "item_code": "P-01-03", "department": "police"}],
        "invited_at": NOW,
        "text_zh": "您的办件已办结，请对本次服务进行评价",
        "text_en": "Your case is done; please rate the service",
    },
    "rating.rating.submitted": {
        "rating_id": "R-1",
        "case_id": "YJS-20260302-0001",
        "level": "very_satisfied",
        "tags": ["efficient"],
        "submitted_at": NOW,
        "touchpoint": "item",
        "item_code": "P-01-03",
        "department": "police",
        "bundle_code": "P-01",
        "channel": "window",
        "window_id": "W-03",
        "staff_id": "S-0012",
        "rated_via": "device",
    },
    "rating.rectification.opened": {
        "rectification_id": "RX-1",
        "case_id": "YJS-20260302-0001",
        "rating_id": "R-1",
        "touchpoint": "item",
        "item_code": "P-01-03",
        "department": "police",
        "level": "very_dissatisfied",
        "tags": ["slow"],
        "limit_working_days": 15,
        "opened_on": "2026-03-10",
        "text_zh": "差评整改：请公安局于 15 个工作日内整改并反馈",
        "text_en": "Rectify within 15 working days and report back",
    },
    "rating.rectification.reported": {
        "rectification_id": "RX-1",
        "case_id": "YJS-20260302-0001",
        "department": "police",
        "measures_zh": "已约谈窗口人员，优化出生登记流程",
        "evidence": [{"title": "整改报告", "uri": "dept://police/rectification/RX-1.pdf", "sha256": "0" * 64}],
        "reported_on": "2026-03-16",
    },
    "rating.rectification.called_back": {
        "rectification_id": "RX-1",
        "case_id": "YJS-20260302-0001",
        "department": "police",
        "outcome": "satisfied",
        "attempt": 1,
        "called_on": "2026-03-17",
    },
    "rating.rectification.closed": {
        "rectification_id": "RX-1",
        "case_id": "YJS-20260302-0001",
        "department": "police",
        "how": "rectified",
        "evidence": [{"title": "整改报告", "uri": "dept://police/rectification/RX-1.pdf", "sha256": "0" * 64}],
        "closed_on": "2026-03-17",
    },
    "rating.appeal.filed": {
        "appeal_id": "A-1",
        "rectification_id": "RX-1",
        "rating_id": "R-1",
        "case_id": "YJS-20260302-0001",
        "department": "police",
        "grounds": "not_answerable",
        "reason_zh": "超时系申请人未按约定时间领证所致",
        "filed_on": "2026-03-11",
    },
    "rating.appeal.decided": {
        "appeal_id": "A-1",
        "rectification_id": "RX-1",
        "rating_id": "R-1",
        "case_id": "YJS-20260302-0001",
        "department": "police",
        "upheld": True,
        "reason_zh": "经核实，办理未超时，差评与事实不符",
        "decided_by": "dept.approval",
        "decided_on": "2026-03-13",
    },
    "rating.figures.updated": {
        "period": "week",
        "period_start": "2026-03-09",
        "by": "department",
        "key": "police",
        "very_satisfied": 7,
        "satisfied": 2,
        "basically_satisfied": 0,
        "dissatisfied": 1,
        "very_dissatisfied": 0,
        "total": 10,
        "good_rate": 0.9,
        "mean_score": 4.5,
        "on_time_total": 8,
        "on_time_good": 8,
        "late_total": 1,
        "late_good": 0,
        "removed": 1,
        "version": 12,
    },
    "dispatch.review.requested": {
        "request_id": REQUEST_ID,
        "case_id": "YJS-20260302-0001",
        "item_code": "P-01-03",
        "item_name_zh": "户口登记（出生登记）",
        "department": "police",
        "round": 1,
        "applicant": APPLICANT,
        "form": {"newborn_name": "张小明"},
        "materials": [{"code": "P-01-03-M4", "name_zh": "合法稳定住所证明", "provision": "commitment"}],
    },
    "department.review.returned": {
        "request_id": REQUEST_ID,
        "case_id": "YJS-20260302-0001",
        "item_code": "P-01-03",
        "department": "police",
        "round": 1,
        "deficiencies": [{"item_code": "P-01-03", "department": "police", "kind": "field",
                          "code": "household_address", "reason_zh": "地址不完整", "reason_en": "incomplete address"}],
        "reviewed_at": NOW,
    },
    "dispatch.review.concluded": {
        "case_id": "YJS-20260302-0001",
        "round": 1,
        "deficiencies": [],
        "concluded_at": NOW,
    },
    "dispatch.finding.beyond_list": {
        "case_id": "YJS-20260302-0001",
        "item_code": "P-01-03",
        "department": "police",
        "kind": "material",
        "code": "无犯罪记录证明",
        "reason_zh": "请补充无犯罪记录证明",
        "found_at": NOW,
    },
    "dispatch.answer.refused": {
        "department": "police",
        "reason": "foreign_task",
        "message_zh": "所答复的事项不是发给本部门的；只答复本部门收到的请求",
        "message_en": "the answer is about a task or finding that was not addressed to this department",
        "refused_event_id": "0b6f2d4e-8a1c-5e3f-9b7d-2c4a6e8f0a1b",
        "refused_event_type": "department.result.returned",
        "case_id": "YJS-20260302-0001",
        "topic": "exchange.dept.results",
        "partition": 2,
        "offset": 41,
        "refused_at": NOW,
    },
    "supervision.figures.published": {
        "day": "2026-03-02",
        "by": "department",
        "key": "market",
        "cases": 3,
        "finished": 3,
        "on_time_rate": 0.6667,
        "mean_days": 2.33,
        "p90_days": 4,
        "items_released": 3,
        "items_finished": 3,
    },
    "supervision.repeat.flagged": {
        "flag_id": "F-1",
        "case_id": "YJS-20260302-0002",
        "kind": "resubmitted",
        "item_codes": ["P-01-03"],
        "other_case_id": "YJS-20260302-0001",
        "flagged_on": "2026-03-02",
        "text_zh": "重复申请",
    },
    "supervision.clock.adjusted": {
        "case_id": "YJS-20260302-0001",
        "clock_id": "K-1",
        "kind": "suspended",
        "reason_zh": "等待申请人补正",
        "due_on": "2026-03-09",
        "on": "2026-03-02",
    },
    "supervision.card.issued": {
        "card_id": "CARD-1",
        "case_id": "YJS-20260302-0001",
        "clock_id": "K-1",
        "item_code": "P-01-03",
        "department": "police",
        "colour": "yellow",
        "reason": "near_deadline",
        "due_on": "2026-03-09",
        "working_days_left": 1,
        "issued_on": "2026-03-06",
        "text_zh": "黄牌预警",
        "text_en": "Yellow card",
    },
    "supervision.order.issued": {
        "order_id": "O-1",
        "case_id": "YJS-20260302-0001",
        "card_id": "CARD-2",
        "department": "police",
        "respond_by": "2026-03-13",
        "issued_on": "2026-03-10",
        "text_zh": "督办",
        "text_en": "Supervision order",
    },
    "sharing.lookup.requested": {
        "request_id": REQUEST_ID,
        "draft_id": "DR0123456789ABCDEF",
        "subject_kind": "person",
        "subject_id": "11010519491231002X",
        "authorisation_id": "A-1",
        "purpose_zh": "预填申请表",
        "requested_at": NOW,
    },
    "sharing.lookup.answered": {
        "request_id": REQUEST_ID,
        "draft_id": "DR0123456789ABCDEF",
        "registry": "population",
        "subject_id": "11010519491231002X",
        "found": True,
        "record": {"name": "张三"},
        "answered_at": NOW,
    },
}


def example(cls: type[EventPayload]) -> EventPayload:
    return cls(**EXAMPLES[cls.event_type])


def wrapped(payload: EventPayload) -> Envelope:
    return Envelope.wrap(
        payload,
        source=payload.event_type.split(".")[0],
        subject="YJS-20260302-0001",
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )


def test_every_registered_payload_has_an_example() -> None:
    assert sorted(EXAMPLES) == sorted({p.event_type for p in PAYLOADS})


@pytest.mark.parametrize("cls", PAYLOADS, ids=[f"{p.event_type}.v{p.event_version}" for p in PAYLOADS])
def test_payload_round_trips_through_the_wire(cls: type[EventPayload]) -> None:
    payload = example(cls)
    envelope = wrapped(payload)
    assert (envelope.type, envelope.version) == (cls.event_type, cls.event_version)

    raw = envelope.to_bytes()
    parsed, wire = Envelope.from_bytes(raw)

    assert parsed == envelope
    assert wire == envelope.to_wire() == json.loads(raw)
    decoded = decode_payload(parsed)
    assert type(decoded) is cls
    assert decoded == payload


def test_wrap_starts_a_flow_and_keeps_a_given_correlation() -> None:
    payload = example(PAYLOADS[0])
    first = wrapped(payload)
    assert first.correlation_id == first.id
    follow = Envelope.wrap(payload, source="dispatch", subject="x", correlation_id=first.id, causation_id=first.id)
    assert follow.correlation_id == first.id
    assert follow.causation_id == first.id
    assert follow.id != first.id


def _signed_wire() -> dict[str, Any]:
    wire = wrapped(example(PAYLOADS[0])).to_wire()
    wire["chain"] = {"seq": 1, "prev": "0" * 64}
    wire["signature"] = {"alg": "Ed25519", "key_id": "intake", "value": "c2ln"}
    return wire


def test_canonical_bytes_exclude_the_signature() -> None:
    wire = _signed_wire()
    unsigned = {k: v for k, v in wire.items() if k != "signature"}
    resigned = {**wire, "signature": {"alg": "Ed25519", "key_id": "intake", "value": "b3RoZXI"}}
    assert canonical_bytes(wire) == canonical_bytes(unsigned) == canonical_bytes(resigned)
    assert b"signature" not in canonical_bytes(wire)
    assert canonical_bytes({**wire, "subject": "another"}) != canonical_bytes(wire)


def test_canonical_bytes_are_key_order_independent() -> None:
    wire = _signed_wire()
    reordered = {k: wire[k] for k in reversed(list(wire))}
    reordered["data"] = {k: wire["data"][k] for k in reversed(list(wire["data"]))}
    assert list(reordered) != list(wire)
    assert canonical_bytes(reordered) == canonical_bytes(wire)
    text = canonical_bytes(wire).decode()
    assert "张三" in text  # not \u-escaped
    unsigned = json.loads(text)
    assert unsigned == {k: v for k, v in wire.items() if k != "signature"}
    assert text == json.dumps(unsigned, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_signed_envelope_round_trips() -> None:
    wire = _signed_wire()
    parsed, raw_dict = Envelope.from_bytes(json.dumps(wire, ensure_ascii=False).encode())
    assert raw_dict == wire
    assert parsed.signature is not None and parsed.signature.key_id == "intake"
    assert parsed.chain is not None and parsed.chain.seq == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2, 3]",
        b'"a string"',
        b"{}",
        b'{"id": "not-a-uuid"}',
    ],
    ids=["empty", "text", "bad-utf8", "array", "string", "empty-object", "bad-id"],
)
def test_malformed_bytes_raise_envelope_error(raw: bytes) -> None:
    with pytest.raises(EnvelopeError):
        Envelope.from_bytes(raw)


def test_unknown_or_naive_fields_raise_envelope_error() -> None:
    wire = wrapped(example(PAYLOADS[0])).to_wire()
    with pytest.raises(EnvelopeError):
        Envelope.from_bytes(json.dumps({**wire, "unexpected": 1}).encode())  # extra="forbid"
    with pytest.raises(EnvelopeError):
        Envelope.from_bytes(json.dumps({**wire, "time": "2026-03-02T09:30:00"}).encode())  # no zone


def test_unknown_type_raises_unknown_event_type() -> None:
    envelope = wrapped(example(PAYLOADS[0]))
    with pytest.raises(UnknownEventType):
        decode_payload(envelope.model_copy(update={"type": "intake.case.vanished"}))
    with pytest.raises(UnknownEventType):
        decode_payload(envelope.model_copy(update={"version": 99}))


@pytest.mark.parametrize("cls", PAYLOADS, ids=[f"{p.event_type}.v{p.event_version}" for p in PAYLOADS])
def test_data_not_matching_schema_raises_payload_error(cls: type[EventPayload]) -> None:
    envelope = wrapped(example(cls))
    with pytest.raises(PayloadError):
        decode_payload(envelope.model_copy(update={"data": {}}))
    field = next(iter(envelope.data))  # the first field is required in every payload
    broken = {**envelope.data, field: {"not": "a scalar"}}
    with pytest.raises(PayloadError):
        decode_payload(envelope.model_copy(update={"data": broken}))


def test_unknown_data_fields_are_ignored() -> None:
    payload = example(PAYLOADS[0])
    envelope = wrapped(payload)
    tolerant = envelope.model_copy(update={"data": {**envelope.data, "added_in_a_later_minor": True}})
    assert decode_payload(tolerant) == payload


def test_request_ids_survive_as_uuids() -> None:
    cls = next(p for p in PAYLOADS if p.event_type == "dispatch.request.sent")
    decoded = decode_payload(Envelope.from_bytes(wrapped(example(cls)).to_bytes())[0])
    assert decoded.model_dump()["request_id"] == UUID(REQUEST_ID)
