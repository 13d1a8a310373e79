"""Intake's refusals (受理服务的拒绝), one tree rooted in the library's. What each means at an edge is decided there:
``entrypoints/errors.py`` gives the HTTP status (noted here in brackets) and the text; the consumer runner
dead-letters the last two.

* exchange.DomainRefusal
  + IntakeError
    + ApplicationInvalid     the application breaks a rule (422, with field paths)
    + IdempotencyKeyReused   an Idempotency-Key sent again with another request body (422)
    + CaseNotFound           no such case, or not one the caller may follow (404: the same answer)
    + UnknownOneThing        no such one-thing in the catalogue in force (404)
    + DelegationNotFound     no such authorisation of the caller's (404)
    + DraftNotFound          no such pre-fill draft the caller may read (404)
    + NothingToCorrect       no correction notice of the case is open (409)
    + NotDelegated           an online proxy without the applicant's authorisation (委托授权, 403)
    + NotOneself             authorising for, or looking up, someone else (403)
    + DelegationRefused      an authorisation that cannot be granted (422)
    + UnknownCase            a case-stream fact about a case intake never accepted
    + ForeignAnswer          a pre-fill answer from the wrong registry or about someone else
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.errors import DomainRefusal
from exchange.messages import Text


class IntakeError(DomainRefusal):
    """Root of intake's own refusals."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    path: str
    type: str
    message_zh: str
    message_en: str

    @classmethod
    def said(cls, path: str, type_: str, text: Text) -> FieldProblem:
        """A problem worded by a text of the catalogue (``intake.domain.messages``)."""
        return cls(path, type_, text.zh, text.en)


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


class UnknownOneThing(IntakeError):
    pass


class DelegationNotFound(IntakeError):
    pass


class DraftNotFound(IntakeError):
    pass


class NothingToCorrect(IntakeError):
    pass


class NothingToHandOver(IntakeError):
    """出件 at the window: the case is not delivered yet, or its results went by mail."""


class NotOneself(IntakeError):
    """Someone else's authorisation or data: ``about`` is ``delegation`` (authorising for them) or ``lookup``."""

    def __init__(self, about: str) -> None:
        super().__init__(f"not the caller's own {about}")
        self.about = about


class NotDelegated(IntakeError):
    """An online proxy applied for someone who has not authorised them (for this one-thing, now)."""


class DelegationRefused(IntakeError):
    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh, self.message_en = message_zh, message_en


class UnknownCase(IntakeError):
    """A fact about a case intake never accepted."""


class ForeignAnswer(IntakeError):
    """A pre-fill answer signed by another principal than its registry, or about another subject."""
