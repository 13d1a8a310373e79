"""Subscriptions of rating: the case stream (acceptance and delivery invite ratings; supervision's clock of
each rectification order, its cards and orders) and the figures its stream processor publishes."""

from __future__ import annotations

from contracts.intake.v1 import CaseDelivered, CaseRegistered
from contracts.rating.v1 import RatingFigures
from contracts.supervision.v1 import CardIssued, ClockAdjusted, ClockStarted, OrderIssued
from contracts.topics import CASE_STREAM, RATING_FIGURES
from exchange.kafka.consumer import Handler
from rating.service_layer.figures import figures_updated
from rating.service_layer.handlers import RatingLoop

TOPICS = (CASE_STREAM, RATING_FIGURES)


def handlers(loop: RatingLoop) -> dict[str, Handler]:
    return {
        CaseRegistered.event_type: loop.case_registered,
        CaseDelivered.event_type: loop.case_delivered,
        ClockStarted.event_type: loop.clock_started,
        ClockAdjusted.event_type: loop.clock_adjusted,
        CardIssued.event_type: loop.card_issued,
        OrderIssued.event_type: loop.order_issued,
        RatingFigures.event_type: figures_updated,
    }
