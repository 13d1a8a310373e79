"""Rating errors (raised by the use cases, answered by the API in Chinese and English).

* RatingError
  + NotDelivered      the case is unknown here or its result was not delivered yet (404)
  + AlreadyRated      the case was rated before: one case, one rating (409)
"""

from __future__ import annotations

__all__ = ["AlreadyRated", "NotDelivered", "RatingError"]


class RatingError(Exception):
    """A rating that cannot be accepted; carries the message for the applicant."""

    message_zh: str = "无法评价"
    message_en: str = "the rating cannot be accepted"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"{type(self).__name__}: {case_id}")
        self.case_id = case_id


class NotDelivered(RatingError):
    message_zh = "办件尚未送达，暂不能评价"
    message_en = "case not delivered yet"


class AlreadyRated(RatingError):
    message_zh = "该办件已评价，一事一评"
    message_en = "case already rated (one rating per case)"
