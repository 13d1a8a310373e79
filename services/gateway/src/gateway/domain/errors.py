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

__all__ = ["AnswerConflict", "GatewayRefusal", "NotRedrivable", "UnknownRequest", "WrongKind"]


class GatewayRefusal(DomainRefusal):
    """A refusal the department can act on."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


class UnknownRequest(GatewayRefusal):
    def __init__(self, department: str, request_id: str) -> None:
        super().__init__(f"本部门（{department}）没有编号为 {request_id} 的请求",
                         f"no request {request_id} was addressed to {department}")


class WrongKind(GatewayRefusal):
    pass


class AnswerConflict(GatewayRefusal):
    pass


class NotRedrivable(GatewayRefusal):
    pass
