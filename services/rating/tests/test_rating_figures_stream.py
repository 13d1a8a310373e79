"""The figures stream processor on the real broker (满意度统计流处理，真实消息代理).

A few hundred signed ratings, stopped clocks (some before their ratings, some after), appeals, redelivered
events, events the figures must ignore (with personal data in them) and two records that can never be
accepted go onto the processor's own copies of the source topics. What it publishes must equal a recount
written here, from the raw events, without the processor's rules module.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from contracts.envelope import Envelope, EventPayload
from contracts.identifiers import make_resident_id
from contracts.intake.v1 import Applicant, CaseAccepted, CaseItem, Channel, DeliveryMethod
from contracts.rating.v1 import (
    AppealDecided,
    InvitationSent,
    InvitedTouchpoint,
    RatingFigures,
    RatingLevel,
    RatingSubmitted,
    Touchpoint,
)
from contracts.supervision.v1 import ClockStopped
from contracts.topics import CASE_STREAM, RATING_EVENTS, RATING_FIGURES, dead_letter_topic
from exchange.kafka.producer import Producer, record_of
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing
from rating.figures.processor import FiguresProcessor

pytestmark = pytest.mark.integration

CHINA = timezone(timedelta(hours=8))
FIRST_INSTANT = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)  # Thursday 5 March in China; 7 days on: two ISO weeks
DEPARTMENTS = ("police", "health", "hrss", "civil-affairs")
ITEMS = (("police", "P-110"), ("police", "P-120"), ("health", "H-210"), ("hrss", "R-310"), ("civil-affairs", "C-410"))
WINDOWS = ("w-01", "w-02", "w-03", None)
CHANNELS = ("window", "portal", "mobile", "12345", None)
LEVEL_WEIGHTS = (4, 4, 2, 1, 1)  # 非常满意 … 非常不满意
GOOD = {RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED, RatingLevel.BASICALLY_SATISFIED}
RATES = ("good_rate", "mean_score")
GARBAGE = b'{"id": "not an envelope", "phone"'  # cut short: not even JSON
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")

# Personal data put into the input where the contracts allow it; none of it may reach the analytics topic.
APPLICANTS = [
    ("张三丰", make_resident_id("430102", date(1985, 6, 1), 123), "13812345678"),
    ("李四娘", make_resident_id("430104", date(1992, 11, 30), 246), "15987654321"),
]


@dataclasses.dataclass
class Events:
    """What the test publishes, in the order of the phases, and the facts the recount needs."""

    ratings: list[RatingSubmitted] = dataclasses.field(default_factory=list)
    early_clocks: list[ClockStopped] = dataclasses.field(default_factory=list)
    late_clocks: list[ClockStopped] = dataclasses.field(default_factory=list)
    appeals: list[AppealDecided] = dataclasses.field(default_factory=list)


def draw(seed: int, prefix: str) -> Events:
    rng = random.Random(seed)
    out = Events()
    for n in range(110):
        case_id = f"{prefix}-case-{n:03d}"
        channel, window = rng.choice(CHANNELS), rng.choice(WINDOWS)
        rated_at = FIRST_INSTANT + timedelta(minutes=rng.randrange(7 * 24 * 60))
        touchpoints: list[tuple[Touchpoint, str | None, str]] = [(Touchpoint.DELIVERY, None, rng.choice(DEPARTMENTS))]
        if rng.random() < 0.5:
            touchpoints.append((Touchpoint.ACCEPTANCE, None, "approval"))
        for department, code in rng.sample(ITEMS, rng.choice((1, 1, 2))):
            touchpoints.append((Touchpoint.ITEM, code, department))
        for touchpoint, item, department in touchpoints:
            out.ratings.append(RatingSubmitted(
                rating_id=f"{case_id}:{touchpoint.value}:{item or ''}", case_id=case_id,
                level=rng.choices(list(RatingLevel), LEVEL_WEIGHTS)[0], tags=("slow",),
                submitted_at=rated_at + timedelta(minutes=rng.randrange(600)), touchpoint=touchpoint,
                item_code=item, department=department, channel=channel,
                window_id=window if touchpoint is not Touchpoint.ITEM else None, rated_via="mobile",
            ))
        finished = rated_at.astimezone(CHINA).date()
        clocks: list[ClockStopped] = []
        if rng.random() < 0.7:
            clocks.append(stopped(case_id, f"{case_id}:case", "case", None, finished, rng.random() < 0.7))
        for touchpoint, item, _ in touchpoints:
            if touchpoint is Touchpoint.ITEM and rng.random() < 0.7:
                clocks.append(stopped(case_id, f"{case_id}:{item}:1", "item", item, finished, rng.random() < 0.6))
                if rng.random() < 0.3:  # released again; the later finish decides, whatever the arrival order
                    again = stopped(case_id, f"{case_id}:{item}:2", "item", item,
                                    finished + timedelta(days=rng.randrange(1, 4)), rng.random() < 0.5)
                    clocks.insert(rng.randrange(len(clocks) + 1), again)
        if rng.random() < 0.3:  # a rectification clock, late and latest: it would change figures if counted
            rated_item = next((i for t, i, _ in touchpoints if t is Touchpoint.ITEM), None)
            clocks.append(stopped(case_id, f"{case_id}:rect", "rectification", rated_item,
                                  finished + timedelta(days=9), False))
        for clock in clocks:
            (out.early_clocks if rng.random() < 0.5 else out.late_clocks).append(clock)
    for bad in [r for r in out.ratings if r.level not in GOOD]:
        if (roll := rng.random()) < 0.6:
            out.appeals.append(AppealDecided(
                appeal_id=f"ap-{bad.rating_id}", rectification_id=f"rx-{bad.rating_id}", rating_id=bad.rating_id,
                case_id=bad.case_id, department=bad.department or "approval", upheld=roll < 0.35,
                reason_zh=f"经复核，申请人{APPLICANTS[0][0]}（电话{APPLICANTS[0][2]}）所述情况不实",
                decided_by="dept.approval", decided_on=date(2026, 3, 13),
            ))
    return out


def stopped(case_id: str, clock_id: str, kind: str, item: str | None, on: date, on_time: bool) -> ClockStopped:
    return ClockStopped.model_validate(dict(
        case_id=case_id, clock_id=clock_id, kind=kind, task_id=clock_id, item_code=item, department="police",
        due_on=on, finished_on=on, on_time=on_time, handling_days=2,
    ))


def figures_of(r: RatingSubmitted) -> list[str]:
    """The keys of the figures a rating counts in."""
    day = r.submitted_at.astimezone(CHINA).date()
    monday = day - timedelta(days=day.isoweekday() - 1)
    if r.touchpoint is Touchpoint.ITEM:
        by = [("department", r.department), ("item", r.item_code), ("channel", r.channel)]
    else:
        by = [("department", r.department), ("window", r.window_id), ("channel", r.channel)]
    return [f"{period}:{start}:{dimension}:{value}" for dimension, value in by if value is not None
            for period, start in (("day", day), ("week", monday))]


def recount(events: Events) -> dict[str, dict[str, Any]]:
    """The figures, counted plainly from the raw events (the test's own reading of the rules)."""
    upheld = {a.rating_id for a in events.appeals if a.upheld}
    clocks: dict[str, list[ClockStopped]] = defaultdict(list)
    for clock in events.early_clocks + events.late_clocks:
        clocks[clock.case_id].append(clock)
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for r in events.ratings:
        if r.touchpoint is Touchpoint.ITEM:
            mine = [c for c in clocks[r.case_id] if c.kind == "item" and c.item_code == r.item_code]
        else:
            mine = [c for c in clocks[r.case_id] if c.kind == "case"]
        latest = max(mine, key=lambda c: c.finished_on) if mine else None  # the draw has no ties
        for figure in figures_of(r):
            c = tally[figure]
            if r.rating_id in upheld:
                c["removed"] += 1
                continue
            c[r.level.value] += 1
            if latest is not None:
                column = "on_time" if latest.on_time else "late"
                c[f"{column}_total"] += 1
                c[f"{column}_good"] += r.level in GOOD
    expected: dict[str, dict[str, Any]] = {}
    for figure, c in tally.items():
        total = sum(c[level.value] for level in RatingLevel)
        good = sum(c[level.value] for level in GOOD)
        expected[figure] = {
            **{level.value: c[level.value] for level in RatingLevel},
            "total": total,
            "good_rate": good / total if total else None,
            "mean_score": sum(s * c[lv.value] for s, lv in zip((5, 4, 3, 2, 1), RatingLevel, strict=True)) / total
            if total else None,
            **{f: c[f] for f in ("on_time_total", "on_time_good", "late_total", "late_good", "removed")},
        }
    return expected


def comparable(figures: RatingFigures) -> dict[str, Any]:
    return figures.model_dump(mode="json", exclude={"period", "period_start", "by", "key", "version"})


def counts(figure: dict[str, Any]) -> dict[str, Any]:
    return {field: value for field, value in figure.items() if field not in RATES}


def rates_match(got: dict[str, Any], want: dict[str, Any]) -> bool:
    """Published rates are rounded to 4 places; the recount's are not."""
    return all(got[r] == (None if want[r] is None else pytest.approx(want[r], abs=1e-4)) for r in RATES)


def same(published: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> bool:
    if published.keys() != expected.keys():
        return False
    for key, want in expected.items():
        got = published[key]
        if counts(got) != counts(want) or not rates_match(got, want):
            return False
    return True


class Topic:
    """A topic read from its beginning, without a group: ``records`` grows as ``read_until`` reads."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.records: list[ConsumerRecord[bytes, bytes]] = []

    async def read_until(self, done: Callable[[], bool], *, quiet_s: float, timeout_s: float) -> None:
        """Read until nothing came for ``quiet_s`` and ``done()`` holds, or ``timeout_s`` passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        last = loop.time()
        while loop.time() < deadline:
            for records in (await self.consumer.getmany(timeout_ms=250)).values():
                self.records.extend(records)
                last = loop.time()
            if loop.time() - last >= quiet_s and done():
                return

    def latest(self) -> dict[str, dict[str, Any]]:
        """The last figure of each key (what a reader of the compacted topic keeps)."""
        by_key = {r.key.decode(): RatingFigures.model_validate(json.loads(r.value)["data"]) for r in self.records}
        return {key: comparable(figure) for key, figure in by_key.items()}


@contextlib.asynccontextmanager
async def reading(bootstrap: str, name: str) -> AsyncIterator[Topic]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        for _ in range(100):
            await consumer.topics()
            if partitions := consumer.partitions_for_topic(name):
                consumer.assign([TopicPartition(name, p) for p in sorted(partitions)])
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"topic {name} does not exist")
        yield Topic(consumer)
    finally:
        await consumer.stop()


@contextlib.asynccontextmanager
async def running(processor: FiguresProcessor) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(processor.run())
    try:
        ready = asyncio.create_task(processor.ready.wait())
        done, _ = await asyncio.wait({task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
            raise AssertionError("the processor returned before it was ready")
        assert ready in done, "the processor got no partitions within 30 s"
        yield task
    finally:
        processor.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), 20)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 10)
            raise AssertionError("the processor did not stop within 20 s") from None


def signed(keyring: KeyRing, principal: str, payload: EventPayload, subject: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    wire = Envelope.wrap(payload, source=principal, subject=subject).to_wire()
    return record_of(keyring.signer(principal).sign_envelope(wire))


def case_accepted(case_id: str, name: str, id_number: str, phone: str) -> CaseAccepted:
    return CaseAccepted(
        case_id=case_id, bundle_code="B-01", bundle_name_zh="新生儿出生一件事", bundle_name_en="Newborn",
        catalogue_version="2026.1", lead_department="health",
        applicant=Applicant(name=name, id_type="resident_id", id_number=id_number, phone=phone),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.MAIL,
        items=(CaseItem(item_code="H-210", name_zh="出生医学证明", name_en="Birth certificate", department="health",
                        time_limit_days=5),),
        form={"applicant_name": name, "mobile": phone, "address": "长沙市芙蓉区五一大道1号"},
        accepted_at=FIRST_INSTANT, accepted_on=date(2026, 3, 5), window_id="w-01",
    )


async def test_published_figures_equal_a_recount_of_the_raw_events(
    kafka_bootstrap: str, keyring: KeyRing, keys_dir: Path, unique_name: str, tmp_path: Path
) -> None:
    ratings_topic = dataclasses.replace(RATING_EVENTS, name=f"test.{unique_name}.rating.events", partitions=3)
    cases_topic = dataclasses.replace(CASE_STREAM, name=f"test.{unique_name}.case.stream", partitions=3)
    figures_topic = dataclasses.replace(RATING_FIGURES, name=f"test.{unique_name}.rating.figures")
    settings = ExchangeSettings(kafka_bootstrap=kafka_bootstrap, data_dir=tmp_path, keys_dir=keys_dir,
                                topic_partitions=None)
    processor = FiguresProcessor(settings, keyring, keyring.signer("rating"), app_id=f"{unique_name}-figures",
                                 ratings=ratings_topic, cases=cases_topic, figures=figures_topic)
    events = draw(20260305, unique_name)
    rng = random.Random(7)
    expected = recount(events)
    assert len(events.ratings) > 250 and any(a.upheld for a in events.appeals)
    assert {k.split(":")[1] for k in expected if k.startswith("week:")} == {"2026-03-02", "2026-03-09"}

    producer = Producer(kafka_bootstrap, client_id=f"{unique_name}-producer")
    await producer.start()

    async def publish(topic: str, principal: str, payloads: list[Any], *, headers: bool = True) -> None:
        batch = []
        for payload in payloads:
            value, hdrs = signed(keyring, principal, payload, payload.case_id)
            batch.append((topic, payload.case_id, value, hdrs if headers else []))
        await producer.send_batch(batch)

    try:
        async with running(processor), reading(kafka_bootstrap, figures_topic.name) as figures:
            # Phase 1: clocks that stop before their ratings arrive, and events the figures must ignore.
            await publish(cases_topic.name, "supervision", events.early_clocks)
            await publish(cases_topic.name, "intake", [
                case_accepted(events.ratings[i].case_id, name, id_number, phone)
                for i, (name, id_number, phone) in enumerate(APPLICANTS)
            ])
            await publish(ratings_topic.name, "rating", [InvitationSent(
                invitation_id=f"inv-{i}", case_id=events.ratings[i].case_id, channel="mobile",
                touchpoints=(InvitedTouchpoint(touchpoint=Touchpoint.DELIVERY, department="police"),),
                invited_at=FIRST_INSTANT, text_zh=f"{name}您好，请对本次办理进行评价，回复至{phone}", text_en="Please rate",
            ) for i, (name, _, phone) in enumerate(APPLICANTS)])
            # Phase 2: the ratings, the appeal decisions, some of both again (as a relay re-sends them; without
            # headers, so they must be decoded to be recognised), and two records that can never be accepted.
            await publish(ratings_topic.name, "rating", events.ratings)
            await publish(ratings_topic.name, "rating", events.appeals)
            await publish(ratings_topic.name, "rating", [*rng.sample(events.ratings, 25), *rng.sample(events.appeals, 5)],
                          headers=False)
            await producer.send(ratings_topic.name, events.ratings[0].case_id, GARBAGE)
            forged = events.ratings[0].model_copy(update={"rating_id": "forged", "level": RatingLevel.VERY_DISSATISFIED})
            await publish(ratings_topic.name, "tests", [forged])  # validly signed, but not by rating
            await figures.read_until(lambda: bool(figures.records), quiet_s=2.0, timeout_s=30)
            before_late_clocks = figures.latest()
            # Phase 3: clocks that stop after their ratings were counted (pending → on time or late), some twice.
            await publish(cases_topic.name, "supervision", events.late_clocks)
            await publish(cases_topic.name, "supervision", rng.sample(events.early_clocks, 10))
            await figures.read_until(lambda: same(figures.latest(), expected), quiet_s=1.5, timeout_s=30)
        async with reading(kafka_bootstrap, dead_letter_topic(ratings_topic.name, processor.app_id).name) as dead:
            await dead.read_until(lambda: len(dead.records) >= 2, quiet_s=0.5, timeout_s=10)
    finally:
        await producer.stop()

    published = figures.latest()
    assert published.keys() == expected.keys()
    for key, want in expected.items():
        got = published[key]
        assert counts(got) == counts(want), key
        assert rates_match(got, want), (key, got, want)

    # Every record is a signed envelope from rating, keyed by its figure, versions growing per key.
    versions: dict[str, int] = {}
    for record in figures.records:
        envelope, wire = Envelope.from_bytes(record.value)
        keyring.verify_envelope(wire)
        assert (envelope.source, envelope.type) == ("rating", "rating.figures.updated")
        payload = RatingFigures.model_validate(envelope.data)
        key = record.key.decode()
        assert key == envelope.subject == f"{payload.period}:{payload.period_start}:{payload.by}:{payload.key}"
        assert payload.version >= versions.get(key, 0)
        versions[key] = payload.version

    # An upheld appeal's rating is gone: against the same events without that appeal, exactly its figures
    # lost it from their levels and total and count it as removed.
    removed = next(a for a in events.appeals if a.upheld)
    gone = next(r for r in events.ratings if r.rating_id == removed.rating_id)
    kept = recount(dataclasses.replace(events, appeals=[a for a in events.appeals if a is not removed]))
    changed = {key for key in expected if counts(published[key]) != counts(kept[key])}
    assert changed == set(figures_of(gone))
    for key in changed:
        assert published[key]["total"] == kept[key]["total"] - 1
        assert published[key][gone.level.value] == kept[key][gone.level.value] - 1
        assert published[key]["removed"] == kept[key]["removed"] + 1

    # The clocks that stopped after their ratings were counted moved ratings from pending to on time or late.
    def timed(figure: dict[str, Any]) -> int:
        return int(figure["on_time_total"] + figure["late_total"])

    assert any(timed(before) < timed(published[key]) for key, before in before_late_clocks.items())

    # No personal data on the analytics topic. Random UUIDs and signatures can hold digit runs, so the
    # patterns are searched in everything else; the literal values are searched everywhere.
    for record in figures.records:
        wire = json.loads(record.value)
        visible = json.dumps({k: v for k, v in wire.items() if k not in ("id", "correlation_id", "signature")},
                             ensure_ascii=False) + record.key.decode()
        assert not ID_NUMBER.search(visible) and not MOBILE.search(visible), visible
        raw = record.value.decode() + "".join(v.decode(errors="replace") for _, v in record.headers)
        for name, id_number, phone in APPLICANTS:
            assert name not in raw and id_number not in raw and phone not in raw

    # The two bad records went to the processor's dead-letter topic, with the reason; nothing else did.
    assert processor.dead_lettered == 2
    assert len(dead.records) == 2
    by_value = {r.value: dict(r.headers) for r in dead.records}
    garbage = by_value[GARBAGE]
    assert garbage["x-error-type"] == b"Malformed"
    assert garbage["x-consumer"] == processor.app_id.encode()
    assert garbage["x-original-topic"] == ratings_topic.name.encode()
    assert [h["x-error-type"] for v, h in by_value.items() if b"forged" in v] == [b"NotPermitted"]
