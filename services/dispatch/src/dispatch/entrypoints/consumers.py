"""Subscriptions of dispatch: the case dossiers (the restricted topic only dispatch reads) and the departments'
results."""

from __future__ import annotations

from contracts.department.v1 import RequestReceived, ResultReturned, ReviewReturned
from contracts.intake.v1 import CaseAccepted, CaseCorrected
from contracts.topics import CASE_DOSSIER, DEPARTMENT_RESULTS
from dispatch.service_layer import handlers
from exchange.kafka.consumer import Handler

TOPICS = (CASE_DOSSIER, DEPARTMENT_RESULTS)

HANDLERS: dict[str, Handler] = {
    CaseAccepted.event_type: handlers.case_accepted,
    CaseCorrected.event_type: handlers.case_corrected,
    ResultReturned.event_type: handlers.result_returned,
    ReviewReturned.event_type: handlers.review_returned,
    RequestReceived.event_type: handlers.request_received,
}
