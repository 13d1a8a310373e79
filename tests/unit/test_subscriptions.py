"""Typed subscriptions: a handler gets exactly the payload class it names; another class is poison (a schema
violation, dead-lettered), never an ``AssertionError`` inside the handler."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.examples import example
from contracts.intake.v1 import CaseDelivered
from contracts.rating.v1 import RatingSubmitted
from exchange.errors import Malformed
from exchange.failures import FailureKind, classify
from exchange.kafka.subscriptions import handles, handles_direct


def test_a_handler_receives_its_own_payload_class_and_refuses_another() -> None:
    seen: list[CaseDelivered] = []

    async def delivered(uow: Any, envelope: Envelope, payload: CaseDelivered) -> None:
        seen.append(payload)

    event_type, handler = handles(CaseDelivered, delivered)
    assert event_type == CaseDelivered.event_type
    right = example(CaseDelivered)
    asyncio.run(handler(None, Envelope.wrap(right, source="intake", subject="C-1"), right))  # type: ignore[arg-type]
    assert seen == [right]

    wrong = example(RatingSubmitted)
    with pytest.raises(Malformed, match="not CaseDelivered") as refused:
        asyncio.run(handler(None, Envelope.wrap(right, source="intake", subject="C-1"), wrong))  # type: ignore[arg-type]
    assert classify(refused.value) is FailureKind.POISON and seen == [right]

    async def direct(envelope: Envelope, payload: CaseDelivered) -> None:
        seen.append(payload)

    _, direct_handler = handles_direct(CaseDelivered, direct)

    async def call_direct() -> None:
        await direct_handler(Envelope.wrap(right, source="intake", subject="C-1"), wrong)

    with pytest.raises(Malformed):
        asyncio.run(call_direct())
