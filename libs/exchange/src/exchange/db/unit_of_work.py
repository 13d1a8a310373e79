"""Unit of work: one transaction's connection, with its outbox and inbox (工作单元); an ORM session in it on request."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson
from sqlalchemy import String, Table, TextualSelect, bindparam, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope, EventPayload
from contracts.topics import TopicSpec, default_topics
from exchange.db.statements import insert_if_absent, insert_rows, run
from exchange.db.tables import OutboxMessage, ProcessedEvent, table_of
from exchange.tracing import current_traceparent

__all__ = ["UnitOfWork"]

T = TypeVar("T", bound=SQLModel)

_INBOX = table_of(ProcessedEvent)
_OUTBOX = table_of(OutboxMessage)


@functools.cache
def _claim_all(dialect: str) -> TextualSelect:
    """One statement that records many event ids for a consumer and returns those not recorded before (a list
    bound as one parameter, so the SQL is the same whatever their number): ``unnest`` of an array on PostgreSQL,
    ``json_each`` of a JSON array on SQLite (whose ``WHERE true`` tells its parser the ``ON CONFLICT`` is the
    insert's)."""
    if dialect == "postgresql":
        ids, sql = bindparam("ids", type_=ARRAY(String)), (
            "INSERT INTO processed_event (consumer, event_id, processed_at) SELECT :consumer, claimed.id, :at "
            "FROM unnest(CAST(:ids AS VARCHAR[])) AS claimed(id) ON CONFLICT DO NOTHING RETURNING event_id")
    else:
        ids, sql = bindparam("ids", type_=String), (
            "INSERT INTO processed_event (consumer, event_id, processed_at) SELECT :consumer, value, :at "
            "FROM json_each(:ids) WHERE true ON CONFLICT DO NOTHING RETURNING event_id")
    return text(sql).bindparams(
        bindparam("consumer", type_=String), bindparam("at", type_=_INBOX.c.processed_at.type), ids,
    ).columns(event_id=String)


class UnitOfWork:
    """Handed to handlers: one transaction on ``connection()`` (Core statements, the repositories'), publish
    through :meth:`emit`; ``session`` is an ORM session in the same transaction for the few that want one."""

    def __init__(self, connection: AsyncConnection, *, source: str, cause: Envelope | None) -> None:
        self.source = source
        self.cause = cause
        self.emitted: list[Envelope] = []
        self.republished = False
        self._outbox: list[dict[str, Any]] = []  # rows staged by emit, written by flush_outbox (Core, in order)
        # rows staged by insert_later, by table and set of columns (one statement takes one set), written by
        # flush_before_commit
        self._deferred_inserts: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
        self._connection = connection
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """An ORM session joined to this transaction, made when first asked for: what it holds is flushed before
        the commit (:meth:`flush_before_commit`), and it never commits or ends the transaction itself."""
        if self._session is None:
            self._session = AsyncSession(bind=self._connection, expire_on_commit=False,
                                         join_transaction_mode="rollback_only")
        return self._session

    def insert_later(self, table: Table, row: dict[str, Any]) -> None:
        """Stage a row that nothing in this transaction reads back (supervision's audit entry of each fact), to be
        written with the others of its table just before the commit, ``INSERT … ON CONFLICT DO NOTHING`` as one
        ``executemany`` (on PostgreSQL one pipelined round trip for a poll's records instead of one each;
        docs/performance.md, step 33). A row already there is left as it is."""
        self._deferred_inserts.setdefault((table, tuple(row)), []).append(row)

    async def flush_before_commit(self) -> None:
        """What the ORM session holds, the rows staged by :meth:`insert_later`, then the outbox rows. A transaction
        that something ended on the way (a failed session flush whose error a handler caught: the session rolls
        the transaction back) is an error here, not a commit of nothing."""
        if self._session is not None:
            await self._session.flush()
        if not self._connection.in_transaction():
            raise InvalidRequestError("the unit of work's transaction was ended before its commit (by its session)")
        deferred, self._deferred_inserts = self._deferred_inserts, {}
        for (table, _), rows in deferred.items():
            await run(self._connection, insert_if_absent(table, self.dialect), rows)
        await self.flush_outbox()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def emit(
        self,
        payload: EventPayload,
        *,
        subject: str,
        topics: Sequence[TopicSpec] | None = None,
        key_by_topic: Mapping[str, str] | None = None,
        event_id: UUID | None = None,
        source: str | None = None,
        cause: Envelope | None = None,
    ) -> Envelope:
        """Stage an event in the outbox; it is published after, and only if, this transaction commits.

        One fact is one envelope, however many topics carry it; each topic's record key is made of the payload fields
        the topic's spec names (:meth:`TopicSpec.record_key`: the case id on the case stream), else ``key_by_topic``'s
        for that topic (a holder's licence events, keyed by a holder the payload does not name), else the subject.

        Correlation and causation follow the event being handled (or ``cause``, when the event continues another
        flow: a department's answer continues its request's), so a whole case is one flow. ``source``
        (default: this service) is who it is published and signed as: another principal only when the
        service's relay holds that principal's key (``ServiceParts.signs_for``).
        """
        flow = cause or self.cause
        envelope = Envelope.wrap(
            payload,
            source=source or self.source,
            subject=subject,
            correlation_id=flow.correlation_id if flow else None,
            causation_id=flow.id if flow else None,
            event_id=event_id,
            traceparent=current_traceparent(),
        )
        wire = envelope.to_wire()
        now = datetime.now(UTC)
        for spec in topics or default_topics(payload.event_type):
            self._outbox.append({
                "event_id": str(envelope.id),
                "topic": spec.name,
                "key": spec.record_key(payload, (key_by_topic or {}).get(spec.name) or subject),
                "envelope": wire,
                "created_at": now,
            })
        self.emitted.append(envelope)
        return envelope

    async def flush_outbox(self) -> None:
        """Write the rows :meth:`emit` staged, in the order emitted (their ``seq`` is the publishing order), with
        one Core statement: no ORM objects to build and flush (``docs/performance.md``). :meth:`flush_before_commit`
        calls it; reading the outbox here calls it first."""
        if self._outbox:
            rows, self._outbox = self._outbox, []
            connection = await self.connection()
            await run(connection, insert_rows(_OUTBOX), rows)

    async def republish(self, event_id: UUID) -> int:
        """Send an event this service already published once more, byte for byte the same envelope under the same
        id (a re-send, e.g. of a department request nobody receipted): its outbox rows are marked unpublished, and
        the relay sends the bytes it sent before (same signature, same chain position) after this transaction
        commits, so the re-send is a duplicate every inbox drops and the producer's chain gets no second entry for
        one event (rows sent before the relay kept their bytes are signed anew). Returns how many
        rows were marked; 0 when none was published yet (the first send is still waiting) or none exists."""
        await self.flush_outbox()
        result = await self.session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.event_id) == str(event_id), col(OutboxMessage.published_at).is_not(None))
            .values(published_at=None)
        )
        marked = int(result.rowcount)
        self.republished = self.republished or marked > 0
        return marked

    async def waiting(self, event_id: UUID) -> bool:
        """Whether an event this service emitted is still waiting in its outbox (not published yet)."""
        await self.flush_outbox()
        found = await self.session.exec(select(OutboxMessage.seq).where(
            col(OutboxMessage.event_id) == str(event_id), col(OutboxMessage.published_at).is_(None)).limit(1))
        return found.first() is not None

    @property
    def dialect(self) -> str:
        return self._connection.dialect.name

    async def connection(self) -> AsyncConnection:
        """The transaction's connection, for Core statements (``exchange.db.rows``)."""
        return self._connection

    async def get_for_update(self, model: type[T], key: object) -> T | None:
        """Read a row and hold it until this transaction ends, so two writers of one aggregate
        (an API call and a consumer, or two topics about one case) take turns. PostgreSQL locks the
        row; the embedded SQLite default already lets one writer in at a time."""
        return await self.session.get(model, key, with_for_update=self.dialect == "postgresql")

    async def claim(self, consumer: str, event_id: UUID) -> bool:
        """Record that ``consumer`` applies ``event_id`` now; False if it already did (a duplicate). A Core
        statement on the transaction's connection (through an ORM session it would first flush what the session
        holds, whose turn comes at the commit)."""
        connection = await self.connection()
        result = await run(
            connection, insert_if_absent(_INBOX, self.dialect),
            {"consumer": consumer, "event_id": str(event_id), "processed_at": datetime.now(UTC)},
        )
        return bool(result.rowcount)

    async def claim_all(self, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
        """:meth:`claim` for many events in one statement (a poll's records in their shared transaction): the ids
        recorded now, each once; an id recorded before, by this transaction or another, is not among them."""
        if not event_ids:
            return set()
        connection = await self.connection()
        ids = [str(event_id) for event_id in event_ids]
        params = {"consumer": consumer, "at": datetime.now(UTC),
                  "ids": ids if self.dialect == "postgresql" else orjson.dumps(ids).decode()}
        claimed = {row["event_id"] for row in (await run(connection, _claim_all(self.dialect), params)).rows}
        return {event_id for event_id in event_ids if str(event_id) in claimed}
