"""Shared fixtures of the cross-service integration tests: each service's app as its ``create_app`` builds it,
on its own migrated PostgreSQL database, made to trust the session's tokens and signed requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import pytest
from fastapi import FastAPI
from onething_catalogue.loader import load_catalogue

from contracts.days import china_today
from contracts.workdays import national_calendar
from dispatch.entrypoints.api import create_app as dispatch_app
from exchange.db.database import Database
from exchange.dead_letters import DeadLetterStore, Redriver
from exchange.dead_letters_api import mount_dead_letters
from exchange.kafka.producer import Producer
from exchange.runtime import Platform
from exchange.signing import KeyRing, ensure_keys
from exchange.testing.access import trusting
from gateway.entrypoints.api import create_app as gateway_app
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.entrypoints.api import create_app as intake_app
from intake.service_layer.catalogues import CatalogueStore
from licence.entrypoints.api import create_app as licence_app
from licence.service_layer.issuers import Issuers
from licence.service_layer.verification import Verifier
from rating.config import RatingSettings
from rating.entrypoints.api import create_app as rating_app
from rating.service_layer.handlers import LoopPolicy, RatingLoop
from simulators.config import SimulatorSettings
from simulators.service import build as simulators_build
from supervision.entrypoints.api import create_app as supervision_app
from supervision.service_layer.scan import scan
from supervision.service_layer.today import Today
from supervision.service_layer.unit_of_work import supervision_work

CAL = national_calendar()
SIGNER = "dept.approval"  # a department and an archive reader: signed routes reach their parameters
SERVICES = ("intake", "dispatch", "licence", "rating", "supervision", "gateway", "simulators")
Apps = Callable[[str], Awaitable[FastAPI]]


@pytest.fixture
async def dbs(migrated_database: Callable[[str], Awaitable[Database]]) -> Callable[[str], Awaitable[Database]]:
    """``dbs(service)``: the service's own migrated PostgreSQL database, made the first time it is asked for."""
    opened: dict[str, Database] = {}

    async def _db(service: str) -> Database:
        if service not in opened:
            opened[service] = await migrated_database(service)
        return opened[service]

    return _db


@pytest.fixture
async def apps(dbs: Callable[[str], Awaitable[Database]], keyring: KeyRing, tmp_path: Path) -> Apps:
    """``apps(service)``: the service's app as its create_app builds it (the simulators' as their build does)."""
    built: dict[str, FastAPI] = {}

    async def _app(service: str) -> FastAPI:
        if service in built:
            return built[service]
        if service == "intake":
            store = CatalogueStore(SqlCatalogueVersions(await dbs("intake")), load_catalogue())
            await store.record_current()
            built[service] = intake_app(await dbs("intake"), store)
        elif service == "dispatch":  # with the dead-letter routes serve() mounts on every service
            built[service] = dispatch_app(await dbs("dispatch"))
            mount_dead_letters(built[service], Redriver(DeadLetterStore(await dbs("dispatch")), []), keyring,
                               operators=[SIGNER])
        elif service == "licence":
            database = await dbs("licence")
            issuers = Issuers(keyring, region="430100", region_name_zh="长沙市", public_url="http://licence.test")
            built[service] = licence_app(database, keyring, issuers, Verifier(database, issuers),
                                         archive_readers=["dept.*"])
        elif service == "rating":
            loop = RatingLoop(LoopPolicy.of(RatingSettings()), china_today)
            built[service] = rating_app(await dbs("rating"), keyring, loop)
        elif service == "supervision":
            database, today = await dbs("supervision"), Today()
            work = partial(supervision_work, database)
            built[service] = supervision_app(database, CAL, today, lambda: scan(work, today(), CAL), clock_control=True)
        elif service == "gateway":  # one department polling (the signer's own: its routes reach their parameters)
            built[service] = gateway_app(await dbs("gateway"), keyring,
                                         {"approval": None, "tax": "http://127.0.0.1:9/unused"})
        else:
            ensure_keys(keyring.keys_dir, ["simulators"], holder="simulators")
            settings = SimulatorSettings(data_dir=tmp_path, keys_dir=keyring.keys_dir)
            platform = Platform(settings, keyring, keyring.signer("simulators"), Producer("127.0.0.1:1", "t"), None)
            built[service] = simulators_build(platform).app
        return trusting(built[service], keyring)

    return _app
