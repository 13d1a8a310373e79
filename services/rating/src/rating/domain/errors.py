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

from exchange.errors import DomainRefusal

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

    message_zh: str = "无法处理该请求"
    message_en: str = "the request cannot be accepted"

    def __init__(self, subject: str, detail_zh: str | None = None, detail_en: str | None = None) -> None:
        super().__init__(f"{type(self).__name__}: {subject}")
        self.subject = subject
        if detail_zh is not None:
            self.message_zh = detail_zh
        if detail_en is not None:
            self.message_en = detail_en


class CaseUnknown(RatingError):
    message_zh = "未找到该办件"
    message_en = "case not found"


class NotInvited(RatingError):
    message_zh = "该环节尚未邀请评价（办件未受理或未送达，或事项不在办件中）"
    message_en = "this touchpoint was not invited for rating (case not accepted or delivered, or no such item)"


class UnrelatedRater(RatingError):
    # Word for word as an unknown case: no one tells someone else's case from an unknown one by trying ID numbers.
    message_zh = CaseUnknown.message_zh
    message_en = CaseUnknown.message_en


class AlreadyRated(RatingError):
    message_zh = "该环节已评价，一事一号一评价"
    message_en = "this touchpoint was rated already (one rating per touchpoint)"


class OrderUnknown(RatingError):
    message_zh = "未找到该整改单或申诉"
    message_en = "rectification order or appeal not found"


class NotAnswerable(RatingError):
    message_zh = "只有被评价部门可以办理该整改单"
    message_en = "only the department the order is addressed to may act on it"


class NotSupervisor(RatingError):
    message_zh = "只有政务服务监督机构可以回访或复核申诉"
    message_en = "only the supervising body may call back or decide appeals"


class OwnOrder(RatingError):
    message_zh = "不得回访或复核本部门的整改单"
    message_en = "a department may not call back or decide appeals on its own orders"


class WrongState(RatingError):
    message_zh = "整改单当前状态不允许该操作"
    message_en = "the order's state does not allow this step"
