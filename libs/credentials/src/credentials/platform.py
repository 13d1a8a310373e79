"""This platform's own issuers: every department's electronic seal (电子印章) in the keys directory.

The one place that turns departments and their seal keys into issuer ids, names and a trust list, so the
licence service (which seals), intake and department systems (which verify) agree on them.
"""

from __future__ import annotations

from datetime import date, datetime

from contracts.days import CHINA_TZ
from contracts.departments import DEPARTMENTS, department, seal_principal
from credentials.multibase import multikey_encode
from credentials.trust import TrustedIssuer, TrustedKey, TrustList, issuer_id_for
from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing

__all__ = ["issuer_name_zh", "local_trust_list"]


def issuer_name_zh(region_name_zh: str, department_code: str) -> str:
    """签发机关 as printed: the region's name before the department's, e.g. 长沙市卫生健康委员会."""
    return f"{region_name_zh}{department(department_code).name_zh}"


def local_trust_list(keyring: KeyRing, *, region: str, region_name_zh: str,
                     public_url: str | None = None) -> TrustList:
    """Every department of ``region`` whose seal's public key is published in the key ring's directory; with the
    licence service's ``public_url``, each with where its status lists are published (for other regions)."""
    issuers = []
    for dept in DEPARTMENTS:
        try:
            seals = keyring.key_entries(seal_principal(dept.code))
        except SignatureInvalid:  # no seal published: that department issues no licences
            continue
        # The current seal and the retired ones, each with its period of service from the key list: a licence
        # sealed before a rotation still verifies, one dated after its seal's retirement does not; a revoked seal is
        # not listed, so nothing it sealed does.
        issuers.append(TrustedIssuer(
            issuer_id_for(region, dept.code), issuer_name_zh(region_name_zh, dept.code),
            f"{dept.name_en}, {region}", region,
            tuple(TrustedKey(multikey_encode(seal.public_key), seal.public_key, _day(seal.valid_from),
                             _day(seal.valid_until)) for seal in seals), local=True,
            status_list_base=f"{public_url.rstrip('/')}/status-lists/{dept.code}/" if public_url else None,
        ))
    return TrustList.of(issuers)


def _day(instant: datetime | None) -> date | None:
    """The day in China an instant falls on (the trust list's validity is by day)."""
    return None if instant is None else instant.astimezone(CHINA_TZ).date()
