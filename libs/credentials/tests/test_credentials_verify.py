"""Electronic licence credentials: each way a licence can fail verification has its own reason."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from credentials.carriers import CarrierError, credential_from_text, qr_payload, read_qr_payload
from credentials.licence import LicenceClaims, licence_credential
from credentials.proof import IssuerKey
from credentials.status import LIST_SIZE, StatusList, StatusPurpose, status_entries, status_list_credential
from credentials.trust import TrustedIssuer, TrustedKey, TrustList, TrustListError, issuer_id_for
from credentials.verify import Reason, status_list_of, verify_credential
from exchange.ed25519 import SigningKey

BASE = "https://licence.example.gov.cn"
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
HEALTH = issuer_id_for("430100", "dept.health")
FOREIGN = issuer_id_for("440300", "dept.health")


def _trusted(key: IssuerKey, name: str, region: str, *, local: bool = True, **validity: Any) -> TrustedIssuer:
    from credentials.multibase import multikey_decode

    trusted_key = TrustedKey(key.public_key_multibase, multikey_decode(key.public_key_multibase), **validity)
    return TrustedIssuer(key.issuer_id, name, name, region, (trusted_key,), local=local)


class Lists:
    """An in-memory status source: the bits each issuer published."""

    def __init__(self) -> None:
        self.lists: dict[tuple[str, StatusPurpose], StatusList] = {}
        self.unavailable = False

    def status_list(self, url: str, issuer: TrustedIssuer, purpose: StatusPurpose) -> StatusList | None:
        if self.unavailable:
            return None
        return self.lists.setdefault((url, purpose), StatusList())


@pytest.fixture(scope="module")
def health_key() -> IssuerKey:
    return IssuerKey(HEALTH, SigningKey.generate())


@pytest.fixture(scope="module")
def trust(health_key: IssuerKey) -> TrustList:
    return TrustList.of([_trusted(health_key, "长沙市卫生健康委员会", "430100")])


def _claims(**changes: Any) -> LicenceClaims:
    values: dict[str, Any] = {
        "licence_id": "0b7c6d0e-1111-4c1a-9f00-000000000001", "licence_type": "birth_medical_certificate",
        "licence_name_zh": "出生医学证明", "number": "Q430100000001", "holder_id": "430102202611210011",
        "holder_name": "张小明", "case_id": "C-1", "item_code": "P-01-01",
        "valid_from": NOW - timedelta(days=1), "valid_until": None,
    }
    return LicenceClaims(**{**values, **changes})


def _issue(key: IssuerKey, *, index: int = 7, **changes: Any) -> dict[str, Any]:
    return licence_credential(
        _claims(**changes), key=key, issuer_name_zh="长沙市卫生健康委员会",
        credential_status=status_entries(BASE, "dept.health", index), issued_at=NOW - timedelta(days=1),
    )


def test_a_fresh_licence_verifies_with_every_check(health_key: IssuerKey, trust: TrustList) -> None:
    result = verify_credential(_issue(health_key), trust=trust, now=NOW, status=Lists())
    assert result.valid and result.reason is Reason.VALID and result.status_checked
    assert result.issuer_name_zh == "长沙市卫生健康委员会" and not result.recognised


def test_offline_without_status_lists_says_status_was_not_checked(health_key: IssuerKey, trust: TrustList) -> None:
    result = verify_credential(_issue(health_key), trust=trust, now=NOW, status=None)
    assert result.valid and not result.status_checked
    # One message, saying what was checked and what was not (it used to say the status checked out too).
    assert result.message_zh == "签名、签发机关与有效期核验通过；未核验撤销与暂停状态（无状态列表）"
    assert "revocation and suspension were not checked" in result.message_en


class OneList(Lists):
    """Only the revocation lists are at hand."""

    def status_list(self, url: str, issuer: TrustedIssuer, purpose: StatusPurpose) -> StatusList | None:
        return super().status_list(url, issuer, purpose) if purpose is StatusPurpose.REVOCATION else None


def test_a_missing_status_list_is_named_beside_what_was_checked(health_key: IssuerKey, trust: TrustList) -> None:
    document = _issue(health_key)
    suspension = next(e["statusListCredential"] for e in document["credentialStatus"]
                      if e["statusPurpose"] == "suspension")
    result = verify_credential(document, trust=trust, now=NOW, status=OneList())
    assert result.reason is Reason.STATUS_UNAVAILABLE and not result.valid and not result.status_checked
    assert result.missing_status_lists == (suspension,)
    assert result.message_zh == f"签名、签发机关与有效期核验通过，未被撤销；暂停状态列表不可用（{suspension}），不能确认未被暂停"
    assert result.to_json()["missing_status_lists"] == [suspension]


@pytest.mark.parametrize(
    "path, value",
    [
        (("credentialSubject", "holderName"), "李四"),
        (("credentialSubject", "number"), "Q430100000002"),
        (("validFrom",), "2020-01-01T00:00:00Z"),
        (("issuer", "name"), "某某机关"),
    ],
)
def test_a_tampered_credential_fails_as_altered(
    health_key: IssuerKey, trust: TrustList, path: tuple[str, ...], value: str
) -> None:
    document = _issue(health_key)
    target = document
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    result = verify_credential(document, trust=trust, now=NOW, status=Lists())
    assert result.reason is Reason.TAMPERED and not result.valid
    assert "改动" in result.message_zh


def test_dropping_the_status_entries_is_tampering(health_key: IssuerKey, trust: TrustList) -> None:
    document = _issue(health_key)
    del document["credentialStatus"]
    assert verify_credential(document, trust=trust, now=NOW, status=Lists()).reason is Reason.TAMPERED


def test_a_licence_signed_by_a_key_that_is_not_the_issuers_fails_as_wrong_key(trust: TrustList) -> None:
    impostor = IssuerKey(HEALTH, SigningKey.generate())  # claims to be the health commission
    result = verify_credential(_issue(impostor), trust=trust, now=NOW, status=Lists())
    assert result.reason is Reason.WRONG_KEY and "密钥" in result.message_zh


def test_a_key_retired_before_the_signature_fails_as_wrong_key(health_key: IssuerKey) -> None:
    retired = TrustList.of([_trusted(health_key, "卫健委", "430100", valid_until=(NOW - timedelta(days=30)).date())])
    assert verify_credential(_issue(health_key), trust=retired, now=NOW, status=Lists()).reason is Reason.WRONG_KEY


def test_an_issuer_not_on_the_trust_list_fails_as_untrusted(trust: TrustList) -> None:
    stranger = IssuerKey(issuer_id_for("999999", "dept.unknown"), SigningKey.generate())
    result = verify_credential(_issue(stranger), trust=trust, now=NOW, status=Lists())
    assert result.reason is Reason.UNTRUSTED_ISSUER and "可信名录" in result.message_zh


def test_an_expired_licence_fails_as_expired(health_key: IssuerKey, trust: TrustList) -> None:
    document = _issue(health_key, valid_until=NOW - timedelta(seconds=1))
    assert verify_credential(document, trust=trust, now=NOW, status=Lists()).reason is Reason.EXPIRED
    later = _issue(health_key, valid_from=NOW + timedelta(days=3))
    assert verify_credential(later, trust=trust, now=NOW, status=Lists()).reason is Reason.NOT_YET_VALID


@pytest.mark.parametrize(
    "purposes, reason",
    [
        ({StatusPurpose.REVOCATION}, Reason.REVOKED),
        ({StatusPurpose.SUSPENSION}, Reason.SUSPENDED),
        ({StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION}, Reason.REVOKED),
    ],
)
def test_revoked_and_suspended_licences_fail_with_their_own_reason(
    health_key: IssuerKey, trust: TrustList, purposes: set[StatusPurpose], reason: Reason
) -> None:
    index = LIST_SIZE + 42  # the second list, to exercise list numbering
    document = _issue(health_key, index=index)
    lists = Lists()
    for entry in document["credentialStatus"]:
        bits = lists.status_list(entry["statusListCredential"], trust.issuers[HEALTH], StatusPurpose(entry["statusPurpose"]))
        assert bits is not None and entry["statusListCredential"].endswith("/1")
        if StatusPurpose(entry["statusPurpose"]) in purposes:
            bits.set(42)
    result = verify_credential(document, trust=trust, now=NOW, status=lists)
    assert result.reason is reason and not result.valid


def test_an_unreachable_status_list_is_not_taken_as_good(health_key: IssuerKey, trust: TrustList) -> None:
    lists = Lists()
    lists.unavailable = True
    result = verify_credential(_issue(health_key), trust=trust, now=NOW, status=lists)
    assert result.reason is Reason.STATUS_UNAVAILABLE and not result.valid and not result.status_checked


@pytest.mark.parametrize("document", [None, [], {}, {"@context": ["x"]}, "text"])
def test_malformed_input_is_reported_not_raised(trust: TrustList, document: Any) -> None:
    assert verify_credential(document, trust=trust, now=NOW, status=None).reason is Reason.MALFORMED


def test_a_licence_without_proof_is_malformed(health_key: IssuerKey, trust: TrustList) -> None:
    document = _issue(health_key)
    del document["proof"]
    assert verify_credential(document, trust=trust, now=NOW, status=None).reason is Reason.MALFORMED


def test_another_regions_issuer_verifies_once_recognised(health_key: IssuerKey, trust: TrustList) -> None:
    shenzhen = IssuerKey(FOREIGN, SigningKey.generate())
    document = _issue(shenzhen)
    assert verify_credential(document, trust=trust, now=NOW, status=Lists()).reason is Reason.UNTRUSTED_ISSUER
    published = TrustList.of([_trusted(shenzhen, "深圳市卫生健康委员会", "440300")]).to_json()
    recognised = trust.with_issuers(TrustList.from_json(published, local=False).issuers.values())
    result = verify_credential(document, trust=recognised, now=NOW, status=Lists())
    assert result.valid and result.recognised and result.issuer_name_zh == "深圳市卫生健康委员会"


def test_status_list_credentials_round_trip_and_only_their_issuer_may_sign_them(health_key: IssuerKey, trust: TrustList) -> None:
    url = f"{BASE}/status-lists/dept.health/revocation/0"
    bits = StatusList.with_set([0, 9, LIST_SIZE - 1])
    published = status_list_credential(url=url, purpose=StatusPurpose.REVOCATION, status=bits, key=health_key, issued_at=NOW)
    issuer = trust.issuers[HEALTH]
    decoded = status_list_of(published, url=url, issuer=issuer, purpose=StatusPurpose.REVOCATION)
    assert decoded is not None
    assert [i for i in (0, 1, 9, 10, LIST_SIZE - 1) if decoded.is_set(i)] == [0, 9, LIST_SIZE - 1]
    assert status_list_of(published, url=url, issuer=issuer, purpose=StatusPurpose.SUSPENSION) is None
    assert status_list_of(published, url=url + "x", issuer=issuer, purpose=StatusPurpose.REVOCATION) is None
    forged = copy.deepcopy(published)
    forged["credentialSubject"]["encodedList"] = StatusList().encode()  # hide a revocation
    assert status_list_of(forged, url=url, issuer=issuer, purpose=StatusPurpose.REVOCATION) is None


def test_the_qr_payload_carries_the_whole_credential(health_key: IssuerKey, trust: TrustList) -> None:
    document = _issue(health_key)
    payload = qr_payload(document)
    assert payload.startswith("OT1:") and len(payload) < 1800
    assert read_qr_payload(payload) == document == credential_from_text(payload)
    assert verify_credential(read_qr_payload(payload), trust=trust, now=NOW, status=Lists()).valid


@pytest.mark.parametrize("text", ["OT1:", "OT1:abc", "OT1:%%%%", "HC1:ABC", "not json", "[1, 2]"])
def test_damaged_qr_payloads_say_why(text: str) -> None:
    with pytest.raises(CarrierError):
        credential_from_text(text)


def test_a_broken_trust_list_names_the_entry(tmp_path: Any) -> None:
    path = tmp_path / "trust.json"
    path.write_text('{"issuers": [{"id": "urn:x", "name_zh": "某局", "region": "1", "keys": [{"publicKeyMultibase": "zBad"}]}]}')
    with pytest.raises(TrustListError, match=r"trust.json: issuers\[0\] \(urn:x\) key 0"):
        TrustList.load(path)
