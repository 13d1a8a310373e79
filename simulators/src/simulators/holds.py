"""压件 Holds: cases whose handling the simulated departments sit on, so a demo or test can make a case run past
its statutory limit. A held handling request is receipted at once, taken off the bus, and answered when the hold
is released.

Durable: the held cases and the requests parked under them are kept in a small JSON file in the data dir, written
atomically (a temporary file renamed over the old one) on every change, so a simulator restart keeps them. A
request parked twice (the platform re-sent it) is kept once.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope

__all__ = ["Holds"]

logger = logging.getLogger(__name__)


class Holds:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path  # None: in memory only (unit tests)
        self.cases: set[str] = set()
        self.parked: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}  # case → request event id → (dept, wire)
        if path is not None and path.exists():
            saved = json.loads(path.read_text(encoding="utf-8"))
            self.cases = set(saved.get("cases", []))
            self.parked = {case: {eid: (dept, wire) for eid, (dept, wire) in requests.items()}
                           for case, requests in saved.get("parked", {}).items()}
            logger.info("holds restored from %s: %d cases held, %d requests parked", path, len(self.cases),
                        sum(len(r) for r in self.parked.values()))

    def hold(self, case_id: str) -> None:
        self.cases.add(case_id)
        self._save()

    def holding(self, case_id: str) -> bool:
        return case_id in self.cases

    def park(self, case_id: str, department: str, request: Envelope) -> bool:
        """Keep ``request`` for later if its case is held; False if not held (the caller answers now)."""
        if case_id not in self.cases:
            return False
        self.parked.setdefault(case_id, {})[str(request.id)] = (department, request.to_wire())
        self._save()
        return True

    def lift(self, case_id: str) -> list[tuple[str, Envelope]]:
        """End the hold (new requests of the case are answered at once); returns the requests parked under it,
        as (department, request) in the order parked, to answer now. They stay on file until :meth:`answered`,
        so a crash in between answers them again on the next release, under the same event ids."""
        self.cases.discard(case_id)
        self._save()
        return [(dept, Envelope.model_validate(wire)) for dept, wire in self.parked.get(case_id, {}).values()]

    def answered(self, case_id: str) -> None:
        """The requests parked under ``case_id`` are answered: forget them."""
        if self.parked.pop(case_id, None) is not None:
            self._save()

    def view(self) -> list[dict[str, object]]:
        return [{"case_id": case, "parked": len(self.parked.get(case, {}))} for case in sorted(self.cases)]

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"cases": sorted(self.cases), "parked": {c: {e: list(v) for e, v in r.items()}
                                                                   for c, r in self.parked.items()}},
                          ensure_ascii=False)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
