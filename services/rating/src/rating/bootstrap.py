"""Composition root of rating."""

from __future__ import annotations

from contracts.days import china_today
from contracts.intake.v1 import RATERS_PRINCIPAL, rater_key
from exchange.runtime import Platform, ServiceParts
from rating.config import RatingSettings
from rating.entrypoints.api import create_app
from rating.entrypoints.consumers import TOPICS, handlers
from rating.figures.processor import FiguresProcessor
from rating.service_layer.handlers import LoopPolicy, RatingLoop


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    settings = platform.settings
    assert isinstance(settings, RatingSettings)
    shared = platform.keyring.private_key(RATERS_PRINCIPAL).seed  # held by intake and rating
    loop = RatingLoop(LoopPolicy.of(settings, rater_key=rater_key(shared)), china_today)
    return ServiceParts(
        app=create_app(platform.database, platform.keyring, loop),
        consumers=[platform.runner(topics=TOPICS, handlers=handlers(loop))],
        background=[FiguresProcessor(settings, platform.keyring, platform.signer)]
        if settings.rating_figures_processor else [],
    )
