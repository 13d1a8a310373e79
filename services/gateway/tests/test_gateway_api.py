"""The gateway on real PostgreSQL: requests stored once and receipted as the department; polled oldest first from a
cursor; acknowledged; answered over signed HTTP by that department only, once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from contracts.department.v1 import RequestKind, answer_event_id, receipt_event_id
from contracts.dispatch.v1 import AnswerRefused, RefusalReason
from exchange.db.database import Database
from exchange.db.tables import OutboxMessage
from exchange.errors import Rejected
from exchange.http_identity import async_signing_hook
from exchange.key_list import KeyList
from exchange.signing import KeyRing
from exchange.testing.outbox import outbox
from gateway.adapters.tables import RequestRow
from gateway.entrypoints.api import create_app
from gateway.service_layer.receiving import NotServed

from .conftest import CALLED_BACK, POLLING, Client, Feed, handling, review

pytestmark = pytest.mark.integration


async def stored(database: Database, request_id: UUID) -> list[RequestRow]:
    async with database.sessions() as session:
        return list((await session.exec(select(RequestRow).where(col(RequestRow.request_id) == str(request_id)))).all())


async def published(database: Database) -> None:
    """What the relay does once it sent the outbox: every row marked published."""
    async with database.sessions() as session, session.begin():
        await session.execute(sa.update(OutboxMessage).values(published_at=datetime.now(UTC)))


async def test_a_request_is_stored_once_and_receipted_as_the_department_identically_when_sent_again(
        gateway_db: Database, feed: Feed, unique_name: str) -> None:
    request = handling(f"OT{unique_name}")
    first = await feed(request)
    [receipt] = await outbox(gateway_db, "department.request.received")
    assert receipt.event_id == str(receipt_event_id(request.request_id))
    assert receipt.topic == "exchange.dept.results" and receipt.key == request.case_id
    envelope = receipt.envelope
    assert envelope["source"] == f"dept.{POLLING}" and envelope["causation_id"] == str(first.id)
    assert envelope["data"]["request_id"] == str(request.request_id) and envelope["data"]["kind"] == "handling"
    await feed(request)  # re-sent while its receipt still waits in the outbox: that receipt goes out, once
    assert [r.event_id for r in await outbox(gateway_db, "department.request.received")] == [receipt.event_id]
    await published(gateway_db)

    await feed(request, event_id=first.id)  # redelivered: the inbox drops it
    [again] = await outbox(gateway_db, "department.request.received")
    assert again.published_at is not None
    await feed(request)  # re-sent by dispatch under a new envelope id, same request id
    assert len(await stored(gateway_db, request.request_id)) == 1
    [again] = await outbox(gateway_db, "department.request.received")
    assert again.published_at is None and again.envelope == envelope  # the identical receipt goes out once more


async def test_poll_gives_open_requests_oldest_first_from_a_cursor_and_ack_takes_them_off_pending(
        feed: Feed, client: Client, unique_name: str) -> None:
    requests = [handling(f"OT{unique_name}{n}") for n in range(3)]
    for request in requests:
        await feed(request)
    http = client(f"dept.{POLLING}")
    page = (await http.get(f"/departments/{POLLING}/requests", params={"limit": 2})).json()
    assert [r["request_id"] for r in page["requests"]] == [str(r.request_id) for r in requests[:2]]
    first = page["requests"][0]
    assert first["state"] == "pending" and first["kind"] == "handling" and first["event_type"] == "dispatch.request.sent"
    assert first["request"]["applicant"]["name"] == "李雷" and first["request"]["task_id"] == requests[0].task_id
    rest = (await http.get(f"/departments/{POLLING}/requests", params={"after": page["next_after"]})).json()
    assert [r["request_id"] for r in rest["requests"]] == [str(requests[2].request_id)]
    empty = (await http.get(f"/departments/{POLLING}/requests", params={"after": rest["next_after"]})).json()
    assert empty == {"requests": [], "next_after": rest["next_after"]}

    acked = await http.post(f"/departments/{POLLING}/requests/{requests[0].request_id}/ack")
    assert acked.status_code == 200 and acked.json()["state"] == "delivered"
    pending = (await http.get(f"/departments/{POLLING}/requests", params={"state": "pending"})).json()["requests"]
    assert [r["request_id"] for r in pending] == [str(r.request_id) for r in requests[1:]]
    opened = (await http.get(f"/departments/{POLLING}/requests")).json()["requests"]
    assert len(opened) == 3  # open: every request not answered yet, acknowledged or not
    counts = (await http.get(f"/departments/{POLLING}")).json()
    assert counts["requests"] == {"pending": 2, "delivered": 1, "undeliverable": 0, "answered": 0}
    assert counts["name_zh"] == "退役军人事务局" and counts["callback_url"] is None


async def test_only_the_department_itself_may_poll_or_answer(
        gateway_db: Database, feed: Feed, client: Client, unique_name: str) -> None:
    request = handling(f"OT{unique_name}")
    await feed(request)
    answer = {"request_id": str(request.request_id), "outcome": "approved"}
    path = f"/departments/{POLLING}"
    unsigned = await client(None).post(f"{path}/results", json=answer)
    assert unsigned.status_code == 401 and unsigned.json()["detail"]["problem"] == "missing_headers"
    assert (await client(None).get(f"{path}/requests")).status_code == 401
    other = await client(f"dept.{CALLED_BACK}").post(f"{path}/results", json=answer)
    assert other.status_code == 403 and f"dept.{POLLING}" in other.json()["detail"]["message_en"]
    assert (await client("dispatch").get(f"{path}/requests")).status_code == 403
    assert (await client("dept.police").get("/departments/police/requests")).status_code == 404  # not served here
    assert await outbox(gateway_db, "department.result.returned") == []


async def test_an_answer_is_published_once_signed_as_the_department(
        gateway_db: Database, feed: Feed, client: Client, unique_name: str) -> None:
    request = handling(f"OT{unique_name}", attempt=2)
    cause = await feed(request)
    http = client(f"dept.{POLLING}")
    answer: dict[str, Any] = {"request_id": str(request.request_id), "outcome": "approved", "document_no": "V-2026-1"}
    first = await http.post(f"/departments/{POLLING}/results", json=answer)
    assert first.status_code == 201, first.text
    expected = str(answer_event_id(RequestKind.HANDLING, request.request_id))
    assert first.json()["event_id"] == expected and first.json()["duplicate"] is False
    again = await http.post(f"/departments/{POLLING}/results", json={**answer, "decided_at": datetime.now(UTC).isoformat()})
    assert again.status_code == 200 and again.json()["event_id"] == expected and again.json()["duplicate"] is True

    [row] = await outbox(gateway_db, "department.result.returned")  # one effect
    envelope = row.envelope
    assert row.event_id == expected and row.topic == "exchange.dept.results" and row.key == request.case_id
    assert envelope["source"] == f"dept.{POLLING}" and envelope["causation_id"] == str(cause.id)
    assert envelope["correlation_id"] == str(cause.correlation_id)
    data = envelope["data"]
    assert (data["task_id"], data["attempt"], data["item_code"], data["department"]) == (
        request.task_id, 2, request.item_code, POLLING)
    assert (data["outcome"], data["document_no"]) == ("approved", "V-2026-1")

    conflict = await http.post(f"/departments/{POLLING}/results", json={**answer, "outcome": "rejected",
                                                                        "reason_zh": "不符合条件"})
    assert conflict.status_code == 409 and conflict.json()["detail"]["message_zh"]
    listed = (await http.get(f"/departments/{POLLING}/requests", params={"state": "answered"})).json()["requests"]
    assert [r["answer_event_id"] for r in listed] == [expected]
    assert (await http.get(f"/departments/{POLLING}/requests")).json()["requests"] == []


async def test_answers_are_checked_against_the_request(
        gateway_db: Database, feed: Feed, client: Client, unique_name: str) -> None:
    handled, reviewed = handling(f"OT{unique_name}"), review(f"OT{unique_name}")
    await feed(handled)
    await feed(reviewed)
    http = client(f"dept.{POLLING}")
    unknown = await http.post(f"/departments/{POLLING}/results", json={"request_id": str(uuid4()), "outcome": "approved"})
    assert unknown.status_code == 404 and unknown.json()["detail"]["message_en"].startswith("no request")
    wrong_kind = await http.post(f"/departments/{POLLING}/reviews", json={"request_id": str(handled.request_id)})
    assert wrong_kind.status_code == 409 and "/results" in wrong_kind.json()["detail"]["message_en"]
    no_reason = await http.post(f"/departments/{POLLING}/results",
                                json={"request_id": str(handled.request_id), "outcome": "rejected"})
    assert no_reason.status_code == 422
    assert no_reason.json()["problems"][0]["message_zh"].startswith("不予许可须说明理由")
    correction = await http.post(f"/departments/{POLLING}/results",
                                 json={"request_id": str(handled.request_id), "outcome": "needs_correction"})
    assert correction.status_code == 422  # corrections are asked in preliminary review only
    assert [(p["field"], p["message_zh"]) for p in correction.json()["problems"]] == [("outcome", "取值不在允许范围内")]

    deficiency = {"kind": "material", "code": "M1", "reason_zh": "材料不清晰", "reason_en": "not legible"}
    beside = await http.post(f"/departments/{POLLING}/reviews", json={
        "request_id": str(reviewed.request_id), "deficiencies": [deficiency], "decision": {"outcome": "approved"}})
    assert beside.status_code == 422  # a decision comes only with a review that finds nothing missing
    assert beside.json()["problems"][0]["message_zh"].startswith("预审有缺项时不得同时作出办理决定")
    done = await http.post(f"/departments/{POLLING}/reviews",
                           json={"request_id": str(reviewed.request_id), "deficiencies": [deficiency]})
    assert done.status_code == 201 and done.json()["event_type"] == "department.review.returned"
    [row] = await outbox(gateway_db, "department.review.returned")
    assert row.envelope["data"]["round"] == 1
    assert row.envelope["data"]["deficiencies"] == [deficiency]  # v2: findings of the reviewed item, as answered
    not_parked = await http.post(f"/departments/{POLLING}/requests/{handled.request_id}/redrive")
    assert not_parked.status_code == 409


async def test_an_answer_sent_again_with_its_request_is_published_again_unchanged(
        gateway_db: Database, feed: Feed, client: Client, unique_name: str) -> None:
    """Dispatch re-sends a request it heard nothing back for: the receipt and the answer both go out again."""
    request = handling(f"OT{unique_name}")
    await feed(request)
    http = client(f"dept.{POLLING}")
    assert (await http.post(f"/departments/{POLLING}/results",
                            json={"request_id": str(request.request_id), "outcome": "approved"})).status_code == 201
    await published(gateway_db)
    [answer] = await outbox(gateway_db, "department.result.returned")
    await feed(request)
    [again] = await outbox(gateway_db, "department.result.returned")
    assert again.published_at is None and again.envelope == answer.envelope


async def test_refusal_notices_are_kept_for_the_department(feed: Feed, client: Client, unique_name: str) -> None:
    """拒收通知 dispatch sends about an answer in the department's name: listed once, to that department only."""
    notice = AnswerRefused.saying(RefusalReason.SIGNATURE_INVALID, department=POLLING, refused_event_id=uuid4(),
                                  refused_event_type="department.result.returned", case_id=f"OT{unique_name}",
                                  topic="exchange.dept.results", partition=0, offset=7, refused_at=datetime.now(UTC))
    told = await feed(notice)
    await feed(notice, event_id=told.id)  # redelivered
    http = client(f"dept.{POLLING}")
    page = (await http.get(f"/departments/{POLLING}/notices")).json()
    assert [n["event_id"] for n in page["notices"]] == [str(told.id)]
    assert page["notices"][0]["notice"]["reason"] == "signature_invalid"
    assert (await http.get(f"/departments/{POLLING}/notices", params={"after": page["next_after"]})).json()[
        "notices"] == []
    assert (await client(f"dept.{CALLED_BACK}").get(f"/departments/{POLLING}/notices")).status_code == 403
    assert (await client(f"dept.{CALLED_BACK}").get(f"/departments/{CALLED_BACK}/notices")).json()["notices"] == []


async def test_only_dispatch_addresses_a_department(gateway_db: Database, feed: Feed, unique_name: str) -> None:
    """A well-signed request from anyone else, or for a department this gateway does not serve, is refused (the
    runner dead-letters it): nothing stored, nothing receipted in the department's name."""
    forged, elsewhere = handling(f"OT{unique_name}"), handling(f"OT{unique_name}", department="police")
    with pytest.raises(Rejected, match="not from dispatch"):
        await feed(forged, source="dept.police")
    with pytest.raises(NotServed):
        await feed(elsewhere)
    assert await stored(gateway_db, forged.request_id) == [] and await stored(gateway_db, elsewhere.request_id) == []
    assert await outbox(gateway_db) == []


async def test_a_database_out_of_reach_answers_503_to_retry(keyring: KeyRing, unused_tcp_port: int) -> None:
    """Nothing listens where the database should be: the department is told to send the same request again later."""
    database = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{unused_tcp_port}/gone", source="gateway")
    app = create_app(database, keyring, {POLLING: None})
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway", event_hooks={
                "request": [async_signing_hook(keyring.signer(f"dept.{POLLING}"), "办理")]}) as http:
            polled = await http.get(f"/departments/{POLLING}/requests")
            answered = await http.post(f"/departments/{POLLING}/results",
                                       json={"request_id": str(uuid4()), "outcome": "approved"})
    finally:
        await database.dispose()
    for response in (polled, answered):
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert response.json()["message_zh"].startswith("服务暂时不可用")


async def test_the_signed_key_list_is_published_to_anyone_and_verifies_against_its_anchor(
        client: Client, keyring: KeyRing) -> None:
    answer = await client(None).get("/key-list")  # public: what a department pins and fetches
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    anchor = keyring.key_list_anchor()
    key_list = KeyList.verified(answer.content, anchor)
    police = next(e for e in key_list.entries if e.principal == "dept.police" and e.status == "current")
    assert police.public_key == keyring.public_key_bytes("dept.police")
