"""Pseudonyms of applicants (假名化): what the case stream says instead of an ID number.

Supervision must see that one applicant filed the same items again while a case is open (SUP-05, 重复申请)
without learning who they are. An unkeyed hash of an ID number is no pseudonym: the numbers of one birth date
and region are few enough to try them all. So it is an HMAC keyed by a secret only intake holds, derived from
intake's own private key (a new key gives new pseudonyms: the repeat check then starts afresh, nothing else
changes).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

__all__ = ["Pseudonyms"]

_CONTEXT = b"onething/intake/applicant-pseudonym/v1"


@dataclass(frozen=True, slots=True)
class Pseudonyms:
    key: bytes
    rater_key: bytes | None = None  # keys the rater digests (contracts.intake.v1.rater_key); shared with rating

    @classmethod
    def derived_from(cls, secret: bytes, *, rater_key: bytes | None = None) -> Pseudonyms:
        """The pseudonym key for ``secret`` (intake's raw private key bytes): a key of its own, for this use only."""
        return cls(hmac.new(secret, _CONTEXT, hashlib.sha256).digest(), rater_key)

    def applicant(self, id_number: str) -> str:
        return hmac.new(self.key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()
