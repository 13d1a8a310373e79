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
from exchange.kafka.subscriptions import handles
from supervision.service_layer.audit import audited
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.unit_of_work import in_supervision_work

TOPICS = (CASE_STREAM,)


def handlers(stream: CaseStream) -> dict[str, Handler]:
    """Every case-stream fact goes into the audit trail; these also move clocks and cards."""
    return audited(CASE_STREAM.event_types, dict([
        handles(CaseRegistered, in_supervision_work(stream.case_registered)),
        handles(ReviewConcluded, in_supervision_work(stream.review_concluded)),
        handles(CorrectionFiled, in_supervision_work(stream.correction_filed)),
        handles(TaskReleased, in_supervision_work(stream.task_released)),
        handles(TaskConcluded, in_supervision_work(stream.task_concluded)),
        handles(CaseDelivered, in_supervision_work(stream.case_delivered)),
        handles(FindingBeyondList, in_supervision_work(stream.finding_beyond_list)),
        handles(RequestUndeliverable, in_supervision_work(stream.request_undeliverable)),
        handles(CallbackParked, in_supervision_work(stream.callback_parked)),
        handles(RectificationOpened, in_supervision_work(stream.rectification_opened)),
        handles(RectificationClosed, in_supervision_work(stream.rectification_closed)),
    ]))
