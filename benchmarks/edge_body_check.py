"""What the HTTP edge's check of a JSON body costs (exchange.http_edge), before and after step 18's change.

    .venv/bin/python benchmarks/edge_body_check.py

Before: the body parsed and every value walked (``json_problems``). After: ``_json_body_problems``, which walks only
when a byte or a number says a refused value may be there (``contracts.text.loads_checked``). The body is a P-01
application as ``tests/integration/test_http_edges.py`` builds it, compact UTF-8 as httpx and browsers send it.
A measurement, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import importlib
import json
import sys
import timeit
from pathlib import Path

from contracts.text import json_problems
from exchange.http_edge import _json_body_problems

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
p01_application = importlib.import_module("test_http_edges").p01_application  # the edge tests' own application


def main() -> None:
    body = json.dumps(p01_application("王芳"), ensure_ascii=False, separators=(",", ":")).encode()
    ways = {"walked whole": lambda: list(json_problems(json.loads(body), "body")),
            "checked (loads_checked)": lambda: _json_body_problems(body)}
    print(f"a P-01 application, {len(body)} bytes")
    for name, check in ways.items():
        best = min(timeit.repeat(check, number=20_000, repeat=5)) / 20_000
        print(f"{name:<24} {best * 1e6:6.1f} µs per body (best of 5 × 20,000)")


if __name__ == "__main__":
    main()
