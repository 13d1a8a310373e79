"""The topics analysts read, as tables (分析数据表): ``docs/analytics-tables.md``, generated with the other published
documents (:func:`contracts.publish.render_all`) so it cannot drift from the payloads.

Analysts read the topics that carry no personal data (not 受限): the case stream, rating's events and the two
figures topics (``exchange.dept.results`` and ``exchange.security.events`` are the platform's own traffic). For
each, every event type it carries, at its newest version, with one row per field of its ``data``: name, type,
whether every event has it, and what it means (the payload's own field descriptions, Chinese first).
"""

from __future__ import annotations

from typing import Any

from contracts.envelope import EventPayload
from contracts.registry import PAYLOADS
from contracts.topics import ALL_TOPICS, TopicSpec

__all__ = ["ANALYST_TOPICS", "TABLES_PATH", "analyst_tables"]

TABLES_PATH = "docs/analytics-tables.md"
ANALYST_TOPICS = ("onething.case.stream", "rating.rating.events", "analytics.supervision.figures",
                  "analytics.rating.figures")

_EXPORT = """\
Each topic exports to one table with `onething export TOPIC --out FILE [--format parquet|jsonl]`, one row per
event (`docs/observability.md`, "Analysts"). The columns every row has:

| column | type | meaning |
|---|---|---|
| `topic`, `partition`, `offset` | text, integer, integer | where the record is on the bus |
| `timestamp` | timestamp (UTC) | when the broker stored it |
| `event_id` | text (UUID) | the event's id: the same event read twice has the same id |
| `type`, `version` | text, integer | the event type and its version (the sections below) |
| `source` | text | the service that published it (its signing principal) |
| `case_id` | text | the case (办件) it is about; the record key on the case stream |
| `time` | timestamp (UTC) | when the event happened at its source |
| `correlation_id`, `causation_id` | text | the case's conversation, and the event that caused this one |
| `verdict` | text | `signed-ok`, `SIGNATURE-BAD`, `unchecked` or `undecodable` |
| `data` | JSON (object; a JSON string in Parquet) | the payload: its fields are tabled below, by `type` |

In DuckDB: `SELECT type, data->>'$.department' AS department, count(*) FROM 'case-stream.parquet' GROUP BY ALL`.
ID, mobile and bank-card numbers in `data` are masked by the export; these topics carry no names or addresses.
"""


def _newest(event_type: str) -> type[EventPayload]:
    return max((p for p in PAYLOADS if p.event_type == event_type), key=lambda p: p.event_version)


def _type_of(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """A field's JSON Schema as a short type for people: ``text (date)``, ``integer ≥ 0``, ``list of text``…"""
    if "$ref" in schema:
        target = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
        if "enum" in target:
            return "one of " + ", ".join(f"`{v}`" for v in target["enum"])
        return f"object ({schema['$ref'].rsplit('/', 1)[-1]})"
    if "anyOf" in schema:
        kinds = [_type_of(s, defs) for s in schema["anyOf"] if s.get("type") != "null"]
        optional = any(s.get("type") == "null" for s in schema["anyOf"])
        return " or ".join(kinds) + (" or none" if optional else "")
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type")
    if kind == "array":
        return "list of " + _type_of(schema.get("items", {}), defs)
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"map of text to {_type_of(extra, defs)}" if isinstance(extra, dict) else "object"
    name = {"string": "text", "integer": "integer", "number": "number", "boolean": "true/false"}.get(str(kind), "any")
    if "format" in schema:
        name += f" ({schema['format']})"
    if "minimum" in schema:
        name += f" ≥ {schema['minimum']}"
    return name


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _fields(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | always | meaning |", "|---|---|---|---|"]
    for name, field in schema.get("properties", {}).items():
        meaning = field.get("description") or (defs.get(field.get("$ref", "").rsplit("/", 1)[-1], {})
                                               .get("description", "")).split("\n\n")[0]
        if field.get("deprecated"):
            meaning = f"(deprecated) {meaning}"
        lines.append(f"| `{name}` | {_cell(_type_of(field, defs))} | {'yes' if name in required else 'no'} | "
                     f"{_cell(meaning)} |")
    return [*lines, ""]


def _event_table(cls: type[EventPayload]) -> list[str]:
    schema = cls.model_json_schema()
    summary = (cls.__doc__ or "").strip().split("\n\n")[0]
    return [f"### `{cls.event_type}` v{cls.event_version}", "", _cell(summary), "",
            *_fields(schema, schema.get("$defs", {}))]


def _topic_section(topic: TopicSpec) -> list[str]:
    lines = [f"## `{topic.name}`", "", f"{topic.description_zh} {topic.description_en}", "",
             f"Record key: `{topic.key}`. Kept: " + ("forever" if topic.retention_ms is None else
                                                      f"{topic.retention_ms // 86_400_000} days") + ".", ""]
    objects: dict[str, Any] = {}
    for event_type in topic.event_types:
        cls = _newest(event_type)
        lines += _event_table(cls)
        objects.update(cls.model_json_schema().get("$defs", {}))
    nested = {name: schema for name, schema in sorted(objects.items()) if "properties" in schema}
    if nested:
        lines += [f"### Objects inside `data` on `{topic.name}`", ""]
        for name, schema in nested.items():
            summary = _cell((schema.get("description") or "").split("\n\n")[0])
            lines += [f"#### {name}", "", *([summary, ""] if summary else []), *_fields(schema, objects)]
    return lines


def analyst_tables(generated_note: str) -> str:
    """The whole document."""
    by_name = {t.name: t for t in ALL_TOPICS}
    lines = ["# 分析数据表 Tables for analysts", "", f"<!-- {generated_note} -->", "",
             "分析人员读取不含个人信息的主题：办件事件流、好差评事件、效能与满意度统计。每个主题导出为一张表，每个事件一行；"
             "下面逐一列出每种事件 `data` 中的字段。 Analysts read the topics without personal data. Each exports to one "
             "table, one row per event; below, every event type's `data` fields.", "", _EXPORT]
    lines.append("Contents: " + ", ".join(f"[`{name}`](#{name.replace('.', '')})" for name in ANALYST_TOPICS))
    lines.append("")
    for name in ANALYST_TOPICS:
        lines += _topic_section(by_name[name])
    return "\n".join(lines).rstrip() + "\n"
