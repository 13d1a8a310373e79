"""The outbox relay (发件箱中继): publishes committed outbox rows, signed and chained, in order.

One relay is active per service (a PostgreSQL advisory lock elects it), because two relays could
reorder one case's events and would fork the hash chain. Rows are signed and linked at publish time
inside the transaction that marks them published: if that transaction fails after the broker
acknowledged, the same rows are re-sent with the same ids, chain positions and (Ed25519 being
deterministic) the same signatures, and consumers drop the duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from exchange.chain import GENESIS, ChainHead, link
from exchange.db.database import Database
from exchange.db.tables import ChainHeadRow, OutboxMessage
from exchange.kafka.producer import Headers, Producer, record_of
from exchange.signing import Signer

__all__ = ["OutboxRelay"]

logger = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        producer: Producer,
        signer: Signer,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.25,
    ) -> None:
        self.database = database
        self.producer = producer
        self.signer = signer
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.published = 0
        self.ready = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self.database.outbox_written.set()

    async def run(self) -> None:
        lock_conn = await self._become_leader()
        self.ready.set()
        failures = 0
        try:
            while not self._stopping.is_set():
                # Clear before reading, so a commit that lands while we publish wakes the next round.
                self.database.outbox_written.clear()
                try:
                    sent = await self.publish_pending()
                    failures = 0
                except Exception:
                    failures += 1
                    logger.exception("outbox relay of %s failed (%d in a row)", self.signer.principal, failures)
                    await asyncio.sleep(min(0.2 * 2**failures, 10.0))
                    continue
                if sent < self.batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.database.outbox_written.wait(), self.poll_interval_s)
        finally:
            if lock_conn is not None:
                await lock_conn.close()

    async def _become_leader(self) -> AsyncConnection | None:
        if self.database.is_sqlite:
            return None  # the embedded default is one process per service
        conn = await self.database.engine.connect()
        key = f"outbox-relay:{self.signer.principal}"
        while not self._stopping.is_set():
            got = await conn.scalar(sa.text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": key})
            await conn.commit()
            if got:
                logger.info("outbox relay of %s is active", self.signer.principal)
                return conn
            await asyncio.sleep(1.0)
        return conn

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; returns how many were sent.

        A failure is noted on the waiting rows (``attempts``, ``last_error``), so ops can see what is
        stuck and why, and then raised for :meth:`run` to back off.
        """
        try:
            return await self._publish_batch()
        except Exception as exc:
            await self._note_failure(exc)
            raise

    async def _note_failure(self, exc: Exception) -> None:
        db = self.database
        waiting = (
            select(OutboxMessage.seq)
            .where(col(OutboxMessage.published_at).is_(None))
            .order_by(col(OutboxMessage.seq))
            .limit(self.batch_size)
        )
        try:
            async with db.write_guard(), db.sessions() as session, session.begin():
                await session.exec(
                    sa.update(OutboxMessage)
                    .where(col(OutboxMessage.seq).in_(waiting.scalar_subquery()))
                    .values(attempts=col(OutboxMessage.attempts) + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000])
                )
        except Exception:  # the database may be what failed; the original error is raised regardless
            logger.warning("could not note the failure on the outbox of %s", self.signer.principal, exc_info=True)

    async def _publish_batch(self) -> int:
        db = self.database
        async with db.write_guard(), db.sessions() as session, session.begin():
            query = (
                select(OutboxMessage)
                .where(col(OutboxMessage.published_at).is_(None))
                .order_by(col(OutboxMessage.seq))
                .limit(self.batch_size)
            )
            if not db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = (await session.exec(query)).all()
            if not rows:
                return 0
            head_row = await session.get(
                ChainHeadRow, self.signer.principal, with_for_update=not db.is_sqlite
            )
            head = ChainHead(head_row.seq, head_row.digest) if head_row else GENESIS
            messages: list[tuple[str, str, bytes, Headers]] = []
            for row in rows:
                wire = self.signer.sign_envelope(link(row.envelope, head))
                head = head.advance(wire)
                messages.append((row.topic, row.key, *record_of(wire)))
            await self.producer.send_batch(messages)
            now = datetime.now(UTC)
            for row in rows:
                row.published_at = now
                row.attempts += 1
                session.add(row)
            if head_row is None:
                session.add(ChainHeadRow(producer=self.signer.principal, seq=head.seq, digest=head.digest))
            else:
                head_row.seq, head_row.digest = head.seq, head.digest
                session.add(head_row)
        self.published += len(rows)
        return len(rows)
