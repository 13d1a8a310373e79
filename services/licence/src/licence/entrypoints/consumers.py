"""Subscriptions of licence: the case stream (dispatch's verified conclusions)."""

from __future__ import annotations

from functools import partial

from contracts.dispatch.v1 import TaskConcluded
from contracts.topics import CASE_STREAM
from exchange.kafka.consumer import Handler
from exchange.signing import Signer
from licence.service_layer import handlers

TOPICS = (CASE_STREAM,)


def build_handlers(signer: Signer) -> dict[str, Handler]:
    """The handler table; licences are signed with ``signer`` (the licence service's own key)."""
    return {
        TaskConcluded.event_type: partial(handlers.task_concluded, signer=signer),
    }
