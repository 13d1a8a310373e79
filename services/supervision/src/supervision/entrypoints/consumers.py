"""Subscriptions of supervision: the case stream (acceptance, review, corrections, releases, conclusions,
delivery, department requests parked as undeliverable, and the rectification orders of bad reviews)."""

from __future__ import annotations

from contracts.dispatch.v1 import (
    FindingBeyondList,
    RequestUndeliverable,
    ReviewConcluded,
    TaskReleased,
)
from contracts.dispatch.v2 import TaskConcluded
from contracts.gateway.v1 import CallbackParked
from contracts.intake.v1 import CaseDelivered, CaseRegistered, CorrectionFiled
from contracts.rating.v1 import RectificationClosed, RectificationOpened
from contracts.topics import CASE_STREAM
from exchange.kafka.consumer import Handler
from supervision.service_layer.audit import audited
from supervision.service_layer.handlers import CaseStream

TOPICS = (CASE_STREAM,)


def handlers(stream: CaseStream) -> dict[str, Handler]:
    """Every case-stream fact goes into the audit trail; these also move clocks and cards."""
    return audited(CASE_STREAM.event_types, {
        CaseRegistered.event_type: stream.case_registered,
        ReviewConcluded.event_type: stream.review_concluded,
        CorrectionFiled.event_type: stream.correction_filed,
        TaskReleased.event_type: stream.task_released,
        TaskConcluded.event_type: stream.task_concluded,
        CaseDelivered.event_type: stream.case_delivered,
        FindingBeyondList.event_type: stream.finding_beyond_list,
        RequestUndeliverable.event_type: stream.request_undeliverable,
        CallbackParked.event_type: stream.callback_parked,
        RectificationOpened.event_type: stream.rectification_opened,
        RectificationClosed.event_type: stream.rectification_closed,
    })
