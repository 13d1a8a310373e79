"""Department answer deadlines (应答时限) on dispatch's own database, PostgreSQL and the embedded SQLite: requests
are recorded as sent, re-sent under the same id while unreceipted, parked once, re-driven by an operator; a
receipt or an answer stops it, and a late one after a re-send has one effect."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from contracts.department.v1 import RequestKind, RequestReceived
from contracts.department.v2 import ReviewReturned
from contracts.envelope import Envelope, EventPayload
from dispatch.adapters.messages import undeliverable_id_for
from dispatch.adapters.tables import DispatchRequest
from dispatch.domain.deadlines import DeadlinePolicy
from dispatch.domain.errors import ForeignResult, UnknownTask
from dispatch.domain.model import review_id_for
from dispatch.entrypoints.api import create_app
from dispatch.service_layer.deadlines import AnswerDeadlines, DeadlineRound
from dispatch.service_layer.handlers import case_accepted, request_received, review_returned
from dispatch.service_layer.unit_of_work import in_dispatch_work
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.db.tables import OutboxMessage
from exchange.testing.access import AuthorisedClient
from exchange.testing.outbox import outbox

from .test_dispatch_handlers import CASE, accepted, task_id

pytestmark = pytest.mark.integration

ITEM = "P-01-01"  # health's, and a case of this one item: its review concludes the round
REVIEW = review_id_for(task_id(ITEM), 1)
POLICY = DeadlinePolicy(timeout_s=10, max_resends=2, backoff=2, max_interval_s=600)


@pytest.fixture
async def dispatch_db(migrated_each_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_each_database("dispatch")


class Clock:
    """The job's clock, standing still until moved (a slow database must not move it). Requests are sent on the
    real clock a moment after it was made, so the first wait is passed with seconds to spare."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def handle_once(database: Database, handler: Callable[..., Awaitable[None]], payload: EventPayload, *,
                      source: str, envelope: Envelope | None = None) -> Envelope:
    """As the consumer runner applies it: the inbox first, so the same envelope again has no effect."""
    envelope = envelope or Envelope.wrap(payload, source=source, subject=CASE)
    async with database.unit_of_work(cause=envelope) as uow:
        if await uow.claim("dispatch", envelope.id):
            await in_dispatch_work(handler)(uow, envelope, payload)
    return envelope


async def relay_publishes(database: Database) -> None:
    """What the outbox relay does to what it sent (the broker is not the point here)."""
    async with database.sessions() as session, session.begin():
        await session.exec(sa.update(OutboxMessage).where(col(OutboxMessage.published_at).is_(None))  # type: ignore[call-overload]
                           .values(published_at=datetime.now(UTC)))


async def request_row(database: Database, request_id: UUID = REVIEW) -> DispatchRequest:
    async with database.sessions() as session:
        row = await session.get(DispatchRequest, str(request_id))
    assert row is not None
    return row


async def pending(database: Database) -> list[str]:
    async with database.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).where(col(OutboxMessage.published_at).is_(None)))).all()
    return [r.event_id for r in rows]


def receipt(request_id: UUID = REVIEW) -> RequestReceived:
    return RequestReceived(request_id=request_id, case_id=CASE, item_code=ITEM, department="health",
                           kind=RequestKind.REVIEW, received_at=datetime.now(UTC))


def review_answer() -> ReviewReturned:
    return ReviewReturned(request_id=REVIEW, case_id=CASE, item_code=ITEM, department="health", round=1,
                          reviewed_at=datetime.now(UTC))


async def sent_and_published(database: Database) -> None:
    await handle_once(database, case_accepted, accepted(items=(ITEM,)), source="intake")
    await relay_publishes(database)


async def test_every_request_sent_is_recorded_with_its_deadline_running(dispatch_db: Database) -> None:
    await handle_once(dispatch_db, case_accepted, accepted(), source="intake")
    async with dispatch_db.sessions() as session:
        rows = (await session.exec(select(DispatchRequest))).all()
    assert len(rows) == 5 and {(r.kind, r.state, r.sends, r.parkings) for r in rows} == {("review", "open", 1, 0)}
    assert {r.request_id for r in rows} == {e.event_id for e in await outbox(dispatch_db, "dispatch.review.requested")}


async def test_an_unreceipted_request_is_re_sent_under_the_same_id_then_parked_once(dispatch_db: Database) -> None:
    clock = Clock()
    job = AnswerDeadlines(dispatch_db, POLICY, clock)
    await handle_once(dispatch_db, case_accepted, accepted(items=(ITEM,)), source="intake")
    clock.advance(15)
    assert (await job.run_once()).resent == 0  # the first send is still in the outbox: nothing to repeat yet,
    await relay_publishes(dispatch_db)  # and once it is sent the department gets its whole time
    [first] = await outbox(dispatch_db, "dispatch.review.requested")
    clock.advance(9)
    assert (await job.run_once()).resent == 0
    clock.advance(1)
    assert (await job.run_once()).resent == 1
    assert await pending(dispatch_db) == [str(REVIEW)]  # the same outbox row, to be sent again
    [again] = await outbox(dispatch_db, "dispatch.review.requested")
    assert (again.seq, again.event_id, again.envelope) == (first.seq, first.event_id, first.envelope)
    assert (await request_row(dispatch_db)).sends == 2
    await relay_publishes(dispatch_db)
    clock.advance(19)
    assert (await job.run_once()).resent == 0  # the first re-send waits twice as long: 20 s
    clock.advance(1)
    assert (await job.run_once()).resent == 1
    clock.advance(40)
    assert await job.run_once() == DeadlineRound()  # the last re-send is still in the outbox: not parked, it waits
    await relay_publishes(dispatch_db)  # from now on
    clock.advance(39)
    assert await job.run_once() == DeadlineRound()  # the last re-send waits 40 s
    clock.advance(1)
    assert await job.run_once() == DeadlineRound(parked=1)
    row = await request_row(dispatch_db)
    assert (row.state, row.sends, row.total_sends, row.parkings) == ("parked", 3, 3, 1)
    [parked] = await outbox(dispatch_db, "dispatch.request.undeliverable")
    assert parked.event_id == str(undeliverable_id_for(str(REVIEW), 1)) and parked.topic == "onething.case.stream"
    assert {k: parked.envelope["data"][k] for k in ("request_id", "item_code", "department", "kind", "sends")} == {
        "request_id": str(REVIEW), "item_code": ITEM, "department": "health", "kind": "review", "sends": 3}
    clock.advance(3600)
    assert (await job.run_once()).parked == 0  # parked once; it waits for an operator
    assert len(await outbox(dispatch_db, "dispatch.request.undeliverable")) == 1


async def test_a_receipt_stops_the_re_sends_and_a_second_one_changes_nothing(dispatch_db: Database) -> None:
    clock = Clock()
    job = AnswerDeadlines(dispatch_db, POLICY, clock)
    await sent_and_published(dispatch_db)
    clock.advance(15)
    assert (await job.run_once()).resent == 1
    await relay_publishes(dispatch_db)
    envelope = await handle_once(dispatch_db, request_received, receipt(), source="dept.health")
    received_at = (await request_row(dispatch_db)).received_at
    await handle_once(dispatch_db, request_received, receipt(), source="dept.health", envelope=envelope)  # repeat
    await handle_once(dispatch_db, request_received, receipt(), source="dept.health")  # a new id, the same request
    row = await request_row(dispatch_db)
    assert (row.state, row.received_at, row.sends) == ("received", received_at, 2)
    clock.advance(3600)
    assert (await job.run_once()).resent == 0 and await pending(dispatch_db) == []


async def test_after_the_broker_lost_its_data_a_receipted_request_not_answered_is_sent_again_once(
        dispatch_db: Database) -> None:
    # The department receipted the review; its answer was on its way when the broker lost its data (a department's
    # answer has no outbox to send it again), and a receipted request is otherwise never re-sent.
    clock = Clock()
    job = AnswerDeadlines(dispatch_db, POLICY, clock)
    await sent_and_published(dispatch_db)
    await handle_once(dispatch_db, request_received, receipt(), source="dept.health")
    assert (await job.run_once()).resent == 0 and await pending(dispatch_db) == []
    job.broker_lost()  # what exchange.recovery does on a new broker epoch
    assert (await job.run_once()).resent == 1
    assert await pending(dispatch_db) == [str(REVIEW)]  # the very envelope, under the same id
    row = await request_row(dispatch_db)
    assert (row.state, row.sends) == ("received", 2)
    await relay_publishes(dispatch_db)
    assert (await job.run_once()).resent == 0  # once per loss
    await handle_once(dispatch_db, review_returned, review_answer(), source="dept.health")
    job.broker_lost()
    assert (await job.run_once()).resent == 0  # answered: nothing to ask again
    assert str(REVIEW) not in await pending(dispatch_db)


async def test_a_late_answer_after_a_re_send_has_one_effect(dispatch_db: Database) -> None:
    clock = Clock()
    job = AnswerDeadlines(dispatch_db, POLICY, clock)
    await sent_and_published(dispatch_db)
    clock.advance(15)
    assert (await job.run_once()).resent == 1  # the department was slow, not silent: both sends are answered
    answer = review_answer()
    first = await handle_once(dispatch_db, review_returned, answer, source="dept.health")
    await handle_once(dispatch_db, review_returned, answer, source="dept.health", envelope=first)  # same id: inbox
    await handle_once(dispatch_db, review_returned, review_answer(), source="dept.health")  # another id: stale
    await handle_once(dispatch_db, request_received, receipt(), source="dept.health")  # its receipt, late too
    assert len(await outbox(dispatch_db, "dispatch.review.concluded")) == 1
    assert len(await outbox(dispatch_db, "dispatch.request.sent")) == 1  # handling released once
    row = await request_row(dispatch_db)
    assert row.state == "answered" and row.answered_at is not None
    clock.advance(3600)
    assert await job.run_once() == DeadlineRound()  # nothing more to do


async def test_receipts_for_requests_never_sent_or_from_another_department_are_refused(dispatch_db: Database) -> None:
    await sent_and_published(dispatch_db)
    with pytest.raises(ForeignResult):
        await handle_once(dispatch_db, request_received, receipt(), source="dept.police")
    with pytest.raises(UnknownTask):
        await handle_once(dispatch_db, request_received, receipt(UUID(int=7)), source="dept.health")
    assert (await request_row(dispatch_db)).state == "open"


async def test_a_receipt_for_a_request_sent_before_deadlines_were_kept_is_taken_quietly(dispatch_db: Database) -> None:
    await sent_and_published(dispatch_db)
    async with dispatch_db.sessions() as session, session.begin():  # as if sent before revision 0004
        await session.delete(await session.get(DispatchRequest, str(REVIEW)))
    await handle_once(dispatch_db, request_received, receipt(), source="dept.health")  # no refusal
    await handle_once(dispatch_db, review_returned, review_answer(), source="dept.health")
    assert len(await outbox(dispatch_db, "dispatch.review.concluded")) == 1


async def test_an_operator_re_drives_a_parked_request_under_the_same_id(dispatch_db: Database,
                                                                        api_client: AuthorisedClient) -> None:
    clock = Clock()
    job = AnswerDeadlines(dispatch_db, DeadlinePolicy(timeout_s=10, max_resends=0), clock)
    await sent_and_published(dispatch_db)
    clock.advance(15)
    assert (await job.run_once()).parked == 1
    await relay_publishes(dispatch_db)
    async with api_client(create_app(dispatch_db), Role.OPERATOR, base_url="http://dispatch") as http:
        [listed] = (await http.get("/requests", params={"state": "parked"})).json()
        assert listed["request_id"] == str(REVIEW) and listed["parkings"] == 1

        answer = await http.post(f"/requests/{REVIEW}/redrive")
        assert answer.status_code == 200, answer.text
        assert {k: answer.json()[k] for k in ("state", "sends", "total_sends", "parkings")} == {
            "state": "open", "sends": 1, "total_sends": 2, "parkings": 1}
        assert await pending(dispatch_db) == [str(REVIEW)]  # the very request, sent again
        await relay_publishes(dispatch_db)
        clock.advance(60)  # the re-drive was sent on the real clock, a few seconds after the job's
        assert (await job.run_once()).parked == 1  # still no receipt: parked a second time, announced again
        assert [r.event_id for r in await outbox(dispatch_db, "dispatch.request.undeliverable")] == [
            str(undeliverable_id_for(str(REVIEW), 1)), str(undeliverable_id_for(str(REVIEW), 2))]

        missing = await http.post("/requests/00000000-0000-0000-0000-000000000000/redrive")
        assert missing.status_code == 404 and missing.json()["detail"]["message_en"] == "no such department request"
        await handle_once(dispatch_db, review_returned, review_answer(), source="dept.health")
        answered = await http.post(f"/requests/{REVIEW}/redrive")
        assert answered.status_code == 409 and "已答复" in answered.json()["detail"]["message_zh"]
        assert (await http.get("/requests", params={"state": "parked"})).json() == []


async def test_the_job_waits_out_a_database_it_cannot_reach_saying_so_once(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = Database("postgresql+asyncpg://postgres@127.0.0.1:9/nowhere", source="dispatch")  # port 9: refused
    job = AnswerDeadlines(unreachable, POLICY, interval_s=0.05)
    task = asyncio.create_task(job.run())
    try:
        for _ in range(200):
            if job.outage.down:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a few more rounds fail the same way
        assert job.outage.down and not task.done()  # still running, waiting for the database
    finally:
        job.stop()
        await asyncio.wait_for(task, 10)
        await unreachable.dispose()
    said = [r for r in caplog.records if r.name in ("dispatch.service_layer.deadlines", "exchange.periodic")]
    assert len([r for r in said if r.levelname == "WARNING"]) == 1 and not [r for r in said if r.levelname == "ERROR"]
