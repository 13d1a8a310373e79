"""Publishing rights on the real broker (越权发布): every event type, signed validly by a principal that may not
publish it, is dead-lettered unapplied with the reason ``security`` and reported on ``exchange.security.events``;
the same event from its rightful publisher is applied. One consumer runner handles every type, as the most
exposed consumer would."""

from __future__ import annotations

import json

import pytest

from contracts.envelope import Envelope
from contracts.examples import example
from contracts.publishing import PUBLISHERS, PublisherKind
from contracts.registry import PAYLOADS
from contracts.topics import SECURITY_EVENTS, dead_letter_topic
from exchange.dead_letters import DeadLetterQuery, DeadLetterStore
from exchange.kafka.consumer import ConsumerRunner

pytestmark = pytest.mark.integration

PAYLOAD_OF = {p.event_type: p for p in PAYLOADS}
EVENT_TYPES = sorted(PAYLOAD_OF)


def rightful(event_type: str, data: dict[str, object]) -> str:
    rule = PUBLISHERS[event_type]
    return rule.allowed(data)[0]


def wrong(event_type: str, data: dict[str, object]) -> str:
    """A key holder that may not publish it: a department for the services' facts (a department's key minting a
    task's conclusion), another department for a department's answer, another registry for a registry's."""
    rule = PUBLISHERS[event_type]
    if rule.kind is PublisherKind.DEPARTMENT:
        return "dept.civil-affairs" if data["department"] != "civil-affairs" else "dept.police"
    if rule.kind is PublisherKind.REGISTRY:
        return "registry.enterprise" if data["registry"] != "enterprise" else "registry.population"
    return "dept.police"


async def test_every_event_type_from_a_wrong_publisher_is_refused_and_reported(
    bus, keyring, plumbing_db, effect_handler, effects
) -> None:
    topic, group = bus.topic("rights", event_types=tuple(EVENT_TYPES)), bus.group("rights")
    await bus.create(topic, SECURITY_EVENTS)

    def signed(event_type: str, source: str) -> dict[str, object]:
        payload = example(PAYLOAD_OF[event_type])
        wire = Envelope.wrap(payload, source=source, subject=f"case-{event_type}").to_wire()
        return keyring.signer(source).sign_envelope(wire)

    forged, genuine = [], []
    for event_type in EVENT_TYPES:
        data = example(PAYLOAD_OF[event_type]).model_dump(mode="json")
        forged.append(signed(event_type, wrong(event_type, data)))
        genuine.append(signed(event_type, rightful(event_type, data)))
    for wire in [*forged, *genuine]:
        await bus.send(topic.name, str(wire["subject"]), json.dumps(wire).encode())

    runner = ConsumerRunner(group=group, topics=[topic], settings=bus.settings(), keyring=keyring,
                            producer=bus.producer, database=plumbing_db,
                            handlers=dict.fromkeys(EVENT_TYPES, effect_handler), reporter=keyring.signer("dispatch"))

    async def all_genuine_applied() -> bool:
        return len(await effects(plumbing_db)) == len(genuine)

    async with bus.running(runner):
        await bus.wait_until(all_genuine_applied, what="every genuine event applied", timeout_s=60)

    assert await effects(plumbing_db) == {str(w["id"]): 1 for w in genuine}  # no forged one had an effect
    letters = await bus.read(dead_letter_topic(topic.name, group).name, len(forged))
    assert [json.loads(r.value)["id"] for r in letters] == [w["id"] for w in forged]
    for record, wire in zip(letters, forged, strict=True):
        headers = dict(record.headers)
        assert headers["x-error-type"] == b"NotPermitted"
        assert headers["x-security"].decode() == (
            f"{wire['source']!r} may not publish {wire['type']}: only "
            f"{' or '.join(PUBLISHERS[str(wire['type'])].allowed(wire['data']))} may")  # type: ignore[arg-type]
    stored, total = await DeadLetterStore(plumbing_db).find(DeadLetterQuery(group=group), limit=100)
    assert total == len(forged) and {e.failure_class for e in stored} == {"security"}

    reports = [json.loads(r.value) for r in await bus.read(SECURITY_EVENTS.name, len(forged), timeout_s=30)]
    ours = [r for r in reports if r["data"]["consumer"] == group]
    assert [r["data"]["claimed_event_id"] for r in ours] == [w["id"] for w in forged]
    assert {r["source"] for r in ours} == {"dispatch"} and all(r["type"] == "exchange.security.refused" for r in ours)
    for report in ours:
        keyring.verify_envelope(report)  # signed by the service that refused it
