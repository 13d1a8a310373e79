"""Exchange error tree; see the package docstring."""

from __future__ import annotations

__all__ = ["DomainRefusal", "ExchangeError", "Malformed", "NotPermitted", "Rejected", "SignatureInvalid", "Transient"]


class ExchangeError(Exception):
    """Root of every error the exchange library raises on purpose."""


class Rejected(ExchangeError):
    """The message can never be handled (bad shape, broken rule): it goes to the dead-letter topic."""


class Malformed(Rejected):
    """The record is no envelope, or its type, version or payload does not match the published schema. ``code``
    names a refusal the contract defines (``contracts.registry.PayloadError.code``), if it is one."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class SignatureInvalid(Rejected):
    """The envelope's signature is missing, wrong, or by a key that is not trusted for its source."""


class NotPermitted(Rejected):
    """The envelope is signed by its source, but that principal may not publish its event type
    (:mod:`contracts.publishing`): a security refusal, reported as a security event."""

    def __init__(self, reason: str, *, source: str, event_type: str, event_id: str, subject: str) -> None:
        super().__init__(reason)
        self.reason, self.source, self.event_type, self.event_id, self.subject = (
            reason, source, event_type, event_id, subject)


class DomainRefusal(ExchangeError):
    """A service's business rule refuses what it was asked (a department answering another's task, a re-drive of an
    answered request). It says nothing of transport: each edge maps it in one place. The consumer runner takes it as
    poison (dead-lettered, and handed to the service's refusal hook, like a :class:`Rejected`); a service's HTTP edge
    answers it with the status and text its error table gives. Each service roots its own refusals here
    (``<service>.domain.errors``)."""


class Transient(ExchangeError):
    """A temporary failure (database or broker unavailable): retry later, never dead-letter."""
