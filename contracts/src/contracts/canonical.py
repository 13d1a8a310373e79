"""Canonical JSON (规范化JSON): RFC 8785, the JSON Canonicalization Scheme (JCS), the one form OneThing signs and hashes.

Every signature and every digest in the system is taken over these bytes: envelopes (交换信封) and their hash chain,
the signed key list, e-licence proofs (``eddsa-jcs-2022``), the QR payload, request fingerprints. JCS is: no
whitespace; strings in UTF-8, escaping only ``"``, ``\\`` and control characters (``\\b \\f \\n \\r \\t`` short,
the rest as lowercase ``\\u00xx``); numbers as ECMAScript prints them; object keys sorted by their UTF-16 code units.

orjson with sorted keys already writes strings, integers and literals exactly so, about seven times faster than
``json.dumps``; what it does differently is mended on the way in: a float is handed over as an
:class:`orjson.Fragment` of its ECMAScript form (``1.0`` → ``1``, ``1e-07`` → ``1e-7``), and an object with a
key outside the Basic Multilingual Plane (where code-point order and UTF-16 order differ) is written in UTF-16
order by hand. Most values (every envelope a platform service writes) hold neither: a look over the value without
building anything (:func:`_as_orjson_writes`, under half of what mending it costs) lets those go to orjson
as they are. ``tests/contract/test_canonical_json.py`` holds it to the reference implementation (the ``rfc8785``
package) on arbitrary values.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

__all__ = ["canonical_json", "ecmascript_number"]

_SORTED = orjson.OPT_SORT_KEYS


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value`` (dicts, lists, strings, integers within 64 bits, finite floats, bools, None).

    :class:`ValueError` for what JCS cannot represent: NaN, infinities, integers beyond 64 bits, lone surrogates.
    """
    try:
        return orjson.dumps(value if _as_orjson_writes(value) else _mended(value), option=_SORTED)
    except orjson.JSONEncodeError as exc:
        raise ValueError(f"not canonicalisable as JSON: {exc}") from exc


_LEAVES = frozenset({str, int, bool, type(None)})  # written by orjson exactly as JCS writes them


def _as_orjson_writes(value: Any) -> bool:
    """Whether orjson with sorted keys already writes ``value`` as JCS: no float anywhere (NaN and infinities
    included, which orjson would write as ``null``), no object key beyond the Basic Multilingual Plane. A key
    that is not a string is left to orjson (and :func:`_mended`) to refuse. Each container's members are sorted
    by type in C (``set(map(type, …))``): most are strings, and only containers are looked into."""
    pending = [value]
    while pending:
        item = pending.pop()
        children: Any
        if isinstance(item, dict):
            try:
                keys = "".join(item)
            except TypeError:
                return False
            if not keys.isascii() and max(keys) > "\uffff":
                return False
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        elif isinstance(item, float):
            return False
        else:
            continue
        kinds = set(map(type, children))
        if kinds <= _LEAVES:
            continue
        if float in kinds:
            return False
        pending.extend(child for child in children if type(child) not in _LEAVES)
    return True


def _mended(value: Any) -> Any:
    """``value`` with what orjson would write otherwise than JCS replaced (a new structure only where needed)."""
    if isinstance(value, float):
        return orjson.Fragment(ecmascript_number(value).encode())
    if isinstance(value, dict):
        items = {key: _mended(item) for key, item in value.items()}
        if any(not key.isascii() and max(key) > "\uffff" for key in items if isinstance(key, str)):
            return _utf16_ordered(items)
        return items
    if isinstance(value, list | tuple):
        return [_mended(item) for item in value]
    return value


def _utf16_ordered(items: dict[str, Any]) -> orjson.Fragment:
    """An object whose keys reach beyond the BMP, written member by member in UTF-16 code-unit order (JCS §3.2.3)."""
    members = (orjson.dumps(key) + b":" + orjson.dumps(item, option=_SORTED)
               for key, item in sorted(items.items(), key=lambda member: member[0].encode("utf-16-be")))
    return orjson.Fragment(b"{" + b",".join(members) + b"}")


def ecmascript_number(number: float) -> str:
    """``Number.prototype.toString`` of a finite double (ECMA-262 §6.1.6.1.20), which JCS prescribes for numbers.

    Python's ``repr`` already gives the shortest digits that round-trip; only where the point goes and the
    exponent's spelling differ.
    """
    if not math.isfinite(number):
        raise ValueError(f"JSON has no {number!r}")
    if number == 0:
        return "0"  # -0 too
    if number < 0:
        return "-" + ecmascript_number(-number)
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)  # the decimal point sits after this many of ``digits``
    significant = digits.lstrip("0")
    point -= len(digits) - len(significant)
    significant = significant.rstrip("0")
    k, n = len(significant), point
    if k <= n <= 21:
        return significant + "0" * (n - k)
    if 0 < n <= 21:
        return significant[:n] + "." + significant[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + significant
    e = n - 1
    head = significant[0] if k == 1 else significant[0] + "." + significant[1:]
    return f"{head}e{'+' if e > 0 else '-'}{abs(e)}"
