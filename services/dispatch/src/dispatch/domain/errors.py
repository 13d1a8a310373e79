"""Dispatch's refusals (分办服务的拒绝), one tree rooted in the library's and free of transport policy.

* exchange.DomainRefusal
  + DispatchRefusal
    + ForeignResult            a department answered for a task, or receipted a request, that is not its own
    + UnknownTask              an answer or receipt for a task or request dispatch never created
    + UnknownRequest           an operator named a department request dispatch does not keep
    + RedriveRefused           an operator re-drove a request the department has answered

What each means at an edge is decided once there: the consumer runner dead-letters a refused answer and
``service_layer.refusals`` tells the department why; ``entrypoints.errors`` gives the HTTP status and text. (A
correction asked for while handling is not a refusal of dispatch's any more: ``department.result.returned`` v2 cannot
say it, and a v1 record that does is refused as malformed, with the R-14 reason in the notice.)
"""

from __future__ import annotations

from dispatch.domain.deadlines import RedriveRefusal
from exchange.errors import DomainRefusal

__all__ = [
    "DispatchRefusal",
    "ForeignResult",
    "RedriveRefused",
    "UnknownRequest",
    "UnknownTask",
]


class DispatchRefusal(DomainRefusal):
    """A rule of dispatch refuses what it was sent or asked."""


class ForeignResult(DispatchRefusal):
    """A department answered for a task that is not its own."""


class UnknownTask(DispatchRefusal):
    """A result names a task that does not exist."""


class UnknownRequest(DispatchRefusal):
    """No department request has this id."""


class RedriveRefused(DispatchRefusal):
    """The request may not be re-driven, for ``reason``."""

    def __init__(self, reason: RedriveRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason
