"""Payload registry: ``(type, version)`` → payload class, and decoding of an envelope's data.

A type string is forever. A breaking change adds a ``v2`` module and an upcaster here; readers are
upgraded before writers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from contracts.department.v1 import RequestReceived, ResultReturned, ReviewReturned
from contracts.department.v2 import ResultReturned as ResultReturnedV2
from contracts.department.v2 import ReviewReturned as ReviewReturnedV2
from contracts.dispatch.v1 import (
    AnswerRefused,
    FindingBeyondList,
    LicenceRequested,
    RequestSent,
    RequestUndeliverable,
    ReviewConcluded,
    ReviewRequested,
    TaskConcluded,
    TaskReleased,
)
from contracts.dispatch.v2 import TaskConcluded as TaskConcludedV2
from contracts.envelope import Envelope, EventPayload
from contracts.gateway.v1 import CallbackParked
from contracts.intake.v1 import (
    CaseAccepted,
    CaseCorrected,
    CaseDelivered,
    CaseNotified,
    CaseRegistered,
    CorrectionFiled,
)
from contracts.licence.v1 import CaseLicenceIssued, LicenceIssued, LicenceStatusChanged
from contracts.licence.v2 import LicenceStatusChanged as LicenceStatusChangedV2
from contracts.rating.v1 import (
    AppealDecided,
    AppealFiled,
    InvitationSent,
    RatingFigures,
    RatingSubmitted,
    RectificationCalledBack,
    RectificationClosed,
    RectificationOpened,
    RectificationReported,
)
from contracts.security.v1 import PublishRefused
from contracts.sharing.v1 import LookupAnswered, LookupRequested
from contracts.supervision.v1 import (
    CardIssued,
    ClockAdjusted,
    ClockStarted,
    ClockStopped,
    FiguresPublished,
    OrderIssued,
    RepeatFlagged,
)

__all__ = ["PAYLOADS", "PayloadError", "UnknownEventType", "decode_payload", "payload_class"]

PAYLOADS: tuple[type[EventPayload], ...] = (
    CaseAccepted,
    CaseCorrected,
    CaseRegistered,
    CorrectionFiled,
    CaseDelivered,
    CaseNotified,
    TaskReleased,
    RequestSent,
    RequestUndeliverable,
    TaskConcluded,
    TaskConcludedV2,
    RequestReceived,
    ResultReturned,
    ResultReturnedV2,
    ReviewRequested,
    ReviewReturned,
    ReviewReturnedV2,
    ReviewConcluded,
    FindingBeyondList,
    AnswerRefused,
    LicenceRequested,
    LookupRequested,
    LookupAnswered,
    LicenceIssued,
    CaseLicenceIssued,
    CallbackParked,
    LicenceStatusChanged,
    LicenceStatusChangedV2,
    ClockStarted,
    ClockAdjusted,
    ClockStopped,
    CardIssued,
    OrderIssued,
    RepeatFlagged,
    FiguresPublished,
    InvitationSent,
    RatingSubmitted,
    RectificationOpened,
    RectificationReported,
    RectificationCalledBack,
    RectificationClosed,
    AppealFiled,
    AppealDecided,
    RatingFigures,
    PublishRefused,
)

_BY_KEY: dict[tuple[str, int], type[EventPayload]] = {
    (p.event_type, p.event_version): p for p in PAYLOADS
}

def _without(*names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def upcast(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k not in names}

    return upcast


def _findings_of_the_item(data: dict[str, Any]) -> dict[str, Any]:
    """A v1 review's deficiencies as v2 findings: the item and department each repeated are dropped where they are the
    review's own; a deficiency about another item or department keeps them, and v2 refuses it."""
    own = (data.get("item_code"), data.get("department"))

    def finding(deficiency: Any) -> Any:
        if isinstance(deficiency, dict) and (deficiency.get("item_code"), deficiency.get("department")) == own:
            return {k: v for k, v in deficiency.items() if k not in ("item_code", "department")}
        return deficiency

    data = {k: v for k, v in data.items() if k != "decision"}  # v1 has no decision at review (即审即办 is v2's)
    deficiencies = data.get("deficiencies")
    return {**data, "deficiencies": [finding(d) for d in deficiencies]} if isinstance(deficiencies, list) else data


def _unchanged(data: dict[str, Any]) -> dict[str, Any]:
    return data


def _decision_only(data: dict[str, Any]) -> dict[str, Any]:
    """A v1 result is a v2 result unless it asks for corrections, which v2 cannot say (R-14: only preliminary review
    may): refused with the code the department's refusal notice names."""
    if data.get("outcome") == "needs_correction":
        raise PayloadError("department.result.returned v1: a result cannot ask for corrections (R-14); raise them in "
                           "preliminary review", code="correction_outside_review")
    return data


# (type, from_version) -> function turning old data into the next version's data; one that refuses raises
# PayloadError (with a code when the refusal has a name of its own).
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    # v2 names no one on the case stream (数据最小化): the holder goes to the licence service alone.
    ("dispatch.task.concluded", 1): _without("holder_id", "holder_name"),
    ("licence.licence.status_changed", 1): _without("holder_id"),
    # v2 says only what can be said: a decision, never needs_correction (R-14: that is preliminary review's); and
    # findings of the reviewed item only.
    ("department.result.returned", 1): _decision_only,
    ("department.review.returned", 1): _findings_of_the_item,
}


class UnknownEventType(LookupError):
    """No payload class is registered for this (type, version)."""


class PayloadError(ValueError):
    """The envelope's data does not match its declared payload schema. ``code`` names a refusal the contract itself
    defines (an upcaster's), for whoever tells the sender why; None for a plain schema mismatch."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def payload_class(event_type: str, version: int) -> type[EventPayload]:
    try:
        return _BY_KEY[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"{event_type} v{version}") from None


def decode_payload(envelope: Envelope) -> EventPayload:
    data, version = envelope.data, envelope.version
    while (envelope.type, version) in UPCASTERS:
        data = UPCASTERS[(envelope.type, version)](data)
        version += 1
    cls = payload_class(envelope.type, version)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(f"{envelope.type} v{envelope.version}: {exc}") from exc
