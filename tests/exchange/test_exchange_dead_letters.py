"""The dead-letter store and re-drive (死信库与重投), on the real broker and a real database (PostgreSQL, and the
embedded SQLite default where it is cheap).

A record the consumer runner could never apply is kept in the service's database with why; re-driving it runs it
through the same runner again: already applied → no effect, cause fixed → applied once, still failing → a new entry
linked to the old one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from contracts.rating.v1 import RatingSubmitted
from contracts.topics import dead_letter_topic
from exchange.db.database import Database
from exchange.dead_letters import (
    DeadLetterQuery,
    DeadLetterStore,
    NotRedrivable,
    Redriver,
    decode_headers,
)
from exchange.errors import Rejected
from exchange.kafka.consumer import ConsumerRunner
from exchange.testing.schema import create_plumbing_tables

pytestmark = pytest.mark.integration

RATING = RatingSubmitted.event_type


@pytest.fixture
async def database(each_database_url: str) -> AsyncIterator[Database]:
    """The exchange's tables and an ``effect`` table, once on PostgreSQL and once on SQLite."""
    database = Database(each_database_url, source="tests")
    await create_plumbing_tables(database)
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE effect (event_id text, case_id text)"))
    yield database
    await database.dispose()


class Gate:
    """A handler that refuses (a domain rejection) until the cause is fixed, then records one effect and
    emits one outbox row per application."""

    def __init__(self, *, open_: bool = False) -> None:
        self.open = open_

    async def __call__(self, uow, envelope, payload) -> None:
        if not self.open:
            raise Rejected(f"reference for {envelope.subject} missing (参照数据缺失)")
        await uow.session.execute(text("INSERT INTO effect (event_id, case_id) VALUES (:e, :c)"),
                                  {"e": str(envelope.id), "c": envelope.subject})
        uow.emit(payload, subject=envelope.subject)


def runner_for(bus, keyring, database, topic, group, handler) -> ConsumerRunner:
    return ConsumerRunner(group=group, topics=[topic], settings=bus.settings(), keyring=keyring,
                          producer=bus.producer, database=database, handlers={RATING: handler})


async def effect_rows(database: Database) -> dict[str, int]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT event_id, count(*) FROM effect GROUP BY event_id"))).all()
    return {str(r[0]): int(r[1]) for r in rows}


@contextlib.asynccontextmanager
async def consuming(bus, runner: ConsumerRunner, store: DeadLetterStore, *, letters: int) -> AsyncIterator[None]:
    """Run ``runner`` (as its service does, re-drives included) once the store holds ``letters`` entries."""
    async def stored() -> bool:
        return (await store.find(DeadLetterQuery(), limit=1))[1] >= letters

    async with bus.running(runner):
        await bus.wait_until(stored, what=f"{letters} dead letters in the store")
        yield


async def test_a_poison_record_is_kept_with_its_reason(bus, keyring, envelopes, database) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    refused = envelopes.wire("case-p1")
    bad_schema = envelopes.wire("case-p2")
    bad_schema["data"] = {**bad_schema["data"], "level": "fantastic"}
    del bad_schema["signature"]
    bad_schema = keyring.signer("rating").sign_envelope(bad_schema)
    await bus.send(topic.name, "case-p1", envelopes.encode(refused), [("traceparent", b"tp"), ("raw", b"\xff\x00")])
    await bus.send(topic.name, "case-p2", envelopes.encode(bad_schema))
    await bus.send(topic.name, "case-p3", b"\x00{not json")
    runner = runner_for(bus, keyring, database, topic, group, Gate())
    store = DeadLetterStore(database)
    async with consuming(bus, runner, store, letters=3):

        rows, total = await store.find(DeadLetterQuery(), limit=10)
        assert total == 3
        by_case = {row.case_id: row for row in rows}
        first = by_case["case-p1"]
        assert (first.consumer_group, first.original_topic, first.original_partition, first.original_offset) == (
            group, topic.name, 0, 0)
        assert (first.error_type, first.failure_class) == ("Rejected", "rejected")
        assert "参照数据缺失" in first.error_message
        assert (first.event_id, first.event_type, first.record_key) == (refused["id"], RATING, "case-p1")
        assert first.value == envelopes.encode(refused)  # the bytes as read
        assert decode_headers(first.headers) == [("traceparent", b"tp"), ("raw", b"\xff\x00")]
        assert first.outcome is None and first.redrive_count == 0
        schema = by_case["case-p2"]
        assert (schema.error_type, schema.failure_class, schema.event_id) == ("Malformed", "malformed", bad_schema["id"])
        garbage = by_case[None]
        assert (garbage.failure_class, garbage.event_id, garbage.value) == ("malformed", None, b"\x00{not json")
        # The dead-letter topic still gets every record, for stream readers.
        assert len(await bus.read(dead_letter_topic(topic.name, group).name, 3)) == 3
        assert await store.counts() == {dead_letter_topic(topic.name, group).name: {"total": 3, "pending": 3}}


async def test_a_redelivered_dead_letter_is_kept_once(database) -> None:
    store = DeadLetterStore(database)
    kept = [await store.record(group="g", topic="t", partition=0, offset=7, key=b"k", value=b"v", headers=[],
                               error=Rejected("no")) for _ in range(2)]
    assert kept[0] == kept[1]
    assert (await store.find(DeadLetterQuery(), limit=10))[1] == 1


async def test_fixing_the_cause_then_redriving_applies_it_once(bus, keyring, envelopes, database) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    wire = envelopes.wire("case-fix")
    await bus.send(topic.name, "case-fix", envelopes.encode(wire))
    gate = Gate()
    runner = runner_for(bus, keyring, database, topic, group, gate)
    store = DeadLetterStore(database)
    async with consuming(bus, runner, store, letters=1):
        [letter], _ = await store.find(DeadLetterQuery(), limit=10)
        assert await effect_rows(database) == {}

        gate.open = True  # the cause is fixed (the reference row is there now)
        redriver = Redriver(store, [runner])
        result = await redriver.redrive(letter.id)
        assert result is not None and (result.outcome, result.new_dead_letter_id) == ("redriven", None)
        assert await effect_rows(database) == {wire["id"]: 1}
        marked = await store.get(letter.id)
        assert marked is not None and (marked.outcome, marked.redrive_count) == ("redriven", 1)
        assert marked.redriven_at is not None

        # Again: the inbox has it, so nothing happens a second time.
        again = await redriver.redrive(letter.id)
        assert again is not None and again.outcome == "already_applied"
        assert await effect_rows(database) == {wire["id"]: 1}
        assert await outbox_rows(database) == 1
        marked = await store.get(letter.id)  # it is still the re-drive that applied it
        assert marked is not None and (marked.outcome, marked.redrive_count) == ("redriven", 2)
        assert await store.counts() == {dead_letter_topic(topic.name, group).name: {"total": 1, "pending": 0}}
        assert await redriver.redrive(letter.id + 1000) is None


async def test_redriving_what_was_applied_since_has_no_effect(bus, keyring, envelopes, database) -> None:
    """The record failed, then the same event came again and was applied: the re-drive changes nothing."""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    wire = envelopes.wire("case-twice")
    await bus.send(topic.name, "case-twice", envelopes.encode(wire))
    gate = Gate()
    store = DeadLetterStore(database)
    runner = runner_for(bus, keyring, database, topic, group, gate)
    async with consuming(bus, runner, store, letters=1):
        gate.open = True
        await bus.send(topic.name, "case-twice", envelopes.encode(wire))  # sent again by its producer
        await bus.wait_until(lambda: _has_effect(database, wire["id"]), what="the event sent again")
        [letter], _ = await store.find(DeadLetterQuery(), limit=10)

        result = await Redriver(store, [runner]).redrive(letter.id)
        assert result is not None and result.outcome == "already_applied"
        assert await effect_rows(database) == {wire["id"]: 1}
        assert await outbox_rows(database) == 1  # no second state change, no second outbox row


async def test_failing_again_makes_a_new_entry_that_names_the_old(bus, keyring, envelopes, database) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    wire = envelopes.wire("case-again")
    await bus.send(topic.name, "case-again", envelopes.encode(wire))
    gate = Gate()
    store = DeadLetterStore(database)
    runner = runner_for(bus, keyring, database, topic, group, gate)
    async with consuming(bus, runner, store, letters=1):
        [letter], _ = await store.find(DeadLetterQuery(), limit=10)

        redriver = Redriver(store, [runner])
        result = await redriver.redrive(letter.id)
        assert result is not None and result.outcome == "failed_again"
        assert result.new_dead_letter_id is not None and result.new_dead_letter_id != letter.id
        new = await store.get(result.new_dead_letter_id)
        assert new is not None and new.redrive_of == letter.id and new.outcome is None
        assert ("x-redrive-of", str(letter.id).encode()) in decode_headers(new.headers)
        assert (new.event_id, new.case_id, new.value) == (letter.event_id, letter.case_id, letter.value)
        with pytest.raises(NotRedrivable) as refused:  # re-drive the new entry instead
            await redriver.redrive(letter.id)
        assert str(result.new_dead_letter_id) in refused.value.message_zh

        gate.open = True
        fixed = await redriver.redrive(result.new_dead_letter_id)
        assert fixed is not None and fixed.outcome == "redriven"
        assert await effect_rows(database) == {wire["id"]: 1}
        # Re-driving the re-drive names only the entry re-driven, not the whole chain.
        dlq = await bus.read(dead_letter_topic(topic.name, group).name, 2)
        assert [dict(r.headers).get("x-redrive-of") for r in dlq] == [None, str(letter.id).encode()]


async def test_many_are_redriven_by_filter(bus, keyring, envelopes, database) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    ours = [envelopes.wire("case-a") for _ in range(3)]
    other = envelopes.wire("case-b")
    for wire in [*ours, other]:
        await bus.send(topic.name, wire["subject"], envelopes.encode(wire))
    gate = Gate()
    store = DeadLetterStore(database)
    runner = runner_for(bus, keyring, database, topic, group, gate)
    async with consuming(bus, runner, store, letters=4):
        assert (await store.find(DeadLetterQuery(case_id="case-a"), limit=10))[1] == 3
        assert (await store.find(DeadLetterQuery(topic=topic.name, group=group, error_type="Rejected"), limit=10))[1] == 4
        assert (await store.find(DeadLetterQuery(error_type="Malformed"), limit=10))[1] == 0
        page, total = await store.find(DeadLetterQuery(), limit=2, offset=2)
        assert total == 4 and len(page) == 2

        gate.open = True
        results = await Redriver(store, [runner]).redrive_many(DeadLetterQuery(case_id="case-a"), limit=100)
        assert [r.outcome for r in results] == ["redriven"] * 3
        assert await effect_rows(database) == {w["id"]: 1 for w in ours}
        assert [r.case_id for r in (await store.find(DeadLetterQuery(state="pending"), limit=10))[0]] == ["case-b"]
        assert (await store.find(DeadLetterQuery(state="redriven"), limit=10))[1] == 3
        # A bulk re-drive takes pending entries only: nothing of case-a is re-driven twice.
        assert await Redriver(store, [runner]).redrive_many(DeadLetterQuery(case_id="case-a"), limit=100) == []


async def outbox_rows(database: Database) -> int:
    """Events staged in the outbox (each on its default topics)."""
    async with database.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(DISTINCT event_id) FROM outbox"))).scalar_one())


async def _has_effect(database: Database, event_id: str) -> bool:
    return event_id in await effect_rows(database)


def test_headers_keep_any_bytes() -> None:
    from exchange.dead_letters import encode_headers

    headers = [("a", b"text"), ("b", b"\xff\x00"), ("c", b"")]
    assert decode_headers(json.loads(json.dumps(encode_headers(headers)))) == headers


async def test_a_dead_letter_the_store_cannot_keep_is_not_committed_and_comes_back(
    bus, keyring, envelopes, database
) -> None:
    """The store cannot be written (its table is away): the runner stops without committing the offset, so the
    record is read again and kept once the store is back. Nothing is lost; the topic may get it twice."""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    wire = envelopes.wire("case-away")
    await bus.send(topic.name, "case-away", envelopes.encode(wire))
    async with database.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE dead_letter RENAME TO dead_letter_away"))
    failing = runner_for(bus, keyring, database, topic, group, Gate())
    with pytest.raises(Exception, match="dead_letter"):
        await asyncio.wait_for(failing.run(), 30)
    assert await bus.committed(group, topic.name) is None

    async with database.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE dead_letter_away RENAME TO dead_letter"))
    store = DeadLetterStore(database)
    async with consuming(bus, runner_for(bus, keyring, database, topic, group, Gate()), store, letters=1):
        [letter], _ = await store.find(DeadLetterQuery(), limit=10)
        assert letter.event_id == wire["id"]


async def test_a_record_carrying_nul_is_kept_and_the_consumer_carries_on(bus, keyring, envelopes, database) -> None:
    """PostgreSQL refuses NUL in text: a record whose key, subject, type and headers carry it is still kept (its
    labels made storable or left out), and the next record is applied; one bad record never stops a consumer."""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    unsigned = {**envelopes.wire("case-n"), "subject": "A\x00B", "type": "x\x00y"}
    del unsigned["signature"]
    await bus.send(topic.name, "case\x00n", json.dumps(unsigned).encode(), [("raw", b"a\x00b")])
    good = envelopes.wire("case-good")
    await bus.send(topic.name, "case-good", envelopes.encode(good))
    runner = runner_for(bus, keyring, database, topic, group, Gate(open_=True))
    store = DeadLetterStore(database)

    async def good_applied() -> bool:
        return await effect_rows(database) == {good["id"]: 1}

    async with bus.running(runner):
        await bus.wait_until(good_applied, what="the record after the bad one applied")
    [letter], _ = await store.find(DeadLetterQuery(), limit=10)
    assert (letter.case_id, letter.event_type) == (None, None)
    assert letter.record_key == "case\ufffdn"
    assert decode_headers(letter.headers)[0] == ("raw", b"a\x00b")


async def test_personal_data_in_a_failure_stays_out_of_the_headers_and_the_store(
    bus, keyring, envelopes, database
) -> None:
    """个人信息脱敏: a refusal that quotes an ID number and a phone reaches neither the dead-letter header nor the
    store's error text unmasked."""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    id_number = "43010419900101123X"

    async def quoting(uow, envelope, payload) -> None:
        raise Rejected(f"applicant {id_number} (phone 13800138000) is not on the register")

    await bus.send(topic.name, "case-q1", envelopes.encode(envelopes.wire("case-q1")))
    runner = runner_for(bus, keyring, database, topic, group, quoting)
    store = DeadLetterStore(database)
    async with consuming(bus, runner, store, letters=1):
        [row], _ = await store.find(DeadLetterQuery(), limit=10)
        [letter] = await bus.read(dead_letter_topic(topic.name, group).name, 1)
    for written in (row.error_message, dict(letter.headers)["x-error-message"].decode()):
        assert id_number not in written and "13800138000" not in written, written
        assert "430104********123X" in written and "138****8000" in written


async def test_a_failed_statement_does_not_quote_its_parameters(database) -> None:
    """SQL parameters (a name, an ID number) never reach an error's text: ``hide_parameters`` on every engine."""
    with pytest.raises(Exception) as failed:
        async with database.sessions() as session:
            await session.execute(text("INSERT INTO no_such_table (who) VALUES (:who)"),
                                  {"who": "张三 43010419900101123X"})
    assert "张三" not in str(failed.value) and "43010419900101123X" not in str(failed.value)
