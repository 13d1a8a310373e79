"""Intake errors.

* IntakeError
  x ApplicationInvalid     the application breaks a rule (HTTP 422, with field paths)
  x IdempotencyKeyReused   an Idempotency-Key sent again with another request body (HTTP 422)
  x CaseNotFound           (HTTP 404)
  x NothingToCorrect       no correction notice of the case is open (HTTP 409)
  x NotDelegated           an online proxy without the applicant's authorisation (委托授权, HTTP 403)
  x DelegationRefused      an authorisation that cannot be granted (HTTP 422)
  x exchange.Rejected      a case-stream fact intake cannot apply (dead-lettered)
    + UnknownCase
    + ForeignAnswer        a pre-fill answer from the wrong registry or about someone else
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.errors import Rejected


class IntakeError(Exception):
    """Root of intake's own errors."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    path: str
    type: str
    message_zh: str
    message_en: str


class ApplicationInvalid(IntakeError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message_en}" for p in problems))
        self.problems = problems


class IdempotencyKeyReused(IntakeError):
    """The key already belongs to an application with another body; the first case is not handed out for it."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was used for an application with another body")
        self.key = key


class CaseNotFound(IntakeError):
    pass


class NothingToCorrect(IntakeError):
    pass


class NotDelegated(IntakeError):
    """An online proxy applied for someone who has not authorised them (for this one-thing, now)."""


class DelegationRefused(IntakeError):
    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh, self.message_en = message_zh, message_en


class UnknownCase(Rejected):
    """A fact about a case intake never accepted."""


class ForeignAnswer(Rejected):
    """A pre-fill answer signed by another principal than its registry, or about another subject."""
