"""Rating's refusals (好差评服务的拒绝), one tree rooted in the library's, each with what it says to the caller in
Chinese and English; what HTTP status each is answered with is decided at the edge (``entrypoints/errors.py``).

* exchange.DomainRefusal
  + RatingError
    + CaseUnknown       no such case here
    + NotInvited        the touchpoint was not (yet) invited: e.g. the case is not delivered yet
    + UnrelatedRater    the rater is neither the applicant nor acting for them
    + AlreadyRated      the touchpoint was rated before: one rating each
    + OrderUnknown      no such rectification order or appeal
    + NotAnswerable     the caller is not the department the order is addressed to
    + NotSupervisor     the caller may not call back or decide appeals
    + OwnOrder          a supervisor may not call back or decide on its own department's order
    + WrongState        the order is not in a state that allows this step
"""

from __future__ import annotations

from typing import ClassVar

from exchange.errors import DomainRefusal
from exchange.messages import Text
from rating.domain.messages import MESSAGES

__all__ = [
    "AlreadyRated",
    "CaseUnknown",
    "NotAnswerable",
    "NotInvited",
    "NotSupervisor",
    "OrderUnknown",
    "OwnOrder",
    "RatingError",
    "UnrelatedRater",
    "WrongState",
]


class RatingError(DomainRefusal):
    """A request the rating service refuses, with the message for the caller."""

    message_key: ClassVar[str] = "request_refused"  # the text in the catalogue (domain.messages)
    message_zh: str
    message_en: str

    def __init__(self, subject: str, detail: Text | None = None) -> None:
        super().__init__(f"{type(self).__name__}: {subject}")
        self.subject = subject
        text = MESSAGES.text(self.message_key) if detail is None else detail
        self.message_zh, self.message_en = text.zh, text.en


class CaseUnknown(RatingError):
    message_key = "case_not_found"


class NotInvited(RatingError):
    message_key = "touchpoint_not_invited"


class UnrelatedRater(RatingError):
    # Word for word as an unknown case: no one tells someone else's case from an unknown one by trying ID numbers.
    message_key = CaseUnknown.message_key


class AlreadyRated(RatingError):
    message_key = "touchpoint_rated_already"


class OrderUnknown(RatingError):
    message_key = "order_not_found"


class NotAnswerable(RatingError):
    message_key = "order_not_addressed_to_caller"


class NotSupervisor(RatingError):
    message_key = "not_a_supervisor"


class OwnOrder(RatingError):
    message_key = "own_order"


class WrongState(RatingError):
    message_key = "order_state_forbids_step"
