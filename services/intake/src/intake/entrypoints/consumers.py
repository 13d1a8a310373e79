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
from exchange.kafka.subscriptions import handles
from intake.service_layer.case_stream import CaseStreamFolder
from intake.service_layer.drafts import apply_answer

TOPICS = (CASE_STREAM, SHARING_ANSWERS)


def handlers(folder: CaseStreamFolder) -> dict[str, Handler]:
    return dict([
        handles(ReviewConcluded, folder.review_concluded),
        handles(TaskReleased, folder.task_released),
        handles(TaskConcluded, folder.task_concluded),
        handles(CaseLicenceIssued, folder.licence_issued),
        handles(LicenceStatusChanged, folder.licence_status_changed),
        handles(ClockStarted, folder.clock_started),
        handles(LookupAnswered, apply_answer),
    ])
