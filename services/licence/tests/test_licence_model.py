"""The licence aggregate without I/O: issuing keeps the credential's exact bytes and records it once; a status
change is the issuing department's, as the present state allows, and is recorded with who and why."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import pytest

from contracts.licence.v1 import LicenceState, StatusAction
from licence.domain.errors import NotTheIssuer, StatusChangeRefused
from licence.domain.model import Issued, Licence, StatusChanged

CREDENTIAL = {"id": "urn:uuid:1", "credentialSubject": {"name": "张小明"}, "proof": {"proofValue": "z3x"}}


def issued() -> Licence:
    return Licence.issued(
        credential=CREDENTIAL, issuer_id="urn:onething:issuer:cn-430100:health", licence_id="L-1", case_id="C-1",
        item_code="P-01-01", licence_type="birth-medical-certificate", number="BMC-1", holder_id="430102202611210011",
        holder_name="张小明", issuer_department="health", issued_at=datetime(2026, 11, 21, 9, tzinfo=UTC),
        valid_from=date(2026, 11, 21), valid_until=None, signer="urn:onething:issuer:cn-430100:health#k1",
        status_index=7)


def test_an_issued_licence_keeps_the_canonical_bytes_it_was_sealed_over_and_records_one_issue() -> None:
    licence = issued()
    assert json.loads(licence.credential) == CREDENTIAL
    assert licence.credential == '{"credentialSubject":{"name":"张小明"},"id":"urn:uuid:1","proof":{"proofValue":"z3x"}}'
    assert licence.record_digest == hashlib.sha256(licence.credential.encode()).hexdigest()
    assert licence.collect() == [Issued(CREDENTIAL, "urn:onething:issuer:cn-430100:health")]
    assert licence.state is LicenceState.ACTIVE and licence.valid_on(date(2099, 1, 1))


def test_only_the_issuing_department_changes_the_status_as_the_state_allows() -> None:
    licence = issued()
    licence.collect()
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(NotTheIssuer):
        licence.change_status(StatusAction.SUSPEND, reason_zh="核查", actor="dept.police", now=now)
    licence.change_status(StatusAction.SUSPEND, reason_zh="核查", actor="dept.health", now=now)
    assert (licence.state, licence.state_reason, licence.state_changed_at) == (LicenceState.SUSPENDED, "核查", now)
    assert not licence.valid_on(date(2026, 12, 2))
    licence.change_status(StatusAction.REVOKE, reason_zh="信息有误", actor="dept.health", now=now)
    with pytest.raises(StatusChangeRefused):
        licence.change_status(StatusAction.REINSTATE, reason_zh="恢复", actor="dept.health", now=now)
    assert licence.collect() == [
        StatusChanged(StatusAction.SUSPEND, LicenceState.SUSPENDED, "核查", "dept.health", now),
        StatusChanged(StatusAction.REVOKE, LicenceState.REVOKED, "信息有误", "dept.health", now),
    ]
