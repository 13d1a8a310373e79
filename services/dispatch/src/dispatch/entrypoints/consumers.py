"""Subscriptions of dispatch: the case dossiers (the restricted topic only dispatch reads) and the departments'
results."""

from __future__ import annotations

from functools import partial

from contracts.department.v1 import RequestReceived
from contracts.department.v2 import ResultReturned, ReviewReturned
from contracts.intake.v1 import CaseAccepted, CaseCorrected
from contracts.topics import CASE_DOSSIER, DEPARTMENT_RESULTS
from dispatch.domain.review import NO_WINDOW_REVIEW, WindowReview
from dispatch.service_layer import handlers
from dispatch.service_layer.unit_of_work import in_dispatch_work
from exchange.kafka.consumer import Handler
from exchange.kafka.subscriptions import handles

TOPICS = (CASE_DOSSIER, DEPARTMENT_RESULTS)


def dispatch_handlers(window: WindowReview = NO_WINDOW_REVIEW) -> dict[str, Handler]:
    """The handlers by event type; ``window``: the departments whose preliminary review the window does."""
    return dict([
        handles(CaseAccepted, in_dispatch_work(partial(handlers.case_accepted, window=window))),
        handles(CaseCorrected, in_dispatch_work(handlers.case_corrected)),
        handles(ResultReturned, in_dispatch_work(handlers.result_returned)),
        handles(ReviewReturned, in_dispatch_work(handlers.review_returned)),
        handles(RequestReceived, in_dispatch_work(handlers.request_received)),
    ])
