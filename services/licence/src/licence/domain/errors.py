"""Licence's refusals (电子证照服务的拒绝), one tree rooted in the library's and free of transport policy.

* exchange.DomainRefusal
  + LicenceRefusal
    + IncompleteConclusion     an approved, licence-yielding conclusion that lacks what a licence needs
    + UnknownLicenceType       a conclusion naming a licence type the platform does not know
    + LicenceNotFound          no licence has this id
    + NotTheIssuer             only the issuing department revokes, suspends or reinstates its licences
    + StatusChangeRefused      the licence's present state does not allow the change (with zh/en text)

The consumer runner dead-letters the first two; ``entrypoints.errors`` gives the others their HTTP status.
"""

from __future__ import annotations

from exchange.errors import DomainRefusal

__all__ = [
    "IncompleteConclusion",
    "LicenceNotFound",
    "LicenceRefusal",
    "NotTheIssuer",
    "StatusChangeRefused",
    "UnknownLicenceType",
]


class LicenceRefusal(DomainRefusal):
    """A rule of the licence service refuses what it was sent or asked."""


class IncompleteConclusion(LicenceRefusal):
    """An approved conclusion says it yields a licence but names no licence type or holder."""


class UnknownLicenceType(LicenceRefusal):
    """The licence type is not in ``contracts.licence_types``: no name or validity to issue it with."""


class LicenceNotFound(LicenceRefusal):
    """No licence has this id."""


class NotTheIssuer(LicenceRefusal):
    """The caller is not the licence's issuing department."""


class StatusChangeRefused(LicenceRefusal):
    """A status change the licence's current state does not allow."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
