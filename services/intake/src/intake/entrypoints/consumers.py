"""Intake's subscription: the unified case stream."""

from __future__ import annotations

from contracts.dispatch.v1 import TaskConcluded, TaskReleased
from contracts.licence.v1 import LicenceIssued
from contracts.supervision.v1 import ClockStarted
from contracts.topics import CASE_STREAM
from exchange.kafka.consumer import Handler
from intake.service_layer.case_stream import CaseStreamFolder

TOPICS = (CASE_STREAM,)


def handlers(folder: CaseStreamFolder) -> dict[str, Handler]:
    return {
        TaskReleased.event_type: folder.task_released,
        TaskConcluded.event_type: folder.task_concluded,
        LicenceIssued.event_type: folder.licence_issued,
        ClockStarted.event_type: folder.clock_started,
    }
