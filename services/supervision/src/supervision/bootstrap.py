"""Composition root of supervision."""

from __future__ import annotations

from functools import partial

from contracts.workdays import working_calendar
from exchange.runtime import Platform, ServiceParts
from supervision.config import SupervisionSettings
from supervision.entrypoints.api import create_app
from supervision.entrypoints.consumers import TOPICS, handlers
from supervision.service_layer.figures import DailyFigures
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.scan import Scanner, ScanResult, scan
from supervision.service_layer.today import Today
from supervision.service_layer.unit_of_work import supervision_work


def build(platform: Platform) -> ServiceParts:
    database = platform.database
    assert database is not None
    settings = platform.settings
    assert isinstance(settings, SupervisionSettings)
    calendar, today = working_calendar(settings.calendar_changes), Today()
    daily = DailyFigures(database, calendar)

    async def scan_now() -> ScanResult:
        result = await scan(partial(supervision_work, database), today(), calendar,
                            threshold=settings.card_threshold_days, respond_days=settings.order_respond_days)
        await daily.publish(today())
        return result

    return ServiceParts(
        app=create_app(database, calendar, today, scan_now, clock_control=settings.clock_control),
        consumers=[platform.runner(topics=TOPICS, handlers=handlers(CaseStream(calendar)))],
        background=[Scanner(scan_now, settings.scan_interval_s)],
    )
