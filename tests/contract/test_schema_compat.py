"""Payload schemas evolve compatibly (向后兼容): the current schema never breaks the published snapshot.

Breaking, within one ``(type, version)``: a property removed, a property newly required, a property's
type changed (including its format, e.g. date → date-time), an enum value removed (retained events would
no longer decode). A breaking change needs a new version module plus an upcaster in contracts.registry.

The snapshot is ``contracts/schemas/<type>.v<n>.json`` as committed (git ``HEAD``), and as in the working
tree, so regenerating the file with ``make docs`` does not hide an in-place break.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from contracts import publish
from contracts.envelope import Envelope
from contracts.registry import PAYLOADS

Schema = dict[str, Any]
ROOT = publish.REPO_ROOT


# ---------------------------------------------------------------------------------------------------
# The comparison


def _resolve(node: Schema, root: Schema) -> Schema:
    seen: set[str] = set()
    while True:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref not in seen:
            seen.add(ref)
            node = root.get("$defs", {})[ref.removeprefix("#/$defs/")]
        elif len(node.get("allOf", ())) == 1 and "properties" not in node:
            node = node["allOf"][0]  # pydantic's single-ref wrapper
        else:
            return node


def _branches(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    members = node.get("anyOf") or node.get("oneOf")
    if members:
        return [b for m in members for b in _branches(m, root)]
    return [node]


_PY_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}


def _type_tokens(branch: Schema) -> set[str]:
    raw = branch.get("type")
    if raw is None and "enum" in branch:
        raw = sorted({_PY_TYPES.get(type(v), "any") for v in branch["enum"]})
    if raw is None and "const" in branch:
        raw = _PY_TYPES.get(type(branch["const"]), "any")
    if raw is None:
        raw = "object" if "properties" in branch else "any"
    names = [raw] if isinstance(raw, str) else list(raw)
    fmt = branch.get("format")
    return {f"{name}:{fmt}" if fmt and name == "string" else name for name in names}


def _types(node: Schema, root: Schema) -> set[str]:
    return {token for branch in _branches(node, root) for token in _type_tokens(branch)}


def _enum_values(node: Schema, root: Schema) -> set[Any] | None:
    values: set[Any] = set()
    for branch in _branches(node, root):
        if "enum" in branch:
            values.update(branch["enum"])
        elif "const" in branch:
            values.add(branch["const"])
        elif branch.get("type") != "null":
            return None  # an unconstrained branch: no closed set of values
    return values or None


def _single(node: Schema, root: Schema, kind: str) -> Schema | None:
    found = [b for b in _branches(node, root) if kind in _type_tokens(b)]
    return found[0] if len(found) == 1 else None


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every way ``new`` breaks ``old`` (both pydantic-style JSON Schemas with local ``$defs``)."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()

    def compare(o: Schema, n: Schema, path: str) -> None:
        if (id(o), id(n)) in seen:
            return
        seen.add((id(o), id(n)))
        old_types, new_types = _types(o, old), _types(n, new)
        if old_types != new_types:
            found.append(f"{path}: type changed {sorted(old_types)} -> {sorted(new_types)}")
            return
        old_enum, new_enum = _enum_values(o, old), _enum_values(n, new)
        if old_enum is not None and new_enum is not None and old_enum - new_enum:
            found.append(f"{path}: enum values removed {sorted(map(str, old_enum - new_enum))}")
        oo, no = _single(o, old, "object"), _single(n, new, "object")
        if oo is not None and no is not None:
            old_props, new_props = oo.get("properties", {}), no.get("properties", {})
            for name in old_props:
                if name not in new_props:
                    found.append(f"{path}.{name}: property removed")
                else:
                    compare(old_props[name], new_props[name], f"{path}.{name}")
            for name in sorted(set(no.get("required", ())) - set(oo.get("required", ()))):
                found.append(f"{path}.{name}: property newly required")
            oa, na = oo.get("additionalProperties"), no.get("additionalProperties")
            if isinstance(oa, dict) and isinstance(na, dict):
                compare(oa, na, f"{path}.*")
        oarr, narr = _single(o, old, "array"), _single(n, new, "array")
        if oarr is not None and narr is not None:
            oi, ni = oarr.get("items"), narr.get("items")
            if isinstance(oi, dict) and isinstance(ni, dict):
                compare(oi, ni, f"{path}[]")

    compare(old, new, "$")
    return found


# ---------------------------------------------------------------------------------------------------
# The comparison, on hand-made schemas

BASE: Schema = {
    "$defs": {
        "Level": {"type": "string", "enum": ["good", "bad"]},
        "Part": {
            "type": "object",
            "properties": {"code": {"type": "string"}},
            "required": ["code"],
        },
    },
    "type": "object",
    "properties": {
        "case_id": {"type": "string"},
        "count": {"type": "integer"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "on": {"type": "string", "format": "date"},
        "level": {"$ref": "#/$defs/Level"},
        "parts": {"type": "array", "items": {"$ref": "#/$defs/Part"}},
    },
    "required": ["case_id", "count", "on", "level", "parts"],
}


def _changed(**edits: Any) -> Schema:
    schema: Schema = json.loads(json.dumps(BASE))
    for dotted, value in edits.items():
        *parents, leaf = dotted.split("__")
        node = schema
        for part in parents:
            node = node[part]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    return schema


def test_identical_schemas_are_compatible() -> None:
    assert breaking_changes(BASE, _changed()) == []


def test_added_optional_property_is_allowed() -> None:
    new = _changed(properties__channel={"anyOf": [{"type": "string"}, {"type": "null"}], "default": None})
    assert breaking_changes(BASE, new) == []


def test_added_enum_value_is_allowed() -> None:
    assert breaking_changes(BASE, _changed(**{"$defs__Level__enum": ["good", "bad", "ugly"]})) == []


def test_removed_property_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(properties__count=None)) == ["$.count: property removed"]


def test_removed_nested_property_is_breaking() -> None:
    new = _changed(**{"$defs__Part__properties": {}, "$defs__Part__required": []})
    assert breaking_changes(BASE, new) == ["$.parts[].code: property removed"]


def test_newly_required_property_is_breaking() -> None:
    new = _changed(required=[*BASE["required"], "note"])
    assert breaking_changes(BASE, new) == ["$.note: property newly required"]


def test_added_required_property_is_breaking() -> None:
    new = _changed(properties__extra={"type": "string"}, required=[*BASE["required"], "extra"])
    assert breaking_changes(BASE, new) == ["$.extra: property newly required"]


def test_changed_type_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(properties__count={"type": "string"})) == [
        "$.count: type changed ['integer'] -> ['string']"
    ]


def test_changed_format_is_breaking() -> None:
    new = _changed(properties__on={"type": "string", "format": "date-time"})
    assert breaking_changes(BASE, new) == ["$.on: type changed ['string:date'] -> ['string:date-time']"]


def test_made_nullable_is_breaking() -> None:
    new = _changed(properties__count={"anyOf": [{"type": "integer"}, {"type": "null"}]})
    assert breaking_changes(BASE, new) == ["$.count: type changed ['integer'] -> ['integer', 'null']"]


def test_removed_enum_value_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(**{"$defs__Level__enum": ["good"]})) == [
        "$.level: enum values removed ['bad']"
    ]


# ---------------------------------------------------------------------------------------------------
# The real payloads against their snapshots


def _git(*args: str) -> subprocess.CompletedProcess[str] | None:
    git = shutil.which("git")
    if git is None:
        return None
    result = subprocess.run([git, "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
    return result if result.returncode == 0 else None


def _snapshots(rel: Path) -> list[tuple[str, Schema]]:
    found: list[tuple[str, Schema]] = []
    shown = _git("show", f"HEAD:{rel.as_posix()}")
    if shown is not None:
        found.append(("git HEAD", json.loads(shown.stdout)))
    if (ROOT / rel).is_file():
        found.append(("working tree", json.loads((ROOT / rel).read_text(encoding="utf-8"))))
    return found


CASES = [(publish.schema_path(cls), cls.model_json_schema) for cls in PAYLOADS]
CASES.append((publish.ENVELOPE_SCHEMA_PATH, Envelope.model_json_schema))


@pytest.mark.parametrize(("rel", "current"), CASES, ids=[rel.stem for rel, _ in CASES])
def test_current_schema_does_not_break_snapshot(rel: Path, current: Any) -> None:
    snapshots = _snapshots(rel)
    if not snapshots:
        pytest.skip(f"{rel} has no snapshot yet (new payload version); `make docs` creates it")
    new = current()
    for origin, old in snapshots:
        breaches = breaking_changes(old, new)
        assert not breaches, (
            f"{rel.stem}: breaking change against the {origin} snapshot {rel}:\n  "
            + "\n  ".join(breaches)
            + "\nAdd a new version module (v2) and an upcaster in contracts.registry instead."
        )


def test_no_published_payload_version_disappears() -> None:
    listed = _git("ls-tree", "--name-only", "HEAD", f"{publish.SCHEMA_DIR.as_posix()}/")
    if listed is None:
        pytest.skip("no git HEAD to compare with")
    published = {Path(line) for line in listed.stdout.splitlines() if line.endswith(".json")}
    gone = sorted(p.as_posix() for p in published - set(publish.render_all()))
    assert not gone, f"a type string is forever; these published payload versions vanished: {gone}"
