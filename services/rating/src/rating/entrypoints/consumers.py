"""Subscriptions of rating: the case stream (intake's deliveries)."""

from __future__ import annotations

from contracts.intake.v1 import CaseDelivered
from contracts.topics import CASE_STREAM
from exchange.kafka.consumer import Handler
from rating.service_layer import handlers

TOPICS = (CASE_STREAM,)

HANDLERS: dict[str, Handler] = {
    CaseDelivered.event_type: handlers.case_delivered,
}
