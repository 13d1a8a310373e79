"""Prometheus metrics of every service process (指标, 可观测性): ``GET /metrics``.

One set of families per process, made on first use (nothing is registered at import), in prometheus-client's
default registry, so the client's own ``process_*`` and ``python_*`` families come along (restarts show as
``process_start_time_seconds``):

* ``onething_http_requests_total{method, route, status}`` and ``onething_http_request_duration_seconds{method,
  route}``: every request, by route *template* (``/cases/{case_id}``, never the path itself: no personal data
  and a bounded number of series); a request answered before or without routing (404, the edge's 413/422/429)
  is ``route="unrouted"`` (:mod:`exchange.http_telemetry`).
* ``onething_consumer_events_total{group, event_type, outcome}``: what the consumer runner did with each record
  it handles: ``applied``, ``duplicate`` (the inbox had it), ``dead_lettered``, ``retried`` (an attempt that
  failed and was tried again).
* ``onething_consumer_handler_duration_seconds{group, event_type}``: a handler's own time, per record.
* ``onething_dead_letters_total{group, topic, reason}``: dead letters written, by
  :func:`exchange.dead_letters.failure_class` (``signature``, ``malformed``, ``rejected``, …).
* ``onething_outbox_pending_rows`` and ``onething_consumer_lag_records{group, topic}``: gauges read when
  scraped (:class:`Sampler`), not on the hot path: the relay counts its unpublished rows (an indexed count),
  each consumer adds up highwater minus position over the partitions it holds.

The hot path pays a dictionary look-up and an ``inc``: label children are made once per label set and kept
(:class:`ConsumerMetrics`, :meth:`ServiceMetrics.http`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = [
    "APPLIED", "DEAD_LETTERED", "DUPLICATE", "RETRIED", "ConsumerMetrics", "Sampler", "ServiceMetrics",
    "metrics", "metrics_router",
]

logger = logging.getLogger(__name__)

APPLIED: Final = "applied"
DUPLICATE: Final = "duplicate"
DEAD_LETTERED: Final = "dead_lettered"
RETRIED: Final = "retried"

# A handler is a few database statements: most take milliseconds; the top buckets catch an outage's waits.
_HANDLER_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SAMPLE_TIMEOUT_S = 2.0

Sampler = Callable[[], Awaitable[None]]  # refreshes gauges just before a scrape is answered


class ServiceMetrics:
    """The metric families of this process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.http_requests = Counter(
            "onething_http_requests", "HTTP requests answered 已处理的 HTTP 请求", ["method", "route", "status"],
            registry=registry)
        self.http_duration = Histogram(
            "onething_http_request_duration_seconds", "HTTP request latency HTTP 请求耗时", ["method", "route"],
            registry=registry)
        self.http_waiting = Gauge(
            "onething_http_requests_waiting", "HTTP requests waiting in line for their turn 排队等待处理的 HTTP 请求",
            registry=registry)
        self.events = Counter(
            "onething_consumer_events", "records handled by the consumer runner, by outcome 消费事件（按结果）",
            ["group", "event_type", "outcome"], registry=registry)
        self.handler_duration = Histogram(
            "onething_consumer_handler_duration_seconds", "time in an event handler 事件处理耗时",
            ["group", "event_type"], buckets=_HANDLER_BUCKETS, registry=registry)
        self.dead_letters = Counter(
            "onething_dead_letters", "dead letters written 写入的死信", ["group", "topic", "reason"], registry=registry)
        self.outbox_pending = Gauge(
            "onething_outbox_pending_rows", "outbox rows not yet published 发件箱待发送行数", registry=registry)
        self.consumer_lag = Gauge(
            "onething_consumer_lag_records", "records on the broker a consumer group has not read yet 消费滞后",
            ["group", "topic"], registry=registry)
        self._http: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._consumers: dict[str, ConsumerMetrics] = {}

    def http(self, method: str, route: str, status: int, seconds: float) -> None:
        children = self._http.get((method, route, status))
        if children is None:
            children = self._http[(method, route, status)] = (
                self.http_requests.labels(method, route, str(status)), self.http_duration.labels(method, route))
        children[0].inc()
        children[1].observe(seconds)

    def consumer(self, group: str) -> ConsumerMetrics:
        found = self._consumers.get(group)
        if found is None:
            found = self._consumers[group] = ConsumerMetrics(self, group)
        return found

    def dead_letter(self, group: str, topic: str, reason: str) -> None:
        self.dead_letters.labels(group, topic, reason).inc()  # rare: no cache needed

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class ConsumerMetrics:
    """One consumer group's families, its label children kept per event type (the runner's hot path)."""

    def __init__(self, service: ServiceMetrics, group: str) -> None:
        self._service = service
        self.group = group
        self._events: dict[tuple[str, str], Counter] = {}
        self._latency: dict[str, Histogram] = {}

    def count(self, event_type: str, outcome: str, n: int = 1) -> None:
        child = self._events.get((event_type, outcome))
        if child is None:
            child = self._events[(event_type, outcome)] = self._service.events.labels(self.group, event_type, outcome)
        child.inc(n)

    def handled(self, event_type: str, seconds: float) -> None:
        child = self._latency.get(event_type)
        if child is None:
            child = self._latency[event_type] = self._service.handler_duration.labels(self.group, event_type)
        child.observe(seconds)


@functools.cache
def metrics() -> ServiceMetrics:
    """This process's families, made on first use in the default registry."""
    return ServiceMetrics(REGISTRY)


def metrics_router(samplers: Sequence[Sampler] = ()) -> APIRouter:
    """``GET /metrics`` in the Prometheus text format. Open like ``/healthz`` (no credentials; the anonymous rate
    limit of the edge applies): it names routes, groups, topics and event types, never a case or a person."""
    service = metrics()
    router = APIRouter(tags=["health"])

    @router.get("/metrics", summary="Prometheus 指标 Metrics (text exposition format)",
                response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
    async def scrape() -> Response:
        await _sample(samplers)
        return Response(service.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _sample(samplers: Sequence[Sampler]) -> None:
    """Run every sampler; one that fails or does not answer in time leaves its gauges as they were."""
    results = await asyncio.gather(*(asyncio.wait_for(s(), SAMPLE_TIMEOUT_S) for s in samplers),
                                   return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            logger.debug("a metrics sampler failed: %s: %s", type(result).__name__, result)
