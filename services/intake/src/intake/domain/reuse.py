"""Licence reuse (电子证照复用，免提交; R-27, LIC-03). Pure: the verification is passed in.

With the applicant's consent, each e-licence the holder already has (as the e-licence archive answered the
authorised pre-fill lookup) is verified here: the seal of a trusted issuer, unaltered, inside its validity
period, and about this applicant. The archive answers only licences that were neither revoked nor suspended
when it answered. A material whose catalogue entry names that licence type is then satisfied by the
licence: it is not asked of the applicant, and the department receives the credential instead of an upload.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from credentials.verify import Verification

__all__ = ["HeldLicence", "reusable_licences"]


@dataclass(frozen=True, slots=True)
class HeldLicence:
    licence_type: str
    licence_id: str
    number: str
    name_zh: str
    issuer_name_zh: str
    credential: Mapping[str, Any]


def reusable_licences(
    credentials: list[Any], *, holder_id: str, verify: Callable[[Any], Verification]
) -> dict[str, HeldLicence]:
    """Licence type → a licence of ``holder_id`` that verifies; the others are simply not reused (the material
    is then asked for as usual)."""
    held: dict[str, HeldLicence] = {}
    for credential in credentials:
        subject = credential.get("credentialSubject", {}) if isinstance(credential, Mapping) else {}
        if subject.get("holderId") != holder_id:
            continue
        result = verify(credential)
        if not result.valid:
            continue
        held[str(subject["licenceType"])] = HeldLicence(
            licence_type=str(subject["licenceType"]), licence_id=str(credential["id"]).removeprefix("urn:uuid:"),
            number=str(subject.get("number", "")), name_zh=str(subject.get("licenceName", "")),
            issuer_name_zh=result.issuer_name_zh or "", credential=credential,
        )
    return held
