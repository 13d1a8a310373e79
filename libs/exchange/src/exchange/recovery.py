"""Recovery after the broker lost its data (代理数据丢失后的恢复).

When the broker epoch (:mod:`exchange.epoch`) is not the one this service last saw, the broker has lost its
topics, records and committed offsets (the embedded broker restarted; a cluster was rebuilt). Then, in order:

1. every topic of the registry is created again (:func:`~exchange.kafka.admin.ensure_topics`);
2. the outbox relay sends again every row it published in an earlier epoch within
   ``republish_window_days``, byte for byte and in ``seq`` order
   (:meth:`~exchange.outbox.OutboxRelay.republish_since_epoch`); rows published since are sent in the new epoch;
3. every consumer runner and stream processor closes its Kafka consumer and starts a fresh one in the same
   group: the new broker has no offsets for it, so it reads the new epoch's topics from the start;
4. the epoch is remembered in ``exchange_marker`` (so a service restarted later knows what it last saw), and one
   line is logged with what was done.

Every service does this on its own; consumers' inboxes (``processed_event``) drop what they had applied
already, and stateless department systems answer a repeated request with the same deterministic event id, so
repeats have no effect. ``/readyz`` answers 503 while this runs. A step that fails (database down) is retried at
the next check, from the start: every step may run twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy.dialects import postgresql, sqlite

from contracts.topics import ALL_TOPICS, PLUMBING_TOPICS
from exchange.db.database import Database
from exchange.db.tables import ExchangeMarker
from exchange.epoch import BrokerEpoch, EpochChange, classify_epoch
from exchange.failures import Interrupted, Outage, is_transient, sleep_unless_stopped, unless_stopped
from exchange.kafka.admin import ensure_topics
from exchange.outbox import OutboxRelay
from exchange.settings import ExchangeSettings

__all__ = ["EPOCH_MARKER", "BrokerRecovery", "Restartable", "read_marker", "write_marker"]

logger = logging.getLogger(__name__)

EPOCH_MARKER = "broker_epoch"


@runtime_checkable
class Restartable(Protocol):
    """A part holding a Kafka consumer (a consumer runner, a stream processor)."""

    def restart(self) -> None: ...


@runtime_checkable
class AfterBrokerLoss(Protocol):
    """A part with something of its own to do again once the broker lost its data, whether it was running then or
    starts after (dispatch's answer deadlines send again what was receipted and not answered)."""

    def broker_lost(self) -> None: ...


async def read_marker(database: Database, name: str) -> str | None:
    async with database.sessions() as session:
        row = await session.get(ExchangeMarker, name)
    return row.value if row else None


async def write_marker(database: Database, name: str, value: str) -> None:
    insert = postgresql.insert if database.engine.dialect.name == "postgresql" else sqlite.insert
    now = datetime.now(UTC)
    stmt = insert(ExchangeMarker).values(name=name, value=value, updated_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": now})
    async with database.writing() as connection:
        await connection.execute(stmt)


class BrokerRecovery:
    """Checks the broker epoch of one service and recovers it when the epoch changes."""

    def __init__(
        self,
        settings: ExchangeSettings,
        *,
        database: Database | None,
        relay: OutboxRelay | None,
        consumers: Sequence[Restartable],
        after_loss: Sequence[AfterBrokerLoss] = (),
    ) -> None:
        self.settings = settings
        self.database = database
        self.relay = relay
        self.consumers = list(consumers)
        self.after_loss = list(after_loss)
        self.recovering = False
        self.changes = 0  # epoch changes recovered from since start (the first epoch adopted is not one)
        self.watcher = BrokerEpoch(
            settings.kafka_bootstrap, settings.service_name, self._on_epoch,
            interval_s=settings.broker_epoch_check_ms / 1000,
        )
        if relay is not None:  # after a broker failure the relay checks the epoch before it sends anything new
            relay.before_resuming = self.watcher.check

    async def start(self, stopping: asyncio.Event) -> None:
        """Before the relay and consumers run: find the epoch and catch up with it, waiting out a broker or
        database that is down (as the rest of start-up does). Raises :class:`Interrupted` when ``stopping`` is
        set first."""
        outage = Outage(f"{self.settings.service_name} broker epoch", logger)
        while True:
            try:
                if await unless_stopped(self.watcher.check, stopping) is not None:
                    outage.recovered()
                    return
            except Interrupted:
                raise
            except Exception as exc:  # the catch-up failed part way (database down?): the epoch stays unseen
                if not is_transient(exc) and not isinstance(exc, TimeoutError):
                    raise
                outage.failed(exc)
            if await sleep_unless_stopped(self.watcher.interval_s, stopping):
                raise Interrupted("stopped while finding the broker epoch")

    async def ready(self) -> tuple[bool, str]:
        """For ``/readyz``: the epoch is known and no recovery is under way."""
        if self.watcher.current is None:
            return False, "broker epoch not known yet"
        if self.recovering:
            return False, "recovering after the broker lost its data"
        return True, f"epoch {self.watcher.current}"

    async def _on_epoch(self, previous: str | None, found: str) -> None:
        """Called by the watcher when ``found`` is not the epoch it saw last (``previous``; None at start)."""
        self.recovering = True
        started = time.monotonic()
        try:
            last_seen = previous
            if last_seen is None and self.database is not None:
                last_seen = await read_marker(self.database, EPOCH_MARKER)
            change = classify_epoch(last_seen, found)
            if change is EpochChange.SAME:  # restarted on the broker it saw before
                if self.relay is not None:
                    self.relay.epoch = found
                return
            settings = self.settings
            await asyncio.wait_for(ensure_topics(
                settings.kafka_bootstrap, [*ALL_TOPICS, *PLUMBING_TOPICS], settings.topic_partitions,
                settings.topic_replication_factor), 60)
            republished = 0
            if self.relay is not None:
                since = datetime.now(UTC) - timedelta(days=settings.republish_window_days)
                republished = await self.relay.republish_since_epoch(found, since)
            if previous is not None:  # at start the consumers are not running yet
                for consumer in self.consumers:
                    consumer.restart()
            if change is EpochChange.NEW:  # running or just started: the loss is this service's to make good
                for part in self.after_loss:
                    part.broker_lost()
            if self.database is not None:
                await write_marker(self.database, EPOCH_MARKER, found)
            if change is EpochChange.NEW:
                self.changes += 1
                logger.warning(
                    "%s: broker epoch changed %s -> %s (the broker lost its data): topics re-created, "
                    "%d outbox rows re-published, %d consumers restarted, in %.1f s",
                    settings.service_name, last_seen, found, republished,
                    len(self.consumers) if previous is not None else 0, time.monotonic() - started,
                )
            else:
                logger.info("%s: broker epoch %s", settings.service_name, found)
        finally:
            self.recovering = False
