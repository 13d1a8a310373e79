"""Subscriptions of licence: dispatch's licence requests (a restricted topic: they name the holder) and, as
the e-licence archive (电子证照库), the data-sharing lookups in a group of their own."""

from __future__ import annotations

from functools import partial

from contracts.dispatch.v1 import LicenceRequested
from contracts.sharing.v1 import LookupRequested
from contracts.topics import LICENCE_REQUESTS, SHARING_REQUESTS
from exchange.kafka.consumer import Handler
from exchange.kafka.subscriptions import handles
from licence.service_layer import issuing, sharing
from licence.service_layer.issuers import Issuers
from licence.service_layer.unit_of_work import in_licence_work

TOPICS = (LICENCE_REQUESTS,)
SHARING_GROUP = "licence.sharing"
SHARING_TOPICS = (SHARING_REQUESTS,)


def build_handlers(issuers: Issuers) -> dict[str, Handler]:
    """The handler table; each licence is sealed with its issuing department's key from ``issuers``."""
    return dict([handles(LicenceRequested, in_licence_work(partial(issuing.licence_requested, issuers=issuers)))])


def build_sharing_handlers() -> dict[str, Handler]:
    """共享查询: answers go out through the outbox, signed by the licence service."""
    return dict([handles(LookupRequested, in_licence_work(sharing.lookup_requested))])
