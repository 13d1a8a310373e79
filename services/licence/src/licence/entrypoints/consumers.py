"""Subscriptions of licence: the case stream (dispatch's verified conclusions) and, as the e-licence
archive (电子证照库), the data-sharing lookups in a group of their own."""

from __future__ import annotations

from functools import partial

from contracts.dispatch.v1 import TaskConcluded
from contracts.sharing.v1 import LookupRequested
from contracts.topics import CASE_STREAM, SHARING_REQUESTS
from exchange.kafka.consumer import Handler
from exchange.signing import Signer
from licence.service_layer import handlers, sharing

TOPICS = (CASE_STREAM,)
SHARING_GROUP = "licence.sharing"
SHARING_TOPICS = (SHARING_REQUESTS,)


def build_handlers(signer: Signer) -> dict[str, Handler]:
    """The handler table; licences are signed with ``signer`` (the licence service's own key)."""
    return {
        TaskConcluded.event_type: partial(handlers.task_concluded, signer=signer),
    }


def build_sharing_handlers() -> dict[str, Handler]:
    """共享查询: answers go out through the outbox, signed by the licence service."""
    return {LookupRequested.event_type: sharing.lookup_requested}
