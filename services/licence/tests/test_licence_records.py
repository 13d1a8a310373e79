"""Licence records: deterministic ids and numbers, canonical bytes, digest, signature verification."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from contracts.licence.v1 import LicenceIssued
from exchange.signing import KeyRing, ensure_keys
from licence.domain.records import (
    LicenceRecord,
    canonical_record_bytes,
    issue_record,
    licence_id_for,
    licence_number,
    record_digest,
    verify_record,
)

ISSUED_AT = datetime(2024, 5, 6, 17, 30, 0, 123456, tzinfo=UTC)  # Tuesday 01:30 in China


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    ensure_keys(tmp_path, ["licence", "intruder"])
    return KeyRing(tmp_path)


def record(**overrides: object) -> LicenceRecord:
    values: dict[str, object] = {
        "case_id": "C-20240506-0001", "item_code": "BIZ-LICENCE", "licence_type": "business_licence",
        "holder_id": "91330100MA2XXXXXX1", "holder_name": "杭州示例餐饮有限公司", "issuer_department": "market",
        "issued_at": ISSUED_AT,
    }
    values.update(overrides)
    return issue_record(**values)  # type: ignore[arg-type]


def test_licence_id_is_deterministic_per_case_and_item() -> None:
    assert licence_id_for("C-1", "A") == licence_id_for("C-1", "A")
    assert len({licence_id_for("C-1", "A"), licence_id_for("C-1", "B"), licence_id_for("C-2", "A")}) == 3
    assert record().licence_id == licence_id_for("C-20240506-0001", "BIZ-LICENCE")


def test_number_is_the_document_number_else_derived_from_the_id() -> None:
    lid = licence_id_for("C-1", "A")
    assert licence_number("business_licence", lid, "市监字〔2024〕12号") == "市监字〔2024〕12号"
    derived = licence_number("business_licence", lid, None)
    assert derived == f"BUSINESS_LICENCE-{lid.replace('-', '')[:12].upper()}"
    assert licence_number("business_licence", lid, "  ") == derived


def test_valid_from_is_the_day_of_issue_in_china() -> None:
    assert record().valid_from == date(2024, 5, 7)  # already Tuesday in UTC+8
    assert record(issued_at=datetime(2024, 5, 6, 9, 0, tzinfo=UTC)).valid_from == date(2024, 5, 6)
    assert record().valid_until is None
    with pytest.raises(ValueError, match="timezone-aware"):
        record(issued_at=datetime(2024, 5, 6, 9, 0))


def test_canonical_bytes_sorted_compact_utf8() -> None:
    data = canonical_record_bytes(record())
    text = data.decode()
    assert " " not in text.replace("杭州示例餐饮有限公司", "")
    assert "杭州示例餐饮有限公司" in text  # not \\u-escaped
    parsed = json.loads(text)
    assert list(parsed) == sorted(parsed)
    assert parsed["valid_until"] is None
    # the same record built again (another process, another day) gives the same bytes and digest
    assert canonical_record_bytes(record()) == data
    assert record_digest(data) == record_digest(canonical_record_bytes(LicenceRecord.model_validate_json(data)))
    assert len(record_digest(data)) == 64


def test_an_event_holder_can_rebuild_the_signed_record() -> None:
    """LicenceIssued carries every record field: a consumer can check record_digest itself."""
    rec = record()
    data = canonical_record_bytes(rec)
    issued = LicenceIssued(**rec.model_dump(), record_digest=record_digest(data), record_signature="x", signer="licence")
    rebuilt = LicenceRecord.model_validate(issued.model_dump(include=set(LicenceRecord.model_fields)))
    assert record_digest(canonical_record_bytes(rebuilt)) == issued.record_digest


def test_a_signed_record_verifies(ring: KeyRing) -> None:
    data = canonical_record_bytes(record())
    signature = ring.signer("licence").sign_bytes(data)
    verdict = verify_record(
        data, digest=record_digest(data), signature=signature, signer="licence", verify_bytes=ring.verify_bytes
    )
    assert verdict.valid, verdict.reason_en
    assert verdict.reason_zh and verdict.reason_en


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        pytest.param(lambda d, g, s: (d.replace("杭州".encode(), "宁波".encode()), g, s), "digest", id="altered"),
        pytest.param(lambda d, g, s: (d.replace(b'":', b'": '), g, s), "canonical", id="reformatted"),
        pytest.param(lambda d, g, s: (b"{not json", g, s), "malformed", id="garbage"),
        pytest.param(lambda d, g, s: (d, g, s[:-4] + "AAAA"), "signature", id="bad-signature"),
    ],
)
def test_tampering_is_detected(ring: KeyRing, tamper, reason: str) -> None:  # type: ignore[no-untyped-def]
    data = canonical_record_bytes(record())
    good = (data, record_digest(data), ring.signer("licence").sign_bytes(data))
    bad_data, digest, signature = tamper(*good)
    verdict = verify_record(bad_data, digest=digest, signature=signature, signer="licence", verify_bytes=ring.verify_bytes)
    assert not verdict.valid
    assert reason in verdict.reason_en


def test_altered_record_with_recomputed_digest_fails_on_the_signature(ring: KeyRing) -> None:
    data = canonical_record_bytes(record())
    signature = ring.signer("licence").sign_bytes(data)
    forged = canonical_record_bytes(record(holder_name="别人"))
    verdict = verify_record(
        forged, digest=record_digest(forged), signature=signature, signer="licence", verify_bytes=ring.verify_bytes
    )
    assert not verdict.valid and "signature" in verdict.reason_en


def test_only_the_named_signers_key_counts(ring: KeyRing) -> None:
    data = canonical_record_bytes(record())
    by_intruder = ring.signer("intruder").sign_bytes(data)
    common = {"digest": record_digest(data), "verify_bytes": ring.verify_bytes}
    assert not verify_record(data, signature=by_intruder, signer="licence", **common).valid  # type: ignore[arg-type]
    assert not verify_record(data, signature=by_intruder, signer="nobody", **common).valid  # type: ignore[arg-type]
    assert verify_record(data, signature=by_intruder, signer="intruder", **common).valid  # type: ignore[arg-type]


def test_issued_at_in_another_offset_signs_the_same_bytes() -> None:
    shanghai = ISSUED_AT.astimezone(timezone(timedelta(hours=8)))
    assert canonical_record_bytes(record(issued_at=shanghai)) == canonical_record_bytes(record())
    assert json.loads(canonical_record_bytes(record()))["issued_at"] == "2024-05-06T17:30:00.123456Z"
