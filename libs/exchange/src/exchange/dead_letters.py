"""Dead letters an operator can work with (死信): the store in each service's own database, and re-drive.

When the consumer runner dead-letters a record (:meth:`exchange.kafka.consumer.ConsumerRunner._dead_letter`) it
keeps it here, in the ``dead_letter`` table (:class:`~exchange.db.tables.DeadLetterRow`), in its own short
transaction: the bytes and headers as read, where from, why (error type and message, failure class) and what
could be read of the envelope (event id and type, case id). The ``<topic>.dlq.<group>`` topic still gets the
record, for stream readers; it is this store that outlives a broker restart.

A **re-drive** (重投) hands the stored record back to the same consumer runner (same group, same handler,
same inbox) with the header ``x-redrive-of: <id>``:

* already applied (the inbox has its event id) → no effect, outcome ``already_applied`` (an entry a re-drive
  applied keeps ``redriven``);
* applied now → outcome ``redriven``;
* fails again → dead-lettered again as a new entry whose ``redrive_of`` names this one; this one's outcome
  is ``failed_again`` (re-drive the new entry next time);
* a type the consumer does not take (once refused for its signature, say) → ``skipped``.

An entry no outcome has been recorded for is ``pending`` (待重投). A re-drive runs whether or not the
consumption loop is stopping; a transient failure during it (database or broker down) is raised to the operator,
not waited out: nothing is recorded and the entry stays pending.
Stateless consumers without a database (the simulators' direct handlers) keep only the topic.

The stored error message may hold values of the record (a constraint's SQL parameters): it is kept here,
where access is the database's, and never logged.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import ColumnElement, case, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from contracts.text import text_problem
from contracts.topics import dead_letter_topic
from exchange.db.database import Database
from exchange.db.tables import DeadLetterRow, ProcessedEvent
from exchange.errors import Malformed, NotPermitted, Rejected, SignatureInvalid
from exchange.failures import classify
from exchange.privacy import redact

__all__ = [
    "FAILURE_HEADER",
    "OUTCOMES",
    "PENDING",
    "REDRIVE_HEADER",
    "STATES",
    "DeadLetterQuery",
    "DeadLetterStore",
    "NotRedrivable",
    "Redrivable",
    "RedriveResult",
    "Redriver",
    "decode_headers",
    "encode_headers",
    "failure_class",
    "peek_envelope",
]

REDRIVE_HEADER = "x-redrive-of"  # on the record handed back to the runner: the dead letter it re-drives
FAILURE_HEADER = "x-failure"  # the dead-letter header that classifies the failure (exchange.failures)

PENDING = "pending"
REDRIVEN, ALREADY_APPLIED, FAILED_AGAIN, SKIPPED = "redriven", "already_applied", "failed_again", "skipped"
OUTCOMES = (REDRIVEN, ALREADY_APPLIED, FAILED_AGAIN, SKIPPED)
STATES = (PENDING, *OUTCOMES)


def failure_class(exc: BaseException) -> str:
    """Why, in one word: ``signature``, ``security`` (its publisher may not publish it), ``malformed``, ``rejected`` (a domain refusal), ``constraint`` (a broken
    database invariant), else the class :func:`exchange.failures.classify` gives it (``poison`` for other input
    that can never succeed, such as text PostgreSQL refuses; ``unexpected``: most likely a bug)."""
    if isinstance(exc, SignatureInvalid):
        return "signature"
    if isinstance(exc, NotPermitted):
        return "security"
    if isinstance(exc, Malformed):
        return "malformed"
    if isinstance(exc, Rejected):
        return "rejected"
    if isinstance(exc, IntegrityError):
        return "constraint"
    return classify(exc).value


def peek_envelope(value: bytes | None) -> tuple[str | None, str | None, str | None]:
    """Event id, type and subject (the case id) of a record value, as far as it reads as an envelope.

    Nothing is verified: this only labels a dead letter for finding it again.
    """
    try:
        parsed = json.loads(value or b"")
    except ValueError:
        return None, None, None
    if not isinstance(parsed, dict):
        return None, None, None

    def text(name: str, limit: int) -> str | None:
        found = parsed.get(name)
        if not isinstance(found, str) or not 0 < len(found) <= limit or text_problem(found, name) is not None:
            return None  # a label the store could not keep (PostgreSQL refuses NUL) is no label
        return found

    event_id = text("id", 64)
    try:
        event_id = str(UUID(event_id)) if event_id else None
    except ValueError:
        event_id = None
    return event_id, text("type", 255), text("subject", 255)


_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _storable(text: str) -> str:
    """``text`` with what a database column refuses (NUL on PostgreSQL) or a terminal would act on replaced by
    U+FFFD: a dead letter is kept whatever bytes the record carried, or one bad record would stop its consumer."""
    return _UNSTORABLE.sub("\ufffd", text)


def encode_headers(headers: Iterable[tuple[str, bytes | None]]) -> list[dict[str, str]]:
    """Kafka headers as JSON: UTF-8 values as text, anything else as base64."""
    encoded = []
    for name, raw in headers:
        data = raw or b""
        try:
            text = data.decode()
            if text_problem(text, name) is not None:
                raise UnicodeDecodeError("utf-8", data, 0, len(data), "control characters are kept as base64")
            encoded.append({"name": _storable(name), "value": text})
        except UnicodeDecodeError:
            encoded.append({"name": name, "base64": base64.b64encode(data).decode()})
    return encoded


def decode_headers(stored: Sequence[Mapping[str, str]]) -> list[tuple[str, bytes]]:
    return [(h["name"], base64.b64decode(h["base64"]) if "base64" in h else h.get("value", "").encode())
            for h in stored]


def _fingerprint(group: str, topic: str, partition: int, offset: int, value: bytes | None) -> str:
    digest = hashlib.sha256(f"{group}\0{topic}\0{partition}\0{offset}\0".encode())
    digest.update(value or b"")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class DeadLetterQuery:
    """Which dead letters: every field that is set must match (``since`` inclusive, ``until`` exclusive)."""

    topic: str | None = None
    group: str | None = None
    error_type: str | None = None
    case_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    state: str | None = None  # pending or an outcome; None: any

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.topic is not None:
            found.append(col(DeadLetterRow.original_topic) == self.topic)
        if self.group is not None:
            found.append(col(DeadLetterRow.consumer_group) == self.group)
        if self.error_type is not None:
            found.append(col(DeadLetterRow.error_type) == self.error_type)
        if self.case_id is not None:
            found.append(col(DeadLetterRow.case_id) == self.case_id)
        if self.since is not None:
            found.append(col(DeadLetterRow.failed_at) >= self.since)
        if self.until is not None:
            found.append(col(DeadLetterRow.failed_at) < self.until)
        if self.state == PENDING:
            found.append(col(DeadLetterRow.outcome).is_(None))
        elif self.state is not None:
            found.append(col(DeadLetterRow.outcome) == self.state)
        return found


class DeadLetterStore:
    """The ``dead_letter`` table of one service's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def record(
        self, *, group: str, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None,
        headers: Iterable[tuple[str, bytes | None]], error: BaseException, failure: str | None = None,
        redrive_of: int | None = None,
    ) -> int:
        """Keep a dead letter; its id. The same record dead-lettered again after a redelivery is kept once;
        a re-drive's new failure is always a new entry (linked by ``redrive_of``)."""
        event_id, event_type, case_id = peek_envelope(value)
        fingerprint = None if redrive_of is not None else _fingerprint(group, topic, partition, offset, value)
        values: dict[str, Any] = {
            "consumer_group": group, "original_topic": topic, "original_partition": partition,
            "original_offset": offset,
            "record_key": _storable(key.decode(errors="replace")) if key is not None else None,
            "value": value, "headers": encode_headers(headers), "error_type": _storable(type(error).__name__),
            "error_message": _storable(redact(str(error))[:8000]), "failure_class": failure or failure_class(error),
            "event_id": event_id, "event_type": event_type, "case_id": case_id, "failed_at": datetime.now(UTC),
            "fingerprint": fingerprint, "redrive_of": redrive_of, "redrive_count": 0,
        }
        async with self.database.unit_of_work() as uow:
            insert = sqlite.insert if self.database.is_sqlite else postgresql.insert
            stmt = insert(DeadLetterRow).values(**values).on_conflict_do_nothing().returning(col(DeadLetterRow.id))
            new_id = (await uow.session.execute(stmt)).scalar_one_or_none()
            if new_id is None:  # kept before: this is a redelivery of a record already dead-lettered
                new_id = (await uow.session.exec(
                    select(col(DeadLetterRow.id)).where(col(DeadLetterRow.fingerprint) == fingerprint)
                )).one()
        assert new_id is not None  # a primary key
        return int(new_id)

    async def get(self, letter_id: int) -> DeadLetterRow | None:
        async with self.database.sessions() as session:
            return await session.get(DeadLetterRow, letter_id)

    async def successor(self, letter_id: int) -> int | None:
        """The entry made when re-driving ``letter_id`` failed again (the latest, if several)."""
        async with self.database.sessions() as session:
            value = (await session.exec(select(func.max(col(DeadLetterRow.id))).where(
                col(DeadLetterRow.redrive_of) == letter_id))).one_or_none()
        return int(value) if value is not None else None

    async def find(self, query: DeadLetterQuery, *, limit: int, offset: int = 0) -> tuple[list[DeadLetterRow], int]:
        """One page of matching entries, newest first, and how many match in all."""
        where = query.conditions()
        async with self.database.sessions() as session:
            total = (await session.exec(select(func.count()).select_from(DeadLetterRow).where(*where))).one()
            rows = (await session.exec(
                select(DeadLetterRow).where(*where).order_by(col(DeadLetterRow.id).desc()).limit(limit).offset(offset)
            )).all()
        return list(rows), int(total)

    async def ids(self, query: DeadLetterQuery, *, limit: int) -> list[int]:
        """Ids of matching entries, oldest first (the order they failed in)."""
        where = query.conditions()
        async with self.database.sessions() as session:
            found = (await session.exec(
                select(col(DeadLetterRow.id)).where(*where).order_by(col(DeadLetterRow.id)).limit(limit))).all()
        return [int(i) for i in found if i is not None]

    async def applied(self, group: str, event_id: str) -> bool:
        """Whether ``group``'s inbox holds ``event_id``: the event was applied."""
        async with self.database.sessions() as session:
            row = await session.get(ProcessedEvent, (group, event_id))
        return row is not None

    async def mark(self, letter_id: int, outcome: str) -> None:
        """Record a re-drive's outcome on the entry re-driven."""
        async with self.database.unit_of_work() as uow:
            await uow.session.execute(
                update(DeadLetterRow).where(col(DeadLetterRow.id) == letter_id).values(
                    outcome=outcome, redriven_at=datetime.now(UTC),
                    redrive_count=col(DeadLetterRow.redrive_count) + 1))

    async def counts(self) -> dict[str, dict[str, int]]:
        """Per dead-letter topic (``<topic>.dlq.<group>``): entries in all, and those not yet re-driven."""
        pending = func.sum(case((col(DeadLetterRow.outcome).is_(None), 1), else_=0))
        async with self.database.sessions() as session:
            rows = (await session.exec(
                select(col(DeadLetterRow.original_topic), col(DeadLetterRow.consumer_group), func.count(), pending)
                .group_by(col(DeadLetterRow.original_topic), col(DeadLetterRow.consumer_group))
            )).all()
        return {dead_letter_topic(topic, group).name: {"total": int(total), "pending": int(waiting or 0)}
                for topic, group, total, waiting in rows}


@dataclass(frozen=True, slots=True)
class RedriveResult:
    id: int
    outcome: str
    new_dead_letter_id: int | None = None  # set when it failed again

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "outcome": self.outcome, "new_dead_letter_id": self.new_dead_letter_id}


class Redrivable(Protocol):
    """What re-drives: a consumer runner (:meth:`exchange.kafka.consumer.ConsumerRunner.redrive`)."""

    group: str

    async def redrive(self, letter: DeadLetterRow) -> RedriveResult: ...


class NotRedrivable(Exception):
    """The entry cannot be re-driven here: it failed again (re-drive its successor), or its consumer group is not
    one of this service's. ``message_zh``/``message_en`` say which."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh, self.message_en = message_zh, message_en


class Redriver:
    """Re-drives a service's dead letters through its own consumer runners, one at a time."""

    def __init__(self, store: DeadLetterStore, runners: Iterable[Redrivable]) -> None:
        self.store = store
        self.runners = {runner.group: runner for runner in runners}
        self._one_at_a_time = asyncio.Lock()  # two re-drives of one entry would both fail again into two entries

    async def redrive(self, letter_id: int) -> RedriveResult | None:
        """Re-drive one entry; None if there is no such entry. Raises :class:`NotRedrivable`, and whatever
        transient failure the runner raises (nothing is recorded then)."""
        async with self._one_at_a_time:
            letter = await self.store.get(letter_id)
            if letter is None:
                return None
            if letter.outcome == FAILED_AGAIN:
                successor = await self.store.successor(letter_id)
                raise NotRedrivable(f"死信 {letter_id} 重投后再次失败，请重投新条目 {successor}",
                                    f"dead letter {letter_id} failed again when re-driven; re-drive {successor} instead")
            runner = self.runners.get(letter.consumer_group)
            if runner is None:
                raise NotRedrivable(f"本服务没有消费组 {letter.consumer_group}",
                                    f"no consumer group {letter.consumer_group} in this service")
            return await runner.redrive(letter)

    async def redrive_many(self, query: DeadLetterQuery, *, limit: int) -> list[RedriveResult]:
        """Re-drive every matching entry, oldest first, up to ``limit``; entries that cannot be re-driven here
        are left out (a filter without ``state`` takes pending ones only)."""
        if query.state is None:
            query = replace(query, state=PENDING)
        results = []
        for letter_id in await self.store.ids(query, limit=limit):
            try:
                result = await self.redrive(letter_id)
            except NotRedrivable:
                continue
            if result is not None:
                results.append(result)
        return results
