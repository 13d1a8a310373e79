"""Intake's subscriptions: the unified case stream, and the answers to its pre-fill lookups."""

from __future__ import annotations

from contracts.topics import CASE_STREAM, SHARING_ANSWERS
from exchange.kafka.consumer import Handler
from intake.service_layer.case_stream import CaseStreamFolder, event_use_cases
from intake.service_layer.unit_of_work import in_intake_work

TOPICS = (CASE_STREAM, SHARING_ANSWERS)


def handlers(folder: CaseStreamFolder) -> dict[str, Handler]:
    """Each event's use case (``event_use_cases``), in the transaction the runner opened for it."""
    return {event_type: in_intake_work(use_case) for event_type, use_case in event_use_cases(folder).items()}
