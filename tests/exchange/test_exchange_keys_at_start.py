"""A service whose private key is missing does not make one (a new key would be a new identity that nobody
trusts, or an impostor's): it stops at once with an error that says how keys are made."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from exchange.runtime import Platform, ServiceParts, serve
from exchange.settings import ExchangeSettings


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
