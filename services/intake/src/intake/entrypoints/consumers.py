"""Intake's subscriptions: the unified case stream, and the answers to its pre-fill lookups."""

from __future__ import annotations

from contracts.dispatch.v1 import ReviewConcluded, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.licence.v1 import CaseLicenceIssued
from contracts.licence.v2 import LicenceStatusChanged
from contracts.sharing.v1 import LookupAnswered
from contracts.supervision.v1 import ClockStarted
from contracts.topics import CASE_STREAM, SHARING_ANSWERS
from exchange.kafka.consumer import Handler
from intake.service_layer.case_stream import CaseStreamFolder
from intake.service_layer.drafts import apply_answer

TOPICS = (CASE_STREAM, SHARING_ANSWERS)


def handlers(folder: CaseStreamFolder) -> dict[str, Handler]:
    return {
        ReviewConcluded.event_type: folder.review_concluded,
        TaskReleased.event_type: folder.task_released,
        TaskConcluded.event_type: folder.task_concluded,
        CaseLicenceIssued.event_type: folder.licence_issued,
        LicenceStatusChanged.event_type: folder.licence_status_changed,
        ClockStarted.event_type: folder.clock_started,
        LookupAnswered.event_type: apply_answer,
    }
