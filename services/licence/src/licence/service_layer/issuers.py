"""The issuers this service seals for (统一电子印章) and the trust list it publishes (可信签发机关名录)."""

from __future__ import annotations

from contracts.departments import seal_principal
from credentials.platform import issuer_name_zh, local_trust_list
from credentials.proof import IssuerKey
from credentials.trust import TrustList, issuer_id_for
from exchange.signing import KeyRing

__all__ = ["Issuers"]


class Issuers:
    """Each department's seal, loaded once; the local issuers plus those recognised from other regions."""

    def __init__(self, keyring: KeyRing, *, region: str, region_name_zh: str, recognised: TrustList | None = None,
                 public_url: str) -> None:
        self._keyring = keyring
        self.region = region
        self.region_name_zh = region_name_zh
        self.public_url = public_url.rstrip("/")
        self._recognised = recognised or TrustList()
        self._seals: dict[str, IssuerKey] = {}
        self._trust: TrustList | None = None

    def issuer_id(self, department: str) -> str:
        return issuer_id_for(self.region, department)

    def name_zh(self, department: str) -> str:
        return issuer_name_zh(self.region_name_zh, department)

    def seal(self, department: str) -> IssuerKey:
        """The department's seal key; ``FileNotFoundError`` naming the key when it has none."""
        key = self._seals.get(department)
        if key is None:
            key = IssuerKey(self.issuer_id(department), self._keyring.private_key(seal_principal(department)))
            self._seals[department] = key
        return key

    def department_of(self, issuer_id: str) -> str | None:
        """The local department an issuer id names, or ``None`` for another region's issuer."""
        prefix = issuer_id_for(self.region, "")
        return issuer_id[len(prefix):] if issuer_id.startswith(prefix) else None

    def trust_list(self) -> TrustList:
        if self._trust is None:
            local = local_trust_list(self._keyring, region=self.region, region_name_zh=self.region_name_zh,
                                     public_url=self.public_url)
            self._trust = local.with_issuers(self._recognised.issuers.values())
        return self._trust
