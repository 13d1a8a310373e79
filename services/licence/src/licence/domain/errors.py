"""Licence errors.

* exchange.Rejected          (dead-lettered by the consumer runner)
  + IncompleteConclusion     an approved, licence-yielding conclusion that lacks what a licence needs
  + UnknownLicenceType       a conclusion naming a licence type the platform does not know
"""

from __future__ import annotations

from exchange.errors import Rejected


class IncompleteConclusion(Rejected):
    """An approved conclusion says it yields a licence but names no licence type or holder."""


class UnknownLicenceType(Rejected):
    """The licence type is not in ``contracts.licence_types``: no name or validity to issue it with."""
