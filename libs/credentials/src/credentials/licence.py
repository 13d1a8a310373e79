"""The electronic licence as a W3C Verifiable Credential (电子证照凭证).

Only the VC 2.0 base context is used: its ``@vocab`` makes the licence's own claims issuer-dependent
terms, and ``eddsa-jcs-2022`` signs the JSON itself, so no further JSON-LD context has to be fetched.
The holder's ID number is in the credential, as on the paper licence; the QR code carries the credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credentials.proof import IssuerKey, xsd_datetime

__all__ = ["LICENCE_VC_TYPE", "VC_CONTEXT", "LicenceClaims", "licence_credential"]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
LICENCE_VC_TYPE = "ElectronicLicence"


@dataclass(frozen=True, slots=True)
class LicenceClaims:
    """What a licence says (证照信息)."""

    licence_id: str
    licence_type: str  # ``contracts.licence_types`` code, e.g. birth-medical-certificate
    licence_name_zh: str  # e.g. 出生医学证明
    number: str  # 证照编号
    holder_id: str  # 身份证号码 or 统一社会信用代码
    holder_name: str
    case_id: str
    item_code: str
    valid_from: datetime
    valid_until: datetime | None = None
    evidence: Mapping[str, str] | None = None  # the department's decision it rests on (event id, task id)


def licence_credential(
    claims: LicenceClaims,
    *,
    key: IssuerKey,
    issuer_name_zh: str,
    credential_status: list[dict[str, Any]],
    issued_at: datetime,
) -> dict[str, Any]:
    """The signed credential of ``claims``, issued by ``key``'s issuer."""
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": f"urn:uuid:{claims.licence_id}",
        "type": ["VerifiableCredential", LICENCE_VC_TYPE],
        "name": claims.licence_name_zh,
        "issuer": {"id": key.issuer_id, "name": issuer_name_zh},
        "validFrom": xsd_datetime(claims.valid_from),
        "credentialSubject": {
            "id": f"urn:onething:holder:{claims.holder_id}",
            "holderId": claims.holder_id,
            "holderName": claims.holder_name,
            "licenceType": claims.licence_type,
            "licenceName": claims.licence_name_zh,
            "number": claims.number,
            "caseId": claims.case_id,
            "itemCode": claims.item_code,
        },
        "credentialStatus": credential_status,
    }
    if claims.valid_until is not None:
        document["validUntil"] = xsd_datetime(claims.valid_until)
    if claims.evidence:
        document["evidence"] = [{"type": ["DepartmentDecision"], **claims.evidence}]
    return key.sign(document, created=issued_at)
