"""A re-send through the outbox (``UnitOfWork.republish``, ``UnitOfWork.waiting``): the same envelope, under the same id, published once
more by the relay at a new place on the producer's chain. On PostgreSQL and on the embedded SQLite default."""

from __future__ import annotations

import json

import pytest

from exchange.chain import verify_chain
from exchange.db.database import Database
from exchange.outbox import OutboxRelay

pytestmark = pytest.mark.integration


async def test_a_published_event_is_sent_again_the_same_and_one_still_waiting_is_not(  # type: ignore[no-untyped-def]
        outbox_db: Database, bus, keyring, envelopes) -> None:
    topic = bus.topic()
    await bus.create(topic)
    async with outbox_db.unit_of_work() as uow:
        first = uow.emit(envelopes.rating("case-a"), subject="case-a", topics=[topic])
    async with outbox_db.unit_of_work() as uow:
        assert await uow.waiting(first.id)
        assert await uow.republish(first.id) == 0  # not sent yet: nothing to send again
    relay = OutboxRelay(outbox_db, bus.producer, keyring.signer("tests"))
    assert await relay.publish_pending() == 1

    async with outbox_db.unit_of_work() as uow:
        assert not await uow.waiting(first.id)
        assert await uow.republish(first.id) == 1
        assert await uow.waiting(first.id)  # to be sent again
        second = uow.emit(envelopes.rating("case-b"), subject="case-b", topics=[topic])
    assert await relay.publish_pending() == 2

    wires = [json.loads(r.value) for r in await bus.read(topic.name, 3)]
    assert [w["id"] for w in wires] == [str(first.id), str(first.id), str(second.id)]
    assert wires[0] == wires[1]  # the very same envelope, byte for byte: signature and chain position too
    assert [w["chain"]["seq"] for w in wires] == [1, 1, 2] and verify_chain(wires).intact
    for wire in wires:
        keyring.verify_envelope(wire)
