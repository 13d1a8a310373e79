"""Rules of a department's request queue (部门请求队列规则): pure, I/O-free.

A request is stored once per ``request_id``; its receipt (签收回执) and its answer each have one envelope id derived
from the request id, so a request sent again, or an answer given twice, has one effect downstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "Delivery",
    "DeliveryPolicy",
    "RequestState",
    "after_failed_delivery",
    "retry_delay",
    "same_decision",
    "state_of",
]


class Delivery(StrEnum):
    """How far a request got to the department's own system."""

    PENDING = "pending"  # 待取：waiting to be polled (or pushed to the callback)
    DELIVERED = "delivered"  # 已送达：the callback took it (2xx), or the department acknowledged it
    UNDELIVERABLE = "undeliverable"  # 投递搁置：every callback attempt failed; parked until re-driven


class RequestState(StrEnum):
    """What ``GET /departments/{code}/requests?state=`` selects."""

    OPEN = "open"  # 未答复：every request not answered yet, whatever its delivery
    PENDING = "pending"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    ANSWERED = "answered"  # 已答复


def state_of(delivery: str, answered: bool) -> RequestState:
    return RequestState.ANSWERED if answered else RequestState(delivery)


_WHEN_FIELDS = {"decided_at", "reviewed_at"}


def same_decision(given: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether an answer repeats the stored one: the same decision, whenever it says it was taken."""
    return {k: v for k, v in given.items() if k not in _WHEN_FIELDS} == {
        k: v for k, v in stored.items() if k not in _WHEN_FIELDS}


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Callback retries (回调重试): exponential back-off from ``backoff_s``, capped, ``max_attempts`` in all."""

    max_attempts: int
    backoff_s: float
    backoff_max_s: float


def retry_delay(policy: DeliveryPolicy, failed_attempts: int) -> timedelta:
    """The wait after the ``failed_attempts``-th failure: backoff, 2×backoff, 4×backoff, … at most the cap."""
    return timedelta(seconds=min(policy.backoff_s * 2 ** max(failed_attempts - 1, 0), policy.backoff_max_s))


def after_failed_delivery(policy: DeliveryPolicy, failed_attempts: int,
                          now: datetime) -> tuple[Delivery, datetime | None]:
    """The delivery state and next attempt time after ``failed_attempts`` failures: parked once they are spent."""
    if failed_attempts >= policy.max_attempts:
        return Delivery.UNDELIVERABLE, None
    return Delivery.PENDING, now + retry_delay(policy, failed_attempts)
