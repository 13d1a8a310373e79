"""How a service process runs (``exchange.cli``): on the event loop its settings name (uvloop by default), with the
start-up heap frozen out of the garbage collector's sight and young objects collected less often
(``docs/performance.md``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from exchange.cli import GEN0_THRESHOLD, run_loop, settle_garbage_collector
from exchange.settings import ExchangeSettings


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_a_service_runs_on_the_loop_its_settings_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ExchangeSettings().event_loop == "uvloop"
    assert run_loop(_loop_module(), "uvloop").startswith("uvloop")
    assert run_loop(_loop_module(), "asyncio").startswith("asyncio")
    monkeypatch.setenv("ONETHING_EVENT_LOOP", "asyncio")
    assert ExchangeSettings().event_loop == "asyncio"
    monkeypatch.setenv("ONETHING_EVENT_LOOP", "trio")
    with pytest.raises(ValueError, match="event_loop"):
        ExchangeSettings()


@pytest.fixture
def collector_restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("collector_restored")
def test_the_start_up_heap_is_frozen_and_young_objects_collected_less_often() -> None:
    _, older, oldest = gc.get_threshold()
    settle_garbage_collector()
    assert gc.get_freeze_count() > 10_000, "modules, classes and what start-up built are out of the collector's sight"
    assert gc.get_threshold() == (GEN0_THRESHOLD, older, oldest)
