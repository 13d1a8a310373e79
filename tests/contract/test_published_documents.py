"""The generated contract documents (JSON Schemas, AsyncAPI, topic list) are in step with the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from contracts import publish
from contracts.registry import PAYLOADS
from contracts.topics import ALL_TOPICS

ROOT = publish.REPO_ROOT
REGENERATE = "run `make docs` (python -m contracts.publish) and commit the result"


def _load_yaml(rel: Path) -> Any:
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


def _asyncapi() -> dict[str, Any]:
    doc = _load_yaml(publish.ASYNCAPI_PATH)
    assert isinstance(doc, dict)
    return doc


def _resolve_pointer(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local refs expected, got {ref!r}"
    node: Any = doc
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"dangling $ref {ref!r} (at {part!r})"
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        for value in node.values():
            found.extend(_refs(value))
        return found
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def test_committed_documents_match_code() -> None:
    drifted: list[str] = []
    for rel, text in sorted(publish.render_all().items()):
        path = ROOT / rel
        if not path.is_file():
            drifted.append(f"missing: {rel.as_posix()}")
        elif path.read_bytes() != text.encode():
            drifted.append(f"differs: {rel.as_posix()}")
    assert not drifted, f"contract documents drifted from the code; {REGENERATE}:\n" + "\n".join(drifted)


def test_no_stale_schema_files() -> None:
    stale = [p for p in publish.out_of_date() if p.startswith("stale:")]
    assert not stale, f"schema files without a registered payload; {REGENERATE}:\n" + "\n".join(stale)


def test_render_is_deterministic() -> None:
    assert publish.render_all() == publish.render_all()


def test_asyncapi_version_and_info() -> None:
    doc = _asyncapi()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] == "OneThing exchange bus (一件事一次办 数据交换总线)"
    assert doc["info"]["version"] == "1.0.0"


def test_one_channel_per_registry_topic() -> None:
    channels = _asyncapi()["channels"]
    assert sorted(channels) == sorted(t.name for t in ALL_TOPICS)
    for spec in ALL_TOPICS:
        channel = channels[spec.name]
        assert channel["address"] == spec.name
        assert channel["x-kafka-key"] == spec.key
        kafka = channel["bindings"]["kafka"]
        assert kafka["partitions"] == spec.partitions
        configs = spec.kafka_configs()
        assert kafka["topicConfiguration"]["cleanup.policy"] == configs["cleanup.policy"].split(",")
        assert kafka["topicConfiguration"]["retention.ms"] == int(configs["retention.ms"])


def test_every_topic_event_type_has_message_and_schema_file() -> None:
    doc = _asyncapi()
    messages = doc["components"]["messages"]
    for spec in ALL_TOPICS:
        channel_messages = doc["channels"][spec.name]["messages"]
        for event_type in spec.event_types:
            versions = [p for p in PAYLOADS if p.event_type == event_type]
            assert versions, f"{spec.name}: {event_type} has no registered payload"
            for cls in versions:
                key = publish.message_key(cls)
                assert key in channel_messages, f"{spec.name}: no message {key}"
                assert key in messages, f"components.messages lacks {key}"
                assert messages[key]["x-event-type"] == event_type
                assert (ROOT / publish.schema_path(cls)).is_file(), f"no schema file for {key}"


def test_every_registered_payload_travels_on_some_topic() -> None:
    carried = {t for spec in ALL_TOPICS for t in spec.event_types}
    lost = [p.event_type for p in PAYLOADS if p.event_type not in carried]
    assert not lost, f"registered payloads on no topic: {lost}"


def test_every_ref_in_asyncapi_resolves() -> None:
    doc = _asyncapi()
    refs = _refs(doc)
    assert refs
    for ref in refs:
        _resolve_pointer(doc, ref)
    assert not any("$defs" in ref for ref in refs), "pydantic #/$defs refs must be rewritten"


def test_operations_name_the_producing_service() -> None:
    doc = _asyncapi()
    sends = {k: op for k, op in doc["operations"].items() if op["action"] == "send"}
    receives = {k: op for k, op in doc["operations"].items() if op["action"] == "receive"}
    assert {op["channel"]["$ref"] for op in receives.values()} == {f"#/channels/{t.name}" for t in ALL_TOPICS}
    sent: set[tuple[str, str]] = set()
    for op in sends.values():
        channel = _resolve_pointer(doc, op["channel"]["$ref"])
        for ref in op["messages"]:
            assert ref["$ref"].startswith(op["channel"]["$ref"] + "/messages/")
            message = _resolve_pointer(doc, _resolve_pointer(doc, ref["$ref"])["$ref"])
            assert message["x-event-type"].split(".")[0] == op["x-producer"]
            sent.add((channel["address"], message["x-event-type"]))
    expected = {(spec.name, t) for spec in ALL_TOPICS for t in spec.event_types}
    assert sent == expected


def test_topics_yaml_lists_every_topic() -> None:
    doc = _load_yaml(publish.TOPICS_PATH)
    listed = {t["name"]: t for t in doc["topics"]}
    assert sorted(listed) == sorted(t.name for t in ALL_TOPICS)
    for spec in ALL_TOPICS:
        assert listed[spec.name]["configs"] == spec.kafka_configs()
        assert listed[spec.name]["partitions"] == spec.partitions
        assert listed[spec.name]["key"] == spec.key
    assert doc["dead_letter_topics"]["name_pattern"] == "<topic>.dlq.<consumer-group>"


def test_analysts_read_no_restricted_topic() -> None:
    """The tables analysts get are of topics without personal data (受限主题 are read by one service each)."""
    from contracts.analyst_tables import ANALYST_TOPICS
    from contracts.topics import topic

    assert all(not topic(name).restricted for name in ANALYST_TOPICS)
