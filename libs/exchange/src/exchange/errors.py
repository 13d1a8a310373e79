"""Exchange error tree; see the package docstring."""

from __future__ import annotations

__all__ = ["ExchangeError", "Malformed", "Rejected", "SignatureInvalid", "Transient"]


class ExchangeError(Exception):
    """Root of every error the exchange library raises on purpose."""


class Rejected(ExchangeError):
    """The message can never be handled (bad shape, broken rule): it goes to the dead-letter topic."""


class Malformed(Rejected):
    """The record is no envelope, or its type, version or payload does not match the published schema."""


class SignatureInvalid(Rejected):
    """The envelope's signature is missing, wrong, or by a key that is not trusted for its source."""


class Transient(ExchangeError):
    """A temporary failure (database or broker unavailable): retry later, never dead-letter."""
