"""Subscriptions of supervision: the case stream (dispatch's task releases)."""

from __future__ import annotations

from contracts.dispatch.v1 import TaskReleased
from contracts.topics import CASE_STREAM
from exchange.kafka.consumer import Handler
from supervision.service_layer import handlers

TOPICS = (CASE_STREAM,)

HANDLERS: dict[str, Handler] = {
    TaskReleased.event_type: handlers.task_released,
}
