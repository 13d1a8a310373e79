"""The figures stream processor when its faust app does not start (流处理启动卡住), on the real broker.

Seen once in the broker chaos test: right after the broker lost its data, the restarted processor's faust app
waited in ``start()`` for good; the figures stopped and the processor did not even stop with the service. The fault
is injected here (an ``App.start`` that never returns); the rest is real. A start that does not end in time is a
transient failure (the host runs the processor again, with back-off), a stop while starting ends the run at once,
and once the fault is gone the processor starts and gets its partitions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import faust
import pytest

from contracts.topics import CASE_STREAM, RATING_EVENTS, RATING_FIGURES
from exchange import streams
from exchange.errors import Transient
from exchange.failures import is_transient
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing
from rating.figures.processor import FiguresProcessor

pytestmark = pytest.mark.integration


async def _never_starts(self: faust.App) -> None:
    await asyncio.Event().wait()


async def test_a_start_that_hangs_is_a_transient_failure_and_a_stop_ends_it(
    kafka_bootstrap: str, keyring: KeyRing, keys_dir: Path, unique_name: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = ExchangeSettings(kafka_bootstrap=kafka_bootstrap, data_dir=tmp_path, keys_dir=keys_dir,
                                topic_partitions=None, kafka_session_timeout_ms=2000)

    def processor() -> FiguresProcessor:
        return FiguresProcessor(
            settings, keyring, keyring.signer("rating"), app_id=f"{unique_name}-figures",
            ratings=dataclasses.replace(RATING_EVENTS, name=f"test.{unique_name}.rating.events", partitions=2),
            cases=dataclasses.replace(CASE_STREAM, name=f"test.{unique_name}.case.stream", partitions=2),
            figures=dataclasses.replace(RATING_FIGURES, name=f"test.{unique_name}.rating.figures"))

    with monkeypatch.context() as fault:
        fault.setattr(streams, "START_TIMEOUT_S", 2.0)
        fault.setattr(faust.App, "start", _never_starts)
        hanging = processor()
        began = time.monotonic()
        with pytest.raises(Transient, match="did not start within 2 s") as failed:
            await asyncio.wait_for(hanging.run(), 30)
        assert is_transient(failed.value) and time.monotonic() - began < 20

        stopped = processor()
        run = asyncio.create_task(stopped.run())
        await asyncio.sleep(0.5)  # inside the start that will not end
        stopped.stop()
        assert await asyncio.wait_for(run, 10) is None  # the run ends, nothing raised

    mended = processor()
    run = asyncio.create_task(mended.run())
    try:
        ready = asyncio.create_task(mended.ready.wait())
        done, _ = await asyncio.wait({run, ready}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        assert ready in done, "the processor got no partitions within 60 s once the fault was gone"
    finally:
        mended.stop()
        await asyncio.wait_for(run, 30)
