"""Subscriptions of supervision: the case stream (acceptance, review, corrections, releases, conclusions,
delivery, department requests parked as undeliverable, and the rectification orders of bad reviews)."""

from __future__ import annotations

from contracts.topics import CASE_STREAM
from exchange.kafka.consumer import Handler
from supervision.service_layer.handlers import CaseStream, case_stream_use_cases
from supervision.service_layer.unit_of_work import in_supervision_work

TOPICS = (CASE_STREAM,)


def handlers(stream: CaseStream) -> dict[str, Handler]:
    """Each case-stream fact's use case (``case_stream_use_cases``), in the transaction the runner opened for it."""
    return {event_type: in_supervision_work(use_case) for event_type, use_case in case_stream_use_cases(stream).items()}
