"""Every payload survives the wire: wrap → bytes → envelope → registry decode (信封往返)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from contracts.envelope import Envelope, EnvelopeError, EventPayload, canonical_bytes
from contracts.examples import EXAMPLES, REQUEST_ID, example
from contracts.registry import PAYLOADS, PayloadError, UnknownEventType, decode_payload


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
    latest = max((p for p in PAYLOADS if p.event_type == cls.event_type), key=lambda p: p.event_version)
    assert type(decoded) is latest  # an earlier version is read as the latest, through its upcasters
    if cls is latest:
        assert decoded == payload
    else:
        # What the upcasters keep is as sent; a member only the latest version has comes at its default (a later
        # version may add optional members: v1 senders never set them).
        added = set(type(decoded).model_fields) - set(type(payload).model_fields)
        assert all(getattr(decoded, name) == latest.model_fields[name].default for name in added)
        assert _kept(decoded.model_dump(exclude=added), payload.model_dump())


def _kept(new: object, old: object) -> bool:
    """Whether ``new`` is ``old`` with members left out (at any depth), nothing changed or added."""
    if isinstance(new, dict) and isinstance(old, dict):
        return all(key in old and _kept(value, old[key]) for key, value in new.items())
    if isinstance(new, list | tuple) and isinstance(old, list | tuple):
        return len(new) == len(old) and all(_kept(n, o) for n, o in zip(new, old, strict=True))
    return new == old


def test_a_superseded_version_is_read_as_the_current_one_without_what_it_dropped() -> None:
    from contracts.dispatch.v1 import TaskConcluded as V1
    from contracts.dispatch.v2 import TaskConcluded as V2

    old = V1(**{**EXAMPLES["dispatch.task.concluded"], "holder_id": "110101202603020011", "holder_name": "张小明"})
    decoded = decode_payload(Envelope.from_bytes(wrapped(old).to_bytes())[0])
    assert isinstance(decoded, V2) and "holder_id" not in decoded.model_dump()


def test_a_v1_review_cannot_carry_a_decision_at_review() -> None:
    from contracts.department.v1 import ReviewReturned as V1
    from contracts.department.v2 import ReviewReturned as V2

    wire = wrapped(V1(**{**EXAMPLES["department.review.returned"], "deficiencies": ()})).to_wire()
    wire["data"]["decision"] = {"outcome": "approved"}  # a member v1 does not have: 即审即办 is v2's
    decoded = decode_payload(Envelope.model_validate(wire))
    assert isinstance(decoded, V2) and decoded.decision is None


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
