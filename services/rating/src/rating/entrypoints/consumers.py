"""Subscriptions of rating: the case stream (acceptance and delivery invite ratings; supervision's clock of
each rectification order, its cards and orders) and the figures its stream processor publishes."""

from __future__ import annotations

from contracts.intake.v1 import CaseDelivered, CaseRegistered
from contracts.rating.v1 import RatingFigures
from contracts.supervision.v1 import CardIssued, ClockAdjusted, ClockStarted, OrderIssued
from contracts.topics import CASE_STREAM, RATING_FIGURES
from exchange.kafka.consumer import Handler
from exchange.kafka.subscriptions import handles
from rating.service_layer.figures import figures_updated
from rating.service_layer.handlers import RatingLoop
from rating.service_layer.unit_of_work import in_rating_work

TOPICS = (CASE_STREAM, RATING_FIGURES)


def handlers(loop: RatingLoop) -> dict[str, Handler]:
    return dict([
        handles(CaseRegistered, in_rating_work(loop.case_registered)),
        handles(CaseDelivered, in_rating_work(loop.case_delivered)),
        handles(ClockStarted, in_rating_work(loop.clock_started)),
        handles(ClockAdjusted, in_rating_work(loop.clock_adjusted)),
        handles(CardIssued, in_rating_work(loop.card_issued)),
        handles(OrderIssued, in_rating_work(loop.order_issued)),
        handles(RatingFigures, in_rating_work(figures_updated)),
    ])
