"""What canonical JSON costs (规范化JSON开销) on the envelopes a bench wrote: per envelope, in microseconds.

    .venv/bin/onething bench --duration 10 --warmup 5      # leaves its services' databases in .onething/bench
    .venv/bin/python benchmarks/canonical_cost.py [--data-dir .onething/bench] [--rounds 5]

Reads the envelopes of every service's outbox (as the relay signs them), then times, over all of them:
``contracts.canonical.canonical_json`` (the one every signature and digest is taken over), the look that decides
whether a value needs mending (``_as_orjson_writes``), mending every value as before docs/performance.md step 24
(``orjson.dumps(_mended(value))``), and orjson alone with sorted keys (the floor). Prints the best of ``--rounds``.
A measurement, not a test: it asserts only that both ways give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from contracts.canonical import _as_orjson_writes, _mended, canonical_json


def _envelopes(data_dir: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for database in sorted(data_dir.glob("*.db")):
        with sqlite3.connect(database) as connection:
            if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").fetchone() is None:
                continue
            found += [json.loads(envelope) for (envelope,) in connection.execute("SELECT envelope FROM outbox")]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".onething/bench"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    envelopes = _envelopes(args.data_dir)
    if not envelopes:
        raise SystemExit(f"no outbox envelopes under {args.data_dir}: run `onething bench` first")

    def mended_always(value: Any) -> bytes:
        return orjson.dumps(_mended(value), option=orjson.OPT_SORT_KEYS)

    assert all(canonical_json(e) == mended_always(e) for e in envelopes)
    size = sum(len(canonical_json(e)) for e in envelopes) / len(envelopes)
    as_is = sum(map(_as_orjson_writes, envelopes))
    print(f"{len(envelopes)} envelopes, {size:.0f} bytes each on average, {as_is} needing no mending")
    ways: list[tuple[str, Callable[[Any], object]]] = [
        ("canonical_json", canonical_json),
        ("the look (_as_orjson_writes)", _as_orjson_writes),
        ("mending every value (before step 24)", mended_always),
        ("orjson alone, sorted keys", lambda value: orjson.dumps(value, option=orjson.OPT_SORT_KEYS)),
    ]
    for label, way in ways:
        def each(way: Callable[[Any], object] = way) -> None:
            for envelope in envelopes:
                way(envelope)

        best = min(timeit.repeat(each, number=1, repeat=args.rounds))
        print(f"{label:40s} {best / len(envelopes) * 1e6:7.1f} µs per envelope")


if __name__ == "__main__":
    main()
