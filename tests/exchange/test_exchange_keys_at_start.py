"""A service whose private key is missing does not make one (a new key would be a new identity that nobody
trusts, or an impostor's): it stops at once with an error that says how keys are made."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import FastAPI

from exchange.runtime import Platform, ServiceParts, serve
from exchange.settings import ExchangeSettings
from exchange.signing import ensure_keys


class Settings(ExchangeSettings):
    service_name = "intake"


def never(_platform: Platform) -> ServiceParts:
    raise AssertionError("the service was built without its key")


async def test_a_service_without_its_private_key_stops_and_creates_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    settings = Settings(keys_dir=keys, kafka_bootstrap="127.0.0.1:9")
    with caplog.at_level(logging.ERROR):
        code = await serve(settings, never, migrations_package=None)
    assert code == 2
    assert "intake cannot start: no private key for 'intake'" in caplog.text and "onething keys" in caplog.text
    assert list(keys.iterdir()) == []


class GatewaySettings(ExchangeSettings):
    service_name = "gateway"


async def test_a_service_missing_a_key_it_answers_for_stops_with_the_folder_it_looked_in(
    tmp_path: Path, kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    keys = tmp_path / "keys"
    ensure_keys(keys, ["gateway"], holder="gateway")
    ensure_keys(keys, ["dept.police"], holder="simulators")  # held by another process: not the gateway's to use

    def answering_for_police(_platform: Platform) -> ServiceParts:
        return ServiceParts(app=FastAPI(), signs_for=["dept.police"])

    settings = GatewaySettings(keys_dir=keys, kafka_bootstrap=kafka_bootstrap, topic_partitions=1)
    with caplog.at_level(logging.ERROR):
        code = await serve(settings, answering_for_police, migrations_package=None)
    assert code == 2
    assert "gateway cannot start: no private key for 'dept.police'" in caplog.text
    assert str(keys / "private" / "gateway") in caplog.text
