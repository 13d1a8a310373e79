"""The consumer runner on the real broker and a real PostgreSQL database.

Effects are exactly-once (inbox in the handler's transaction), offsets are committed only after the
database commit, records that can never succeed are dead-lettered with their error, signatures are
enforced, transient failures are waited out (a real database outage included), unexpected ones retried a bounded
number of times and then dead-lettered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
import sys
import textwrap
import time
import weakref
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.envelope import Envelope, canonical_bytes
from contracts.rating.v1 import RatingSubmitted
from contracts.topics import dead_letter_topic
from exchange.broker import EmbeddedBroker
from exchange.db.unit_of_work import UnitOfWork
from exchange.errors import Malformed, Rejected, Transient
from exchange.failures import backoff_delays
from exchange.kafka import consumer as consumer_module
from exchange.kafka.admin import ensure_topics
from exchange.kafka.consumer import ConsumerRunner, decode_record
from exchange.kafka.producer import Producer

pytestmark = pytest.mark.integration

RATING = RatingSubmitted.event_type


def runner_for(bus, keyring, database, topic, group, handler, settings=None, **kwargs):
    return ConsumerRunner(
        group=group,
        topics=[topic],
        settings=settings or bus.settings(),
        keyring=keyring,
        producer=bus.producer,
        database=database,
        handlers={RATING: handler},
        **kwargs,
    )


async def processed(database, group: str) -> dict[str, datetime]:
    async with database.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT event_id, processed_at FROM processed_event WHERE consumer = :c"), {"c": group}
            )
        ).all()
    return {str(r[0]): r[1] for r in rows}


async def test_same_message_twice_has_one_effect(bus, keyring, plumbing_db, envelopes, effect_handler, effects) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    dup = envelopes.wire("case-dup")
    after = envelopes.wire("case-dup")
    await bus.send(topic.name, "case-dup", envelopes.encode(dup))
    await bus.send(topic.name, "case-dup", envelopes.encode(dup))  # at-least-once transport: the same envelope again
    await bus.send(topic.name, "case-dup", envelopes.encode(after))

    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _has(effects, plumbing_db, after["id"]), what="the message after the duplicate")
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 3), what="offset commit")

    assert await effects(plumbing_db) == {dup["id"]: 1, after["id"]: 1}
    assert set(await processed(plumbing_db, group)) == {dup["id"], after["id"]}
    assert runner.applied == 2
    assert runner.dead_lettered == 0


async def test_duplicate_across_restarts_has_one_effect(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    """A runner that saw everything, stopped, and is fed the same envelope again does nothing."""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    first = envelopes.wire("c1")
    await bus.send(topic.name, "c1", envelopes.encode(first))
    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 1), what="offset commit")
    await bus.send(topic.name, "c1", envelopes.encode(first))
    second = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(second):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 2), what="offset commit")
    assert second.applied == 0
    assert await effects(plumbing_db) == {first["id"]: 1}


CRASHING_CONSUMER = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path

    from sqlalchemy import text

    from contracts.rating.v1 import RatingSubmitted
    from contracts.topics import TopicSpec
    from exchange.db.database import Database
    from exchange.kafka.consumer import ConsumerRunner, decode_record
    from exchange.kafka.producer import Producer
    from exchange.settings import ExchangeSettings
    from exchange.signing import KeyRing


    async def main() -> None:
        bootstrap, db_url, keys_dir, topic, group = sys.argv[1:6]
        settings = ExchangeSettings(
            kafka_bootstrap=bootstrap, kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=300,
            topic_partitions=1, consumer_transaction_records=1,  # killed after the FIRST record's own commit
        )
        database = Database(db_url, source="tests")
        producer = Producer(bootstrap, client_id=group)
        await producer.start()

        async def handler(uow, envelope, payload):
            await uow.session.execute(
                text("INSERT INTO effect (event_id, case_id) VALUES (:e, :c)"),
                {"e": str(envelope.id), "c": envelope.subject},
            )

        async def die(envelope):
            # After the database commit, before the offset commit: the worst moment to crash.
            print(f"applied {envelope.id}", flush=True)
            os._exit(137)

        spec = TopicSpec(topic, "case_id", "t", "t", (RatingSubmitted.event_type,), partitions=1)
        runner = ConsumerRunner(
            group=group, topics=[spec], settings=settings, keyring=KeyRing(Path(keys_dir)),
            producer=producer, database=database, handlers={RatingSubmitted.event_type: handler},
            after_apply=die,
        )
        await runner.run()
        sys.exit("the runner returned without crashing")


    asyncio.run(main())
    """
)


async def test_killed_after_db_commit_before_offset_commit_has_no_duplicate(
    bus, keyring, keys_dir, plumbing_db, envelopes, effect_handler, effects, tmp_path: Path, caplog
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    wires = [envelopes.wire("case-k") for _ in range(3)]
    for wire in wires:
        await bus.send(topic.name, "case-k", envelopes.encode(wire))
    killed = wires[0]["id"]

    script = tmp_path / "crashing_consumer.py"
    script.write_text(CRASHING_CONSUMER)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        bus.bootstrap,
        plumbing_db.url,
        str(keys_dir),
        topic.name,
        group,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("the crashing consumer did not crash within 30 s") from None
    assert proc.returncode == 137, (proc.returncode, out.decode(), err.decode()[-3000:])
    assert out.decode().strip() == f"applied {killed}"

    # Its database transaction committed; its offset commit never happened.
    assert await effects(plumbing_db) == {killed: 1}
    first_run = await processed(plumbing_db, group)
    assert set(first_run) == {killed}
    assert await bus.committed(group, topic.name) is None

    restarted_at = datetime.now(UTC)
    caplog.set_level(logging.DEBUG, logger="exchange.kafka.consumer")
    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner, timeout_s=20):  # the dead member must time out of the group first
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 3), what="the restarted runner's commit")

    # The restarted runner was handed the killed message again and skipped it as a duplicate.
    assert any("duplicate" in r.getMessage() and killed in r.getMessage() for r in caplog.records), (
        "the killed message was not redelivered"
    )
    assert runner.applied == 2
    assert await effects(plumbing_db) == {w["id"]: 1 for w in wires}
    second_run = await processed(plumbing_db, group)
    assert set(second_run) == {w["id"] for w in wires}
    assert second_run[killed] == first_run[killed] < restarted_at  # the inbox row is the crashed run's own
    assert all(second_run[w["id"]] >= restarted_at for w in wires[1:])


async def test_a_polls_records_share_one_transaction_and_a_refused_one_is_still_judged_alone(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    """Records of one poll are applied in one transaction; when one of them is refused, nothing of that
    transaction is kept, and one by one the others apply once and only the refused one is dead-lettered."""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    first = [envelopes.wire("case-t") for _ in range(4)]
    refused, last = envelopes.wire("case-t"), envelopes.wire("case-t")
    for wire in [*first, refused, last]:
        await bus.send(topic.name, "case-t", envelopes.encode(wire))
    sessions: dict[str, set[int]] = {}  # event id -> the units of work it was handled in, numbered
    numbers: weakref.WeakKeyDictionary[UnitOfWork, int] = weakref.WeakKeyDictionary()
    counter = itertools.count()

    async def handler(uow: UnitOfWork, envelope: Envelope, payload: object) -> None:
        sessions.setdefault(str(envelope.id), set()).add(numbers.setdefault(uow, next(counter)))
        if str(envelope.id) == refused["id"]:
            raise Rejected("refused on purpose")
        await effect_handler(uow, envelope, payload)

    runner = runner_for(bus, keyring, plumbing_db, topic, group, handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 6), what="offset commit")

    applied = [w["id"] for w in [*first, last]]
    assert await effects(plumbing_db) == {i: 1 for i in applied}
    assert runner.applied == 5 and runner.dead_lettered == 1
    assert runner.taken_one_by_one >= 1  # counted: what /healthz shows as polls_taken_one_by_one
    assert (await bus.read(dead_letter_topic(topic.name, group).name, 1))[0].value == envelopes.encode(refused)
    # The first try shared one unit of work among the records it reached (all fetched by one poll here) …
    first_tries = {min(sessions[w["id"]]) for w in first}
    assert len(first_tries) < len(first), sessions
    # … and after the refusal each was handled again in one of its own (the shared transaction was not kept).
    assert all(len(sessions[i]) == 2 for i in applied[:4])


async def test_malformed_messages_are_dead_lettered_and_the_consumer_goes_on(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    bad_schema = envelopes.wire("case-m")
    bad_schema["data"] = {**bad_schema["data"], "level": "fantastic"}
    del bad_schema["signature"]
    bad_schema = keyring.signer("rating").sign_envelope(bad_schema)  # properly signed, wrong payload
    not_an_envelope = json.dumps({"hello": "world"}).encode()
    good = envelopes.wire("case-m")

    offsets = {
        "not-json": await bus.send(topic.name, "case-m", b"\x00{not json", [("traceparent", b"garbage")]),
        "schema": await bus.send(topic.name, "case-m", envelopes.encode(bad_schema)),
        "shape": await bus.send(topic.name, "case-m", not_an_envelope),
    }
    await bus.send(topic.name, "case-m", envelopes.encode(good))

    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _has(effects, plumbing_db, good["id"]), what="the good message")
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 4), what="offset commit")

    assert await effects(plumbing_db) == {good["id"]: 1}
    assert runner.dead_lettered == 3
    dlq = dead_letter_topic(topic.name, group).name
    records = await bus.read(dlq, 3)
    assert len(records) == 3
    by_offset = {}
    for record in records:
        headers = dict(record.headers)
        assert headers["x-original-topic"] == topic.name.encode()
        assert headers["x-original-partition"] == b"0"
        assert headers["x-consumer"] == group.encode()
        assert headers["x-error-type"]
        assert headers["x-error-message"]
        assert record.key == b"case-m"
        by_offset[int(headers["x-original-offset"])] = (record, headers)
    assert set(by_offset) == set(offsets.values())

    record, headers = by_offset[offsets["not-json"]]
    assert record.value == b"\x00{not json"  # the original bytes, untouched
    assert headers["traceparent"] == b"garbage"  # original headers are kept
    assert b"not JSON" in headers["x-error-message"]
    record, headers = by_offset[offsets["schema"]]
    assert json.loads(record.value)["id"] == bad_schema["id"]
    assert RATING.encode() in headers["x-error-message"]
    record, headers = by_offset[offsets["shape"]]
    assert record.value == not_an_envelope
    assert b"not an envelope" in headers["x-error-message"]
    assert set(await processed(plumbing_db, group)) == {good["id"]}


async def test_bad_signatures_are_rejected_and_dead_lettered(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    tampered = envelopes.wire("case-s")
    tampered["data"] = {**tampered["data"], "level": "very_dissatisfied"}  # changed after signing
    impostor = envelopes.wire("case-s", sign=False)  # claims to be rating, signed with the tests' key
    impostor["signature"] = {
        "alg": "Ed25519",
        "key_id": "rating",
        "value": keyring.signer("tests").sign_bytes(canonical_bytes(impostor)),
    }
    foreign = envelopes.wire("case-s", sign=False)  # honestly signed by tests, but source says rating
    foreign["signature"] = {
        "alg": "Ed25519",
        "key_id": "tests",
        "value": keyring.signer("tests").sign_bytes(canonical_bytes(foreign)),
    }
    unsigned = envelopes.wire("case-s", sign=False)
    good = envelopes.wire("case-s")
    bad = [tampered, impostor, foreign, unsigned]
    for wire in [*bad, good]:
        await bus.send(topic.name, "case-s", envelopes.encode(wire))

    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _has(effects, plumbing_db, good["id"]), what="the good message")

    assert await effects(plumbing_db) == {good["id"]: 1}
    assert set(await processed(plumbing_db, group)) == {good["id"]}
    records = await bus.read(dead_letter_topic(topic.name, group).name, len(bad))
    assert [json.loads(r.value)["id"] for r in records] == [w["id"] for w in bad]
    assert [dict(r.headers)["x-error-type"] for r in records] == [b"SignatureInvalid"] * len(bad)


async def test_transient_failure_is_retried_and_applied_once(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    calls: list[float] = []

    async def flaky(uow, envelope, payload):
        calls.append(time.monotonic())
        await effect_handler(uow, envelope, payload)  # written, then rolled back with the failure
        if len(calls) <= 2:
            raise Transient("database briefly unavailable")

    wire = envelopes.wire("case-t")
    await bus.send(topic.name, "case-t", envelopes.encode(wire))
    runner = runner_for(bus, keyring, plumbing_db, topic, group, flaky)
    async with bus.running(runner):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 1), what="offset commit")

    assert len(calls) == 3
    assert calls[2] - calls[1] >= calls[1] - calls[0] > 0.05  # exponential back-off between attempts
    assert await effects(plumbing_db) == {wire["id"]: 1}
    assert set(await processed(plumbing_db, group)) == {wire["id"]}
    assert runner.applied == 1
    assert runner.dead_lettered == 0


async def test_transient_failure_is_waited_out_until_stopped_without_commit(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects, monkeypatch
) -> None:
    """No retry limit: the runner waits (not ready) as long as the failure lasts; stop ends the wait cleanly,
    nothing is committed or dead-lettered, and the record is redelivered to the next consumer."""
    # The same back-off, a hundred times quicker: 30 attempts in about a second instead of two minutes.
    monkeypatch.setattr(consumer_module, "backoff_delays", lambda: backoff_delays(first_s=0.001, cap_s=0.05))
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    attempts = 0

    async def down(uow, envelope, payload):
        nonlocal attempts
        attempts += 1
        raise Transient("still down")

    wire = envelopes.wire("case-d")
    await bus.send(topic.name, "case-d", envelopes.encode(wire))
    runner = runner_for(bus, keyring, plumbing_db, topic, group, down)
    async with bus.running(runner) as task:
        await bus.wait_until(lambda: _true(attempts > 30), timeout_s=30, what="many attempts")  # past any old limit
        assert not task.done()
        ready, reason = runner.readiness()
        assert not ready and "still down" in reason
    assert task.result() is None  # stopped cleanly, not crashed
    assert await bus.committed(group, topic.name) is None
    assert await effects(plumbing_db) == {}
    assert runner.dead_lettered == 0

    # The next consumer of the group gets the record again and applies it once the failure has passed.
    again = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(again):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 1), what="offset commit")
        assert again.readiness() == (True, "partitions assigned")
    assert await effects(plumbing_db) == {wire["id"]: 1}


async def test_unexpected_failure_that_passes_is_applied_once(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    calls = 0

    async def racy(uow, envelope, payload):
        nonlocal calls
        calls += 1
        await effect_handler(uow, envelope, payload)  # rolled back with the failure
        if calls == 1:
            raise KeyError("a race that passes")

    wire = envelopes.wire("case-u")
    await bus.send(topic.name, "case-u", envelopes.encode(wire))
    runner = runner_for(bus, keyring, plumbing_db, topic, group, racy)
    async with bus.running(runner):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 1), what="offset commit")
    assert calls == 2
    assert await effects(plumbing_db) == {wire["id"]: 1}
    assert runner.dead_lettered == 0


async def test_unexpected_failure_that_persists_is_dead_lettered_after_bounded_retries(
    bus, keyring, plumbing_db, envelopes, effects, caplog
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    calls = 0

    async def buggy(uow, envelope, payload):
        nonlocal calls
        calls += 1
        raise ZeroDivisionError("a bug")

    wire = envelopes.wire("case-b")
    await bus.send(topic.name, "case-b", envelopes.encode(wire))
    runner = runner_for(bus, keyring, plumbing_db, topic, group, buggy, settings=bus.settings(consumer_unexpected_retries=2))
    with caplog.at_level(logging.ERROR, logger="exchange.kafka.consumer"):
        async with bus.running(runner):
            await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 1), what="offset commit")
    assert calls == 3  # the first attempt and two retries
    assert runner.dead_lettered == 1
    [record] = await bus.read(dead_letter_topic(topic.name, group).name, 1)
    headers = dict(record.headers)
    assert headers["x-failure"] == b"unexpected"
    assert headers["x-error-type"] == b"ZeroDivisionError"
    assert json.loads(record.value)["id"] == wire["id"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "failed unexpectedly" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is not None  # logged with its traceback, once
    assert await effects(plumbing_db) == {}


async def test_a_database_outage_is_waited_out_and_every_event_applied_once(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects, postgres_url
) -> None:
    """While events flow: the runner's connections are terminated again and again, then the database refuses
    every connection for a while (ALLOW_CONNECTIONS false, as ``onething chaos db-outage`` does). Every event
    is applied exactly once, nothing is dead-lettered, and the runner is not ready during the outage."""
    topic, group = bus.topic(partitions=2), bus.group()
    await bus.create(topic)
    name = make_url(plumbing_db.url).database
    admin = create_async_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    async def terminate() -> None:
        async with admin.connect() as conn:
            await conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": name},
            )

    async def send(count: int) -> list[str]:
        ids = []
        for i in range(count):
            wire = envelopes.wire(f"case-{i % 7}")
            await bus.send(topic.name, f"case-{i % 7}", envelopes.encode(wire))
            ids.append(wire["id"])
            await asyncio.sleep(0.01)
        return ids

    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    sent: list[str] = []
    try:
        async with bus.running(runner):
            # (a) connections terminated repeatedly while events flow
            sender = asyncio.create_task(send(120))
            while not sender.done():
                await terminate()
                await asyncio.sleep(0.15)
            sent += await sender
            # (b) the database refuses connections for a while
            async with admin.connect() as conn:
                await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            await terminate()
            sent += await send(40)
            await bus.wait_until(lambda: _true(not runner.readiness()[0]), timeout_s=30, what="not ready in the outage")
            assert "database unavailable" in runner.readiness()[1]
            await asyncio.sleep(2)
            assert not runner.readiness()[0]
            async with admin.connect() as conn:
                await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            await bus.wait_until(lambda: _true(runner.readiness()[0]), timeout_s=30, what="ready again")
            await bus.wait_until(lambda: _applied_all(effects, plumbing_db, sent), timeout_s=60, what="every event")
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        await admin.dispose()
    counts = await effects(plumbing_db)
    assert set(counts) == set(sent)
    assert set(counts.values()) == {1}  # exactly once
    assert runner.dead_lettered == 0
    assert await bus.read(dead_letter_topic(topic.name, group).name, 0) == []


async def _true(value: bool) -> bool:
    return value


async def _applied_all(effects, database, ids: list[str]) -> bool:
    return set(await effects(database)) >= set(ids)


async def _has(effects, database, event_id: str) -> bool:
    return event_id in await effects(database)


async def _committed_at(bus, group: str, topic: str, offset: int) -> bool:
    return await bus.committed(group, topic) == offset


async def test_a_dead_letter_waits_for_the_broker(bus, keyring, plumbing_db, envelopes, effect_handler, effects) -> None:
    """The dead-letter send waits for its broker: while the broker does not answer (its process frozen), the
    record is neither dropped nor committed, and the records behind it wait; once the broker answers again it
    is dead-lettered once and the consumer goes on. (Frozen rather than killed: the embedded broker keeps
    nothing, and what a restart loses is the recovery track's subject, not this test's.)"""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    dlq = dead_letter_topic(topic.name, group)
    elsewhere = EmbeddedBroker()  # where this runner's dead letters go
    await asyncio.to_thread(elsewhere.start)
    assert elsewhere.process is not None
    dead_letters = Producer(elsewhere.bootstrap, client_id=group)
    frozen = False
    try:
        await ensure_topics(elsewhere.bootstrap, [dlq], 1)
        await dead_letters.start()
        os.kill(elsewhere.process.pid, signal.SIGSTOP)
        frozen = True
        good = envelopes.wire("case-w")
        await bus.send(topic.name, "case-w", b"not an envelope")
        await bus.send(topic.name, "case-w", envelopes.encode(good))
        runner = ConsumerRunner(
            group=group, topics=[topic], settings=bus.settings(), keyring=keyring, producer=dead_letters,
            database=plumbing_db, handlers={RATING: effect_handler},
        )
        async with bus.running(runner):
            await asyncio.sleep(2)  # not a measurement: time for the runner to try
            assert runner.dead_lettered == 0
            assert await bus.committed(group, topic.name) is None
            assert await effects(plumbing_db) == {}  # in partition order: the good one waits behind it
            os.kill(elsewhere.process.pid, signal.SIGCONT)
            frozen = False
            await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 2), timeout_s=90, what="the commit")
        assert runner.dead_lettered == 1
        assert await effects(plumbing_db) == {good["id"]: 1}
        [record] = await type(bus)(elsewhere.bootstrap, dead_letters, bus.unique).read(dlq.name, 1)
        assert record.value == b"not an envelope"
        assert dict(record.headers)["x-failure"] == b"poison"
    finally:
        if frozen:
            os.kill(elsewhere.process.pid, signal.SIGCONT)
        await dead_letters.stop()
        await asyncio.to_thread(elsewhere.stop)


def test_a_record_whose_event_type_header_is_not_handled_is_passed_over_unparsed(keyring) -> None:
    handles = {RATING}.__contains__
    assert decode_record(b"\x00 not even json", keyring, handles, [("event-type", b"intake.case.accepted")]) is None
    with pytest.raises(Malformed):  # a type it handles: decoded, and refused for what it is
        decode_record(b"\x00 not even json", keyring, handles, [("event-type", RATING.encode())])
    with pytest.raises(Malformed):  # no header: decoded to find out
        decode_record(b"\x00 not even json", keyring, handles)
