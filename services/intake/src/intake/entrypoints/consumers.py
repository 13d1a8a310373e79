"""Intake's subscriptions: the unified case stream, and the answers to its pre-fill lookups."""

from __future__ import annotations

from contracts.dispatch.v1 import ReviewConcluded, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.licence.v1 import CaseLicenceIssued
from contracts.licence.v2 import LicenceStatusChanged
from contracts.sharing.v1 import LookupAnswered
from contracts.supervision.v1 import ClockAdjusted, ClockStarted
from contracts.topics import CASE_STREAM, SHARING_ANSWERS
from exchange.kafka.consumer import Handler
from exchange.kafka.subscriptions import handles
from intake.service_layer.case_stream import CaseStreamFolder
from intake.service_layer.drafts import apply_answer
from intake.service_layer.unit_of_work import in_intake_work

TOPICS = (CASE_STREAM, SHARING_ANSWERS)


def handlers(folder: CaseStreamFolder) -> dict[str, Handler]:
    return dict([
        handles(ReviewConcluded, in_intake_work(folder.review_concluded)),
        handles(TaskReleased, in_intake_work(folder.task_released)),
        handles(TaskConcluded, in_intake_work(folder.task_concluded)),
        handles(CaseLicenceIssued, in_intake_work(folder.licence_issued)),
        handles(LicenceStatusChanged, in_intake_work(folder.licence_status_changed)),
        handles(ClockStarted, in_intake_work(folder.clock_started)),
        handles(ClockAdjusted, in_intake_work(folder.clock_adjusted)),
        handles(LookupAnswered, in_intake_work(apply_answer)),
    ])
