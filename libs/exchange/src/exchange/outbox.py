"""The outbox relay (发件箱中继): publishes committed outbox rows, signed and chained, in order.

One relay is active per service (a PostgreSQL advisory lock elects it), because two relays could
reorder one case's events and would fork the hash chain. A round has three steps, and **no database
transaction or lock is held across broker I/O** (so a broker outage never blocks the service's writes,
on the embedded SQLite default included):

1. :meth:`OutboxRelay._read_pending`: read the pending batch and the chain head in a short read-only
   session, without the SQLite write guard (WAL lets readers run beside a writer); sign and link the rows
   in memory (:meth:`OutboxRelay._sign`).
2. Send them to the broker, holding nothing.
3. :meth:`OutboxRelay._mark_published`: a short write transaction marks the rows published and advances
   ``chain_head`` (compare-and-set on the head it read).

This is safe because only the active relay writes ``published_at`` and ``chain_head``. A crash or failure
between 2 and 3 re-sends the same rows with the same ids, chain positions and (Ed25519 being
deterministic) the same signatures, and consumers' inboxes drop the duplicates.

Failures (:mod:`exchange.failures`): a failed round is noted on the waiting rows (``attempts``,
``last_error``) and retried with capped back-off for as long as it takes; a transient one (broker or
database unavailable) is logged once per state change, an unexpected one at ERROR each round. Rows are
never skipped: order and the chain depend on them.

Step 3 also keeps the bytes sent and the broker epoch they were sent in
(:mod:`exchange.epoch`): when the broker loses its data, :meth:`OutboxRelay.republish_since_epoch` sends the
rows of earlier epochs again, byte for byte, in their order.

A row is signed by its envelope's ``source``: the service's own key, or the key of another principal the
service is given ``signers`` for (the department gateway signs its departments' receipts and answers); each
principal keeps its own hash chain. A row whose source the relay holds no key for (a department no longer served
by the gateway) is **held** (暂存), not failed: the other rows go on, the held ones are counted on ``/healthz``
(``outbox_held``) and logged once per change, and they go out, in order, once a relay with that key runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from aiokafka.errors import KafkaConnectionError, KafkaError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from exchange.chain import GENESIS, ChainHead, link
from exchange.db.database import Database
from exchange.db.statements import equal_params, insert_rows, run, select_where_equal
from exchange.db.tables import ChainHeadRow, OutboxMessage, table_of
from exchange.failures import FailureKind, Interrupted, Outage, backoff_delays, classify, sleep_unless_stopped, wait_out
from exchange.kafka.producer import Headers, Producer, record_of
from exchange.signing import Signer

__all__ = ["OutboxRelay", "SignedBatch"]

logger = logging.getLogger(__name__)

LEADERSHIP_CHECK_S = 1.0  # how often the active relay makes sure it still holds its advisory lock
HELD_CHECK_S = 10.0  # how often an idle relay looks for rows it holds no key for

_OUTBOX: sa.Table = table_of(OutboxMessage)
_HEADS: sa.Table = table_of(ChainHeadRow)
_SOURCE = col(OutboxMessage.envelope)["source"].as_string()  # who signs a row (JSON ->> on PostgreSQL and SQLite)

# The relay's statements, built once and run by ``statements.run`` (straight to sqlite3 on the embedded default):
# every published row costs one of each, so SQLAlchemy's per-execution work showed (docs/performance.md, step 15).
_MARK_SENT = (
    sa.update(_OUTBOX).where(_OUTBOX.c.seq == sa.bindparam("sent_seq"))
    .values(published_at=sa.bindparam("sent_at", type_=_OUTBOX.c.published_at.type),
            attempts=_OUTBOX.c.attempts + 1, wire=sa.bindparam("sent_wire", type_=_OUTBOX.c.wire.type),
            epoch=sa.bindparam("sent_epoch", type_=_OUTBOX.c.epoch.type))
)
_MOVE_HEAD = (  # compare-and-set: only from the head read in step 1
    sa.update(_HEADS)
    .where(_HEADS.c.producer == sa.bindparam("head_of"), _HEADS.c.seq == sa.bindparam("was_seq"),
           _HEADS.c.digest == sa.bindparam("was_digest"))
    .values(seq=sa.bindparam("to_seq", type_=_HEADS.c.seq.type),
            digest=sa.bindparam("to_digest", type_=_HEADS.c.digest.type))
)


def _pending_rows(sources: int, batch_size: int) -> sa.Select[Any]:
    """The next unpublished rows signed as one of ``source_0`` … ``source_<n-1>``, in outbox order."""
    signed_as = _SOURCE
    return (
        sa.select(_OUTBOX.c.seq, _OUTBOX.c.topic, _OUTBOX.c.key, _OUTBOX.c.envelope, _OUTBOX.c.wire)
        .where(_OUTBOX.c.published_at.is_(None),
               sa.or_(*(signed_as == sa.bindparam(f"source_{n}", type_=sa.String) for n in range(sources))))
        .order_by(_OUTBOX.c.seq)
        .limit(batch_size)
    )


@dataclass(frozen=True)
class SignedBatch:
    """Pending rows signed and linked in memory: what step 2 sends and step 3 records."""

    seqs: list[int]  # outbox rows, in publish order
    messages: list[tuple[str, str, bytes, Headers]]  # topic, key, value, headers: the signed wire bytes
    stored_heads: dict[str, ChainHead]  # chain_head per principal as read (missing: no row yet)
    heads: dict[str, ChainHead]  # chain_head per principal after these rows


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        producer: Producer,
        signer: Signer,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.25,
        signers: Mapping[str, Signer] | None = None,
    ) -> None:
        self.database = database
        self.producer = producer
        self.signer = signer
        self.signers = {**(signers or {}), signer.principal: signer}  # by the ``source`` each row is signed as
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.published = 0
        self.ready = asyncio.Event()  # set once it publishes, or stands by for another instance
        self.leader = False
        self.failing: str | None = None  # why the last round failed; None while publishing goes through
        self.outage = Outage(f"outbox relay of {signer.principal}", logger)
        self._stopping = asyncio.Event()
        self._held: dict[str, int] = {}  # as last reported
        # After a broker failure, ask this before sending again (exchange.recovery sets it to the epoch check): a
        # broker that came back empty is caught up with (old rows re-sent) before any new row goes to it.
        self.before_resuming: Callable[[], Awaitable[object | None]] | None = None
        self._broker_failed = False
        self.epoch: str | None = None  # the broker epoch rows are sent in (set by exchange.recovery)
        self._turn = asyncio.Lock()  # a batch and a re-publication never interleave
        self._pending = _pending_rows(len(self.signers), batch_size)
        self._pending_params = {f"source_{n}": source for n, source in enumerate(sorted(self.signers))}

    def stop(self) -> None:
        self._stopping.set()
        self.database.outbox_written.set()

    def readiness(self) -> tuple[bool, str]:
        """Ready unless the relay is starting or its last round failed (publishing has stalled)."""
        if not self.ready.is_set():
            return False, "starting"
        if self.failing is not None:
            return False, f"stalled: {self.failing}"
        return True, "publishing" if self.leader else "standby: another instance publishes"

    async def run(self) -> None:
        try:
            await self._run()
        except Interrupted:
            return

    async def _run(self) -> None:
        lock_conn = await self._become_leader()
        checked = asyncio.get_running_loop().time()
        held_checked = checked - HELD_CHECK_S  # look once at the start
        delays = backoff_delays()
        try:
            while not self._stopping.is_set():
                if lock_conn is not None and asyncio.get_running_loop().time() - checked > LEADERSHIP_CHECK_S:
                    lock_conn = await self._still_leader(lock_conn)
                    checked = asyncio.get_running_loop().time()
                # Clear before reading, so a commit that lands while we publish wakes the next round.
                self.database.outbox_written.clear()
                try:
                    if self._broker_failed and self.before_resuming is not None:
                        if await self.before_resuming() is None:
                            raise KafkaConnectionError("the broker epoch cannot be read yet")
                        self._broker_failed = False
                    sent = await self.publish_pending()
                except Exception as exc:
                    self.failing = f"{type(exc).__name__}: {exc}"[:500]
                    if classify(exc) is FailureKind.TRANSIENT:
                        self.outage.failed(exc)
                        self._broker_failed = self._broker_failed or isinstance(exc, (KafkaError, OSError))
                    else:
                        logger.exception("outbox relay of %s failed", self.signer.principal)
                    await sleep_unless_stopped(next(delays), self._stopping)
                    continue
                if self.failing is not None:
                    self.outage.recovered()
                    self.failing = None
                    delays = backoff_delays()
                if sent < self.batch_size:
                    if asyncio.get_running_loop().time() - held_checked > HELD_CHECK_S:
                        await self._report_held()
                        held_checked = asyncio.get_running_loop().time()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.database.outbox_written.wait(), self.poll_interval_s)
        finally:
            if lock_conn is not None:
                with contextlib.suppress(Exception):  # the connection may be what failed
                    await lock_conn.close()

    async def _become_leader(self) -> AsyncConnection | None:
        """Wait until this relay holds the service's relay lock (PostgreSQL), waiting out the database."""
        if self.database.is_sqlite:
            self.leader = True  # the embedded default is one process per service
            self.ready.set()
            return None
        return await self._elect()

    async def _elect(self) -> AsyncConnection:
        key = f"outbox-relay:{self.signer.principal}"

        async def try_lock() -> AsyncConnection | None:
            conn = await self.database.engine.connect()
            try:
                got = await conn.scalar(sa.text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": key})
                await conn.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    await conn.close()
                raise
            if got:
                return conn
            await conn.close()
            return None

        while True:
            conn = await wait_out(try_lock, outage=self.outage, stopping=self._stopping)
            if conn is not None:
                logger.info("outbox relay of %s is active", self.signer.principal)
                self.leader = True
                self.ready.set()
                return conn
            self.ready.set()  # a standby is ready: another instance publishes
            if await sleep_unless_stopped(1.0, self._stopping):
                raise Interrupted("stopped while standing by")

    async def _still_leader(self, lock_conn: AsyncConnection) -> AsyncConnection:
        """The advisory lock lives as long as its connection; if the database dropped it, elect again."""
        try:
            await lock_conn.scalar(sa.text("SELECT 1"))
            await lock_conn.commit()
            return lock_conn
        except Exception as exc:
            if classify(exc) is not FailureKind.TRANSIENT:
                raise
            logger.warning("outbox relay of %s lost its lock connection; electing again", self.signer.principal)
            with contextlib.suppress(Exception):
                await lock_conn.close()
        self.leader = False
        return await self._elect()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; returns how many were sent.

        A failure is noted on the waiting rows (``attempts``, ``last_error``), so ops can see what is
        stuck and why, and then raised for :meth:`run` to back off.
        """
        try:
            async with self._turn:
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
            async with db.writing() as connection:
                await connection.execute(
                    sa.update(OutboxMessage)
                    .where(col(OutboxMessage.seq).in_(waiting.scalar_subquery()))
                    .values(attempts=col(OutboxMessage.attempts) + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000])
                )
        except Exception:  # the database may be what failed; the original error is raised regardless
            logger.debug("could not note the failure on the outbox of %s", self.signer.principal, exc_info=True)

    async def _publish_batch(self) -> int:
        rows, stored_heads = await self._read_pending()  # 1. read, holding no write lock
        if not rows:
            return 0
        batch = self._sign(rows, stored_heads)
        await self.producer.send_batch(batch.messages)  # 2. broker I/O, holding nothing
        await self._mark_published(batch)  # 3. a short write transaction
        self.published += len(batch.seqs)
        return len(batch.seqs)

    async def pending(self) -> int:
        """Unpublished rows, held ones included (``onething_outbox_pending_rows``): one count on the pending index,
        read when ``/metrics`` is scraped, not per round."""
        async with self.database.engine.connect() as connection:
            counted = await connection.scalar(
                sa.select(sa.func.count()).select_from(_OUTBOX).where(_OUTBOX.c.published_at.is_(None)))
            return int(counted or 0)

    async def held(self) -> dict[str, int]:
        """Unpublished rows by source whose key this relay does not hold (``/healthz``: ``outbox_held``)."""
        async with self.database.sessions() as session:
            counted = await session.exec(
                select(_SOURCE, sa.func.count())
                .where(col(OutboxMessage.published_at).is_(None), _SOURCE.not_in(sorted(self.signers)))
                .group_by(_SOURCE)
            )
            return {str(source): int(count) for source, count in counted.all()}

    async def _report_held(self) -> None:
        try:
            held = await self.held()
        except Exception as exc:  # the next publishing round meets (and reports) a database that is down
            logger.debug("could not count held outbox rows: %s", exc)
            return
        if held != self._held:
            if held:
                logger.warning("outbox of %s holds %s: no key for their source here (暂存，待持有密钥的进程发送)",
                               self.signer.principal, ", ".join(f"{n} from {source}" for source, n in held.items()))
            else:
                logger.info("outbox of %s holds no rows any more", self.signer.principal)
            self._held = held

    async def _read_pending(self) -> tuple[Sequence[_Pending], dict[str, ChainHead]]:
        """The next pending rows in outbox order that this relay can sign, and the stored chain heads of their
        sources, read in a transaction that writes nothing (Core: plain rows, no ORM objects to build)."""
        async with self.database.engine.connect() as connection:
            rows = [_Pending(row["seq"], row["topic"], row["key"], row["envelope"], row["wire"])
                    for row in (await run(connection, self._pending, self._pending_params)).rows]
            heads = select_where_equal(_HEADS, ("producer",))
            stored = [head for source in sorted({row.source for row in rows})
                      for head in (await run(connection, heads, equal_params({"producer": source}))).rows]
        return rows, {head["producer"]: ChainHead(head["seq"], head["digest"]) for head in stored}

    def _sign(self, rows: Sequence[_Pending], stored_heads: dict[str, ChainHead]) -> SignedBatch:
        heads = dict(stored_heads)
        messages: list[tuple[str, str, bytes, Headers]] = []
        for row in rows:
            if row.wire is not None:  # a re-send (UnitOfWork.republish): the bytes sent before, at their chain position
                messages.append((row.topic, row.key, *record_of(json.loads(row.wire))))
                continue
            source = row.source
            head = heads.get(source, GENESIS)
            wire = self._signer_of(source).sign_envelope(link(row.envelope, head))
            heads[source] = head.advance(wire)
            messages.append((row.topic, row.key, *record_of(wire)))
        touched = {source: head for source, head in heads.items() if head != stored_heads.get(source)}
        return SignedBatch([row.seq for row in rows if row.seq is not None], messages, stored_heads, touched)

    async def _mark_published(self, batch: SignedBatch) -> None:
        """Step 3: mark the rows published and advance the chain head, in one short write transaction.

        The head is compared-and-set against the one read in step 1: only the active relay writes it, so a
        mismatch means a second relay ran, and this round is abandoned (its records are duplicates of the
        other relay's and consumers drop them).
        """
        db = self.database
        async with db.writing() as connection:
            # Each row keeps the bytes sent and the epoch they were sent in, for a re-publication after the
            # broker lost its data (republish_since_epoch).
            sent_at = datetime.now(UTC)
            await run(connection, _MARK_SENT, [  # one UPDATE per row, executemany
                {"sent_seq": seq, "sent_at": sent_at, "sent_wire": value, "sent_epoch": self.epoch}
                for seq, (_, _, value, _) in zip(batch.seqs, batch.messages, strict=True)])
            for source, head in batch.heads.items():
                await self._advance_head(connection, source, batch.stored_heads.get(source), head)

    async def republish_since_epoch(self, epoch: str, since: datetime) -> int:
        """Send again, byte for byte and in ``seq`` order, every row published in an epoch other than ``epoch``
        since ``since``; from now on rows are sent in ``epoch``. Returns how many rows were sent again.

        Between batches of new rows, never during one. Each batch is read, sent (no transaction open), then
        marked with ``epoch`` in a short transaction; rows sent before this feature kept no bytes and are
        skipped. A failure leaves the rest marked with their old epoch, so calling again resumes.
        """
        db = self.database
        sent = 0
        async with self._turn:
            after = 0
            while True:
                async with db.sessions() as session:
                    rows = (await session.exec(
                        select(OutboxMessage.seq, OutboxMessage.topic, OutboxMessage.key, OutboxMessage.wire)
                        .where(col(OutboxMessage.published_at).is_not(None))
                        .where(col(OutboxMessage.published_at) >= since)
                        .where(col(OutboxMessage.wire).is_not(None))
                        .where(col(OutboxMessage.epoch).is_not(None))
                        .where(col(OutboxMessage.epoch) != epoch)
                        .where(col(OutboxMessage.seq) > after)
                        .order_by(col(OutboxMessage.seq))
                        .limit(self.batch_size)
                    )).all()
                if not rows:
                    break
                messages: list[tuple[str, str, bytes, Headers]] = []
                for _, topic, key, wire in rows:
                    assert wire is not None
                    messages.append((topic, key, wire, record_of(json.loads(wire))[1]))
                await self.producer.send_batch(messages)
                seqs = [seq for seq, *_ in rows if seq is not None]
                async with db.writing() as connection:
                    await connection.execute(
                        sa.update(OutboxMessage).where(col(OutboxMessage.seq).in_(seqs)).values(epoch=epoch)
                    )
                sent += len(rows)
                after = seqs[-1]
            self.epoch = epoch
        return sent

    @staticmethod
    async def _advance_head(connection: AsyncConnection, principal: str, stored: ChainHead | None,
                            head: ChainHead) -> None:
        """Compare-and-set ``principal``'s chain head from ``stored`` (as read in step 1) to ``head``."""
        if stored is None:  # the first link: a second relay inserting it too breaks the primary key
            await run(connection, insert_rows(_HEADS), {"producer": principal, "seq": head.seq, "digest": head.digest})
            return
        moved = await run(connection, _MOVE_HEAD, {"head_of": principal, "was_seq": stored.seq,
                                                   "was_digest": stored.digest, "to_seq": head.seq,
                                                   "to_digest": head.digest})
        if moved.rowcount != 1:
            raise RuntimeError(f"the chain head of {principal} moved under the relay: is a second relay running?")

    def _signer_of(self, source: str) -> Signer:
        try:
            return self.signers[source]
        except KeyError:
            raise ValueError(f"the outbox of {self.signer.principal} holds an event from {source!r}, "
                             "whose key it was not given") from None


class _Pending(NamedTuple):
    """An outbox row waiting to be sent, as the relay reads it."""

    seq: int
    topic: str
    key: str
    envelope: dict[str, Any]
    wire: str | None

    @property
    def source(self) -> str:
        """Who the row is signed as: its envelope's ``source``."""
        return str(self.envelope.get("source"))
