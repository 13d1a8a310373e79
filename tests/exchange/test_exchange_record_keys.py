"""UnitOfWork.emit stages one envelope per fact, a row per topic, each under the record key its topic's registry entry
names (TopicSpec.record_key), on PostgreSQL."""

from __future__ import annotations

import pytest

from contracts.examples import example
from contracts.licence.v1 import LicenceIssued
from contracts.licence.v2 import LicenceStatusChanged
from contracts.topics import CASE_STREAM, LICENCE_EVENTS
from exchange.db.database import Database
from exchange.testing.outbox import outbox

pytestmark = pytest.mark.integration


async def test_one_licence_fact_is_one_envelope_keyed_per_topic(plumbing_db: Database) -> None:
    changed, issued = example(LicenceStatusChanged), example(LicenceIssued)
    async with plumbing_db.unit_of_work() as uow:
        uow.emit(changed, subject=changed.case_id, topics=[CASE_STREAM, LICENCE_EVENTS],
                 key_by_topic={LICENCE_EVENTS.name: "holder-1"})  # status_changed v2 names no holder
        uow.emit(issued, subject="C-1", topics=[LICENCE_EVENTS])

    rows = await outbox(plumbing_db)
    assert [(r.topic, r.key) for r in rows] == [(CASE_STREAM.name, changed.case_id), (LICENCE_EVENTS.name, "holder-1"),
                                                (LICENCE_EVENTS.name, issued.holder_id)]
    assert rows[0].event_id == rows[1].event_id != rows[2].event_id
