"""Canonical JSON (RFC 8785, JCS) for the documents this package signs.

The documents hold strings, integers, booleans, null, lists and objects with ASCII keys, never floats;
for that subset ``json.dumps`` with sorted keys, no whitespace and no ASCII escaping produces exactly the
JCS bytes (JCS sorts keys by UTF-16 code units, which equals code-point order for ASCII keys). It is also
several times faster than a general JCS implementation, and verification speed matters here.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["canonical_json", "check_signable"]


def canonical_json(value: Any) -> bytes:
    """The JCS bytes of ``value`` (see the module note for the subset)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def check_signable(value: Any, path: str = "$") -> None:
    """Refuse what the fast canonical form would not encode as JCS: floats and non-ASCII keys."""
    if isinstance(value, float):
        raise ValueError(f"{path}: floats are not signed (JCS number formatting); use a string or an integer")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise ValueError(f"{path}: object keys must be ASCII strings, got {key!r}")
            check_signable(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_signable(item, f"{path}[{index}]")
