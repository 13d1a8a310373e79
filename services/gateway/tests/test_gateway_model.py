"""A queued request without I/O: receipted once when stored, answered once (the same answer again is no new fact, a
different one is refused), delivered or parked by its callback attempts, re-driven only when parked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.department.v1 import RequestKind
from gateway.domain.errors import AnswerConflict, NotRedrivable, WrongKind
from gateway.domain.model import AnswerGiven, CallbackParked, QueuedRequest, Receipted
from gateway.domain.requests import Delivery, DeliveryPolicy

NOW = datetime(2026, 1, 12, 9, tzinfo=UTC)
POLICY = DeliveryPolicy(max_attempts=2, backoff_s=1.0, backoff_max_s=10.0)


def stored() -> QueuedRequest:
    return QueuedRequest.stored(request_id="r-1", department="police", seq=1, kind=RequestKind.HANDLING,
                                case_id="C-1", item_code="P-01-03", envelope={"data": {}}, received_at=NOW,
                                receipt_event_id="e-1")


def test_a_request_is_answered_once_and_the_same_answer_again_is_no_new_fact() -> None:
    request = stored()
    assert request.collect() == [Receipted()]
    decision = {"outcome": "approved", "decided_at": NOW.isoformat()}
    with pytest.raises(WrongKind):
        request.give_answer(RequestKind.REVIEW, decision, "a-1", NOW)
    assert request.give_answer(RequestKind.HANDLING, decision, "a-1", NOW)
    later = {**decision, "decided_at": (NOW + timedelta(hours=1)).isoformat()}  # when it says is not the decision
    assert not request.give_answer(RequestKind.HANDLING, later, "a-1", NOW)
    with pytest.raises(AnswerConflict):
        request.give_answer(RequestKind.HANDLING, {**decision, "outcome": "rejected"}, "a-1", NOW)
    assert request.collect() == [AnswerGiven(decision, "a-1")]


def test_failed_callbacks_park_the_delivery_once_and_a_redrive_starts_afresh() -> None:
    request = stored()
    request.collect()
    with pytest.raises(NotRedrivable):
        request.redrive(NOW)
    request.delivery_tried("HTTP 503", POLICY, NOW)
    assert request.delivery is Delivery.PENDING and request.next_delivery_at == NOW + timedelta(seconds=1)
    assert request.still_due(1) and not request.still_due(0)  # an attempt that saw an older state does not count
    request.delivery_tried("HTTP 503", POLICY, NOW)
    assert request.delivery is Delivery.UNDELIVERABLE and request.collect() == [CallbackParked(2, NOW)]
    request.redrive(NOW)
    assert (request.delivery, request.delivery_attempts) == (Delivery.PENDING, 0)
    request.delivery_tried(None, POLICY, NOW)
    assert request.delivery is Delivery.DELIVERED and request.collect() == []
