"""Subscriptions of dispatch: the case dossiers (the restricted topic only dispatch reads) and the departments'
results."""

from __future__ import annotations

from contracts.department.v1 import RequestReceived, ResultReturned, ReviewReturned
from contracts.intake.v1 import CaseAccepted, CaseCorrected
from contracts.topics import CASE_DOSSIER, DEPARTMENT_RESULTS
from dispatch.service_layer import handlers
from exchange.kafka.consumer import Handler
from exchange.kafka.subscriptions import handles

TOPICS = (CASE_DOSSIER, DEPARTMENT_RESULTS)

HANDLERS: dict[str, Handler] = dict([
    handles(CaseAccepted, handlers.case_accepted),
    handles(CaseCorrected, handlers.case_corrected),
    handles(ResultReturned, handlers.result_returned),
    handles(ReviewReturned, handlers.review_returned),
    handles(RequestReceived, handlers.request_received),
])
