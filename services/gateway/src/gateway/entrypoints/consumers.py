"""Subscriptions of the gateway: the request topic of every department it serves, in one group."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial

from contracts.dispatch.v1 import AnswerRefused, RequestSent, ReviewRequested
from contracts.topics import TopicSpec, department_requests
from exchange.kafka.consumer import Handler
from exchange.kafka.subscriptions import handles
from gateway.service_layer import receiving
from gateway.service_layer.unit_of_work import in_gateway_work


def topics(served: Collection[str]) -> list[TopicSpec]:
    return [department_requests(code) for code in sorted(served)]


def build_handlers(served: Collection[str]) -> dict[str, Handler]:
    """预审 and 办理 requests are stored and receipted; refusal notices (拒收通知) are kept for the department."""
    arrived = in_gateway_work(partial(receiving.request_arrived, served=frozenset(served)))
    refused = in_gateway_work(partial(receiving.answer_refused, served=frozenset(served)))
    return dict([handles(RequestSent, arrived), handles(ReviewRequested, arrived), handles(AnswerRefused, refused)])
