"""What the gateway refuses (部门接入网关的拒绝), each with its message in Chinese and English, in one tree rooted in
the library's; the HTTP status of each is decided at the edge (``entrypoints/errors.py``).

* exchange.DomainRefusal
  + GatewayRefusal
    + UnknownRequest   no such request was addressed to the department
    + WrongKind        a review answered as a result, or the other way round
    + AnswerConflict   an answer repeated with other content
    + NotRedrivable    only a request whose delivery is parked can be re-delivered
"""

from __future__ import annotations

from exchange.errors import DomainRefusal
from exchange.messages import Text
from gateway.domain.messages import MESSAGES

__all__ = ["AnswerConflict", "GatewayRefusal", "NotRedrivable", "UnknownRequest", "WrongKind"]


class GatewayRefusal(DomainRefusal):
    """A refusal the department can act on."""

    def __init__(self, message: Text) -> None:
        super().__init__(message.en)
        self.message_zh = message.zh
        self.message_en = message.en


class UnknownRequest(GatewayRefusal):
    def __init__(self, department: str, request_id: str) -> None:
        super().__init__(MESSAGES.text("request_not_addressed_to_department", department=department,
                                       request_id=request_id))


class WrongKind(GatewayRefusal):
    pass


class AnswerConflict(GatewayRefusal):
    pass


class NotRedrivable(GatewayRefusal):
    pass
