"""Every signed route says so in its OpenAPI document: 401 (which header, every header) and 403; the licence
PDF and credential are declared with their own media types, not as JSON."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from contracts.days import china_today
from exchange.db.database import Database
from exchange.http_identity import signed_caller
from exchange.request_signing import REQUIRED_HEADERS
from exchange.signing import KeyRing
from gateway.entrypoints.api import create_app as gateway_app
from licence.entrypoints.api import create_app as licence_app
from licence.service_layer.issuers import Issuers
from licence.service_layer.verification import Verifier
from rating.config import RatingSettings
from rating.entrypoints.api import create_app as rating_app
from rating.service_layer.handlers import LoopPolicy, RatingLoop


def _signed(dependant: Dependant) -> bool:
    return any(d.call is signed_caller or _signed(d) for d in dependant.dependencies)


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """The app's routes, those of the routers it includes too (FastAPI includes an APIRouter lazily)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def signed_operations(app: FastAPI) -> dict[str, dict[str, Any]]:
    """``"METHOD path"`` → OpenAPI operation, for every route that depends (directly or not) on a signed caller."""
    paths = app.openapi()["paths"]
    return {f"{method} {route.path}": paths[route.path][method.lower()]
            for route in _api_routes(app.routes) if _signed(route.dependant)
            for method in route.methods}


@pytest.fixture
def apps(tmp_path: Path, keyring: KeyRing) -> dict[str, FastAPI]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/unused.db", source="tests")  # never connected
    issuers = Issuers(keyring, region="430100", region_name_zh="长沙市", public_url="http://licence.test")
    return {
        "licence": licence_app(database, keyring, issuers, Verifier(database, issuers), archive_readers=["dept.*"]),
        "rating": rating_app(database, keyring, RatingLoop(LoopPolicy.of(RatingSettings()), china_today)),
        "gateway": gateway_app(database, keyring, {"police": None}),
    }


# licence: revocation, suspension, reinstatement; its archive reads take a holder's token too, so they declare
# the bearer and signed schemes with ACCESS_RESPONSES (tests/integration/test_access_roles.py holds them).
@pytest.mark.parametrize(("service", "count"), [("licence", 3), ("rating", 6), ("gateway", 8)])
def test_every_signed_route_documents_401_and_403(apps: dict[str, FastAPI], service: str, count: int) -> None:
    app = apps[service]
    operations = signed_operations(app)
    assert len(operations) == count, sorted(operations)
    schemas = app.openapi()["components"]["schemas"]
    for name, operation in operations.items():
        responses = operation["responses"]
        assert "401" in responses, name
        unauthorised = responses["401"]
        for header in REQUIRED_HEADERS:
            assert header in unauthorised["description"], name
        ref = unauthorised["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        detail = schemas[schemas[ref]["properties"]["detail"]["$ref"].rsplit("/", 1)[1]]
        assert {"message_zh", "message_en", "problem", "headers", "required_headers"} <= set(detail["properties"])
        if name != "GET /rectifications":  # the list answers each caller with its own orders, never 403
            assert "403" in responses, name


def test_the_licence_pdf_and_credential_are_not_json(apps: dict[str, FastAPI]) -> None:
    paths = apps["licence"].openapi()["paths"]
    pdf = paths["/licences/{licence_id}/pdf"]["get"]["responses"]["200"]["content"]
    assert pdf == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    credential = paths["/licences/{licence_id}/credential"]["get"]["responses"]["200"]["content"]
    assert list(credential) == ["application/vc+json"]
