"""Rating on the real database: invitations, one rating per touchpoint by the applicant only, and the whole
bad-review loop through the API (order, report, call-back, closure, appeal), following supervision's clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import select

from contracts.days import china_today
from contracts.envelope import Envelope, EventPayload
from contracts.identifiers import make_resident_id
from contracts.intake.v1 import (
    Applicant,
    CaseAccepted,
    CaseDelivered,
    CaseItem,
    Channel,
    DeliveredItem,
    DeliveryMethod,
    Proxy,
)
from contracts.rating.v1 import FigureBy, FigurePeriod, RatingFigures, Touchpoint
from contracts.supervision.v1 import CardIssued, ClockStarted, OrderIssued
from contracts.topics import CASE_STREAM, RATING_EVENTS
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.testing.access import AuthorisedClient
from exchange.testing.case_stream import on_the_case_stream
from exchange.testing.outbox import outbox
from rating.adapters.tables import RatingRow
from rating.domain.ratings import rating_id_for
from rating.service_layer.handlers import rectification_id_for

pytestmark = pytest.mark.integration

Client = Callable[[str | None], httpx.AsyncClient]
Rater = Callable[..., httpx.AsyncClient]
Feed = Callable[[EventPayload], Awaitable[Envelope]]
APPLICANT = make_resident_id("430102", date(1990, 1, 1), 1)
RELATIVE = make_resident_id("430102", date(1962, 5, 5), 2)
EXAMPLE_RATER = make_resident_id("430104", date(1992, 5, 17), 24)
STAFF_PROXY = make_resident_id("430102", date(1985, 3, 3), 5)
ITEMS = (("P-01-01", "health"), ("P-01-03", "police"))

def accepted(case_id: str, *, proxy: Proxy | None = None, channel: Channel = Channel.WINDOW) -> CaseAccepted:
    return CaseAccepted(
        case_id=case_id, bundle_code="P-01", bundle_name_zh="新生儿出生一件事", bundle_name_en="A newborn's birth",
        catalogue_version="2026.11-3", lead_department="health",
        applicant=Applicant(name="张三", id_type="resident_id", id_number=APPLICANT, phone="13800138000"),
        channel=channel, delivery_method=DeliveryMethod.WINDOW,
        items=tuple(CaseItem(item_code=code, name_zh=code, name_en=code, department=dept, time_limit_days=5)
                    for code, dept in ITEMS),
        form={}, accepted_at=datetime.now(UTC), accepted_on=china_today(), window_id="W-03", staff_id="S-0012",
        proxy=proxy,
    )


def delivered(case_id: str) -> CaseDelivered:
    return CaseDelivered(case_id=case_id, method=DeliveryMethod.WINDOW, delivered_at=datetime.now(UTC),
                         items=tuple(DeliveredItem(item_code=code, department=dept, outcome="approved")
                                     for code, dept in ITEMS))


EVIDENCE = [{"title": "整改报告", "uri": "dept://police/rectification/1.pdf", "sha256": "a" * 64}]


async def events(database: Database, event_type: str | None = None) -> list[Envelope]:
    """The events rating staged, once each (every loop event goes to two topics)."""
    rows = await outbox(database, event_type)
    assert {r.topic for r in rows} <= {CASE_STREAM.name, RATING_EVENTS.name}
    return [Envelope.model_validate(r.envelope) for r in rows if r.topic == RATING_EVENTS.name]


def rating(level: str = "satisfied", **fields: Any) -> dict[str, Any]:
    return {"case_id": "C-1", "level": level, "rater_id_number": APPLICANT, "rated_via": "device", **fields}


async def test_the_openapi_example_rates_a_delivered_case(rating_db: Database, feed: Feed, client: Client, rater: Rater) -> None:
    """The example a person sends from /docs is accepted, once its case was delivered to its rater."""
    api = rater(EXAMPLE_RATER)
    document = (await api.get("/openapi.json")).json()
    body = document["paths"]["/ratings"]["post"]["requestBody"]["content"]["application/json"]["examples"][
        "delivery_very_satisfied"]["value"]
    case = accepted(body["case_id"])
    await feed(case.model_copy(update={"applicant": case.applicant.model_copy(update={"id_number": EXAMPLE_RATER})}))
    await feed(delivered(body["case_id"]))
    response = await api.post("/ratings", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["rating_id"] == rating_id_for(body["case_id"], Touchpoint.DELIVERY)


async def test_invited_at_acceptance_then_at_delivery_once_each(rating_db: Database, feed: Feed,
                                                                client: Client, rater: Rater) -> None:
    for _ in range(2):
        await feed(accepted("C-1"))
    api = rater(APPLICANT)
    open_now = (await api.get("/cases/C-1/touchpoints")).json()
    assert open_now == [{"touchpoint": "acceptance", "item_code": None, "department": "approval", "rated": False}]
    early = await api.post("/ratings", json=rating())  # the delivery touchpoint is not invited yet
    assert early.status_code == 404 and early.json()["detail"]["message_en"].startswith("this touchpoint")

    for _ in range(2):
        await feed(delivered("C-1"))
    invitations = await events(rating_db, "rating.invitation.sent")
    assert len(invitations) == 2
    delivery = invitations[1].data
    assert delivery["channel"] == "window" and "请对本次一件事办理" in delivery["text_zh"]
    assert [(t["touchpoint"], t.get("item_code")) for t in delivery["touchpoints"]] == [
        ("delivery", None), ("item", "P-01-01"), ("item", "P-01-03")]
    assert len((await api.get("/cases/C-1/touchpoints")).json()) == 4


async def test_each_touchpoint_rated_once_by_the_applicant_or_a_relative(rating_db: Database, feed: Feed,
                                                                         client: Client, rater: Rater) -> None:
    await feed(accepted("C-1", proxy=Proxy(name="李四", id_number=RELATIVE, role="relative", free=True)))
    await feed(accepted("C-2", proxy=Proxy(name="王五", id_number=STAFF_PROXY, role="staff", free=True)))
    await feed(delivered("C-1"))
    await feed(delivered("C-2"))
    api = rater(APPLICANT)
    stranger = make_resident_id("430102", date(1970, 7, 7), 9)
    assert (await rater(stranger).post("/ratings", json=rating(rater_id_number=None))).status_code == 404, \
        "someone else's case answers as an unknown one"
    assert (await rater(stranger).get("/cases/C-1/touchpoints")).status_code == 404
    assert (await rater(stranger).get("/cases/C-1/ratings")).status_code == 404
    assert (await rater(STAFF_PROXY).post("/ratings", json=rating(case_id="C-2", rater_id_number=None))
            ).status_code == 404, "staff rate no colleagues"
    for body, status in ((rating(rater_id_number=stranger), 403),  # not who the token says
                         (rating(case_id="C-404"), 404),
                         (rating(touchpoint="item", item_code="P-99"), 404),
                         (rating(tags=["不在词表"]), 422)):
        answer = await api.post("/ratings", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert status == 422 or set(answer.json()["detail"]) == {"message_zh", "message_en"}

    created = await api.post("/ratings", json=rating("very_satisfied", tags=["efficient"], comment="一次办好"))
    assert created.status_code == 201, created.text
    assert created.json()["rating_id"] == rating_id_for("C-1", Touchpoint.DELIVERY)
    by_relative = await rater(RELATIVE).post("/ratings", json=rating(touchpoint="item", item_code="P-01-03",
                                                                     rater_id_number=None))
    assert by_relative.status_code == 201
    again = await api.post("/ratings", json=rating("very_dissatisfied"))
    assert again.status_code == 409

    submitted = await events(rating_db, "rating.rating.submitted")
    assert len(submitted) == 2
    item = next(e for e in submitted if e.data["touchpoint"] == "item")
    assert (item.data["department"], item.data["channel"], item.data["window_id"]) == ("police", "window", None)
    whole = next(e for e in submitted if e.data["touchpoint"] == "delivery")
    assert (whole.data["department"], whole.data["window_id"], whole.data["staff_id"]) == ("health", "W-03", "S-0012")
    wire = str([e.model_dump(mode="json") for e in submitted])
    assert APPLICANT not in wire and RELATIVE not in wire and "一次办好" not in wire and "13800138000" not in wire
    assert await events(rating_db, "rating.rectification.opened") == []  # no bad review, no order
    rated = {(t["touchpoint"], t["item_code"]): t["rated"] for t in (await api.get("/cases/C-1/touchpoints")).json()}
    assert rated == {("acceptance", None): False, ("delivery", None): True, ("item", "P-01-01"): False,
                     ("item", "P-01-03"): True}
    listed = (await api.get("/cases/C-1/ratings")).json()
    assert len(listed) == 2 and all("comment" not in r for r in listed)


async def test_a_bad_review_opens_exactly_one_order_then_call_back_and_closure(
        rating_db: Database, feed: Feed, client: Client, rater: Rater) -> None:
    await feed(accepted("C-1"))
    await feed(delivered("C-1"))
    bad = rating("very_dissatisfied", touchpoint="item", item_code="P-01-03", tags=["slow"], comment="来回跑了三趟")
    assert (await rater(APPLICANT).post("/ratings", json=bad)).status_code == 201
    assert (await rater(APPLICANT).post("/ratings", json=bad)).status_code == 409
    opened = await events(rating_db, "rating.rectification.opened")
    assert len(opened) == 1
    order_id = rectification_id_for(rating_id_for("C-1", Touchpoint.ITEM, "P-01-03"))
    assert opened[0].data | {"text_zh": ""} == opened[0].data | {
        "rectification_id": order_id, "department": "police", "limit_working_days": 15, "level": "very_dissatisfied",
        "opened_on": china_today().isoformat(), "text_zh": ""}
    assert "请公安局于 15 个工作日内核实整改并反馈" in opened[0].data["text_zh"]

    police, centre, health = client("dept.police"), client("dept.approval"), client("dept.health")
    path = f"/rectifications/{order_id}"
    assert (await client(None).get(path)).status_code == 401
    assert (await health.get(path)).status_code == 403
    seen = (await police.get(path)).json()
    assert seen["state"] == "open" and seen["review"]["comment"] == "来回跑了三趟"
    assert [o["rectification_id"] for o in (await police.get("/rectifications")).json()] == [order_id]
    assert (await health.get("/rectifications")).json() == []

    report = {"measures_zh": "约谈窗口人员，出生登记改为一次办结", "evidence": EVIDENCE}
    assert (await centre.post(f"{path}/callback", json={"outcome": "satisfied"})).status_code == 409  # not reported
    assert (await health.post(f"{path}/report", json=report)).status_code == 403
    assert (await police.post(f"{path}/report", json={**report, "evidence": []})).status_code == 422
    assert (await police.post(f"{path}/report", json=report)).json()["state"] == "reported"
    assert (await police.post(f"{path}/callback", json={"outcome": "satisfied"})).status_code == 403
    reopened = await centre.post(f"{path}/callback", json={"outcome": "not_satisfied", "note_zh": "仍需跑两趟"})
    assert (reopened.json()["state"], reopened.json()["reopened"]) == ("open", 1)
    await police.post(f"{path}/report", json=report)
    closed = (await centre.post(f"{path}/callback", json={"outcome": "satisfied"})).json()
    assert (closed["state"], closed["closed_how"], closed["closed_on"]) == ("closed", "rectified",
                                                                         china_today().isoformat())
    assert [c["outcome"] for c in closed["callbacks"]] == ["not_satisfied", "satisfied"]
    assert (await police.post(f"{path}/report", json=report)).status_code == 409

    counts = {t: len(await events(rating_db, t)) for t in (
        "rating.rectification.opened", "rating.rectification.reported", "rating.rectification.called_back",
        "rating.rectification.closed")}
    assert counts == {"rating.rectification.opened": 1, "rating.rectification.reported": 2,
                      "rating.rectification.called_back": 2, "rating.rectification.closed": 1}
    closure = (await events(rating_db, "rating.rectification.closed"))[0].data
    assert closure["how"] == "rectified" and closure["evidence"][0]["sha256"] == "a" * 64
    called = (await events(rating_db, "rating.rectification.called_back"))[-1].data
    assert "note_zh" not in called  # what the applicant said stays here


async def test_unreachable_applicant_closes_after_the_configured_attempts(rating_db: Database, feed: Feed,
                                                                          client: Client, rater: Rater) -> None:
    await feed(accepted("C-1"))
    await feed(delivered("C-1"))
    await rater(APPLICANT).post("/ratings", json=rating("dissatisfied"))
    path = f"/rectifications/{rectification_id_for(rating_id_for('C-1', Touchpoint.DELIVERY))}"
    await client("dept.health").post(f"{path}/report", json={"measures_zh": "已整改", "evidence": EVIDENCE})
    first = (await client("dept.approval").post(f"{path}/callback", json={"outcome": "unreachable"})).json()
    assert first["state"] == "reported"
    second = (await client("dept.approval").post(f"{path}/callback", json={"outcome": "unreachable"})).json()
    assert (second["state"], second["closed_how"]) == ("closed", "unreachable")  # the fixture allows two tries


async def test_supervision_clock_due_date_and_escalation_are_followed(rating_db: Database, feed: Feed,
                                                                      client: Client, rater: Rater) -> None:
    await feed(accepted("C-1"))
    await feed(delivered("C-1"))
    await rater(APPLICANT).post("/ratings", json=rating("dissatisfied"))
    order_id = rectification_id_for(rating_id_for("C-1", Touchpoint.DELIVERY))
    today = china_today()
    due = today + timedelta(days=21)
    await feed(ClockStarted(case_id="C-1", task_id=order_id, item_code="", department="health",
                            limit_working_days=15, started_on=today, due_on=due, clock_id="K-1", kind="rectification"))
    await feed(ClockStarted(case_id="C-1", task_id="T-1", item_code="P-01-01", department="health",
                            limit_working_days=5, started_on=today, due_on=today, clock_id="K-2"))  # an item's: ignored
    await feed(CardIssued(card_id="CARD-Y", case_id="C-1", clock_id="K-1", department="health", colour="yellow",
                          reason="near_deadline", due_on=due, working_days_left=1, issued_on=due, text_zh="黄牌",
                          text_en="yellow"))
    view = (await client("dept.health").get(f"/rectifications/{order_id}")).json()
    assert (view["due_on"], view["clock_id"], view["escalated_on"]) == (due.isoformat(), "K-1", None)
    late = due + timedelta(days=1)
    await feed(CardIssued(card_id="CARD-R", case_id="C-1", clock_id="K-1", department="health", colour="red",
                          reason="overdue", due_on=due, working_days_left=-1, issued_on=late, text_zh="红牌",
                          text_en="red"))
    await feed(OrderIssued(order_id="ORD-1", case_id="C-1", card_id="CARD-R", department="health",
                           respond_by=late + timedelta(days=3), issued_on=late, text_zh="督办", text_en="order"))
    view = (await client("dept.approval").get(f"/rectifications/{order_id}")).json()
    assert (view["escalated_on"], view["red_card_id"], view["order_id"]) == (late.isoformat(), "CARD-R", "ORD-1")


async def test_an_upheld_appeal_removes_the_review_and_withdraws_the_order(rating_db: Database, feed: Feed,
                                                                           client: Client, rater: Rater) -> None:
    await feed(accepted("C-1"))
    await feed(delivered("C-1"))
    await rater(APPLICANT).post("/ratings", json=rating("very_dissatisfied", touchpoint="item", item_code="P-01-03"))
    await rater(APPLICANT).post("/ratings", json=rating("dissatisfied", touchpoint="item", item_code="P-01-01"))
    police_order = rectification_id_for(rating_id_for("C-1", Touchpoint.ITEM, "P-01-03"))
    health_order = rectification_id_for(rating_id_for("C-1", Touchpoint.ITEM, "P-01-01"))
    police, health, centre = client("dept.police"), client("dept.health"), client("dept.approval")
    grounds = {"grounds": "not_answerable", "reason_zh": "超时系申请人未按约定时间领证所致", "evidence": EVIDENCE}
    assert (await health.post(f"/rectifications/{police_order}/appeal", json=grounds)).status_code == 403
    appeal = (await police.post(f"/rectifications/{police_order}/appeal", json=grounds)).json()
    assert (await police.post(f"/rectifications/{police_order}/appeal", json=grounds)).status_code == 409
    decision = {"upheld": True, "reason_zh": "经核实，办理未超时，差评与事实不符"}
    assert (await police.post(f"/appeals/{appeal['appeal_id']}/decision", json=decision)).status_code == 403
    decided = (await centre.post(f"/appeals/{appeal['appeal_id']}/decision", json=decision)).json()
    assert (decided["upheld"], decided["decided_by"], decided["decision_zh"]) == (
        True, "dept.approval", decision["reason_zh"])
    view = (await police.get(f"/rectifications/{police_order}")).json()
    assert (view["state"], view["closed_how"], view["appeal"]["upheld"]) == ("closed", "appeal_upheld", True)

    rejected = (await health.post(f"/rectifications/{health_order}/appeal", json={**grounds, "grounds": "untrue"}))
    await centre.post(f"/appeals/{rejected.json()['appeal_id']}/decision",
                      json={"upheld": False, "reason_zh": "材料显示确有超时，申诉不成立"})
    assert (await health.get(f"/rectifications/{health_order}")).json()["state"] == "open"  # the order goes on
    reported = (await health.post(f"/rectifications/{health_order}/report",
                                  json={"measures_zh": "已整改", "evidence": EVIDENCE})).json()
    assert (reported["state"], reported["appeal"]["upheld"], reported["review"]["level"]) == (
        "reported", False, "dissatisfied")  # the answer is the whole order, its appeal and review included

    await rater(APPLICANT).post("/ratings", json=rating("very_dissatisfied"))  # the whole one-thing: health answers
    whole_order = rectification_id_for(rating_id_for("C-1", Touchpoint.DELIVERY))
    late_appeal = (await health.post(f"/rectifications/{whole_order}/appeal", json=grounds)).json()
    await health.post(f"/rectifications/{whole_order}/report", json={"measures_zh": "已整改", "evidence": EVIDENCE})
    await centre.post(f"/rectifications/{whole_order}/callback", json={"outcome": "satisfied"})
    after_closure = await centre.post(f"/appeals/{late_appeal['appeal_id']}/decision", json=decision)
    assert after_closure.status_code == 200, after_closure.text  # closed meanwhile: the closure stands
    assert (await health.get(f"/rectifications/{whole_order}")).json()["closed_how"] == "rectified"

    async with rating_db.sessions() as session:
        removed = {r.item_code: r.removed for r in (await session.exec(select(RatingRow))).all()}
    assert removed == {"P-01-03": True, "P-01-01": False, None: True}
    decisions = [e.data for e in await events(rating_db, "rating.appeal.decided")]
    assert [(d["upheld"], d["rectification_id"]) for d in decisions] == [
        (True, police_order), (False, health_order), (True, whole_order)]
    closures = [e.data for e in await events(rating_db, "rating.rectification.closed")]
    assert [(c["rectification_id"], c["how"]) for c in closures] == [(police_order, "appeal_upheld"),
                                                                     (whole_order, "rectified")]


async def test_racing_ratings_of_one_touchpoint_yield_one(rating_db: Database, feed: Feed, client: Client, rater: Rater) -> None:
    await feed(accepted("C-1"))
    await feed(delivered("C-1"))
    answers = await asyncio.gather(*(rater(APPLICANT).post("/ratings", json=rating()) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
    assert len(await events(rating_db, "rating.rating.submitted")) == 1


def figure(version: int, good: int, bad: int, day: date) -> RatingFigures:
    total = good + bad
    return RatingFigures(period=FigurePeriod.WEEK, period_start=day, by=FigureBy.DEPARTMENT, key="police",
                         very_satisfied=good, satisfied=0, basically_satisfied=0, dissatisfied=bad,
                         very_dissatisfied=0, total=total, good_rate=good / total, mean_score=None,
                         on_time_total=0, on_time_good=0, late_total=0, late_good=0, removed=0, version=version)


async def test_current_figures_are_the_latest_record_of_each(feed: Feed, client: Client, rater: Rater) -> None:
    monday = date(2026, 11, 16)
    await feed(figure(7, good=1, bad=1, day=monday))
    await feed(figure(8, good=5, bad=5, day=monday - timedelta(days=7)))  # the week before
    await feed(figure(1, good=9, bad=1, day=monday))  # a rebuild starts versions at 1 again: the latest wins
    answer = (await rater(Role.ANALYST).get("/figures", params={"by": "department", "period": "week",
                                                          "on": "2026-11-19"})).json()
    assert [(f["key"], f["version"], f["good_rate"]) for f in answer] == [("police", 1, 0.9)]
    assert (await rater(Role.ANALYST).get("/figures", params={"period": "week"})).json()[0]["good_rate"] == 0.9
    assert (await rater(Role.ANALYST).get("/figures", params={"period": "day"})).json() == []
    assert (await rater(Role.ANALYST).get("/figures", params={"by": "staff"})).status_code == 422


async def test_embedded_sqlite_default_migrates_and_rates(tmp_path: Path, keyring: Any, api_client: AuthorisedClient
                                                         ) -> None:
    from rating.config import RatingSettings
    from rating.entrypoints.api import create_app
    from rating.entrypoints.consumers import handlers
    from rating.service_layer.handlers import LoopPolicy, RatingLoop

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'rating.db'}", source="rating")
    loop = RatingLoop(LoopPolicy.of(RatingSettings()), china_today)
    try:
        await upgrade(database, "rating")
        await upgrade(database, "rating")
        for payload in (on_the_case_stream(accepted("C-9")), delivered("C-9"), delivered("C-9")):
            envelope = Envelope.wrap(payload, source="tests", subject="C-9")
            async with database.unit_of_work(cause=envelope) as uow:
                await handlers(loop)[payload.event_type](uow, envelope, payload)
        app = create_app(database, keyring, loop)
        async with api_client(app, Role.APPLICANT, id_number=APPLICANT, base_url="http://rating") as api:
            body = rating("dissatisfied", case_id="C-9")
            assert (await api.post("/ratings", json=body)).status_code == 201
            assert (await api.post("/ratings", json=body)).status_code == 409
        assert len(await outbox(database, "rating.rectification.opened")) == 2  # one event, two topics
    finally:
        await database.dispose()


async def test_revision_0002_refuses_to_run_over_0001_ratings(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'rating.db'}", source="rating")
    try:
        await upgrade(database, "rating", "0001")
        async with database.engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO rating_rating (rating_id, case_id, level, tags, submitted_at) "
                                       "VALUES ('R-1', 'C-1', 'satisfied', '[]', '2026-11-20 08:00:00+00:00')"))
        with pytest.raises(RuntimeError, match="rating_rating holds 1 rows"):
            await upgrade(database, "rating")
        async with database.engine.connect() as conn:  # nothing dropped
            assert (await conn.execute(sa.text("SELECT count(*) FROM rating_rating"))).scalar_one() == 1
    finally:
        await database.dispose()
