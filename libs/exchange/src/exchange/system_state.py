"""``system.json`` (系统状态文件): what ``onething up`` writes in the data dir of the system it runs: where each
process answers, its pid and how often it was restarted, the latest deaths. Read by the CLI (``onething status``,
``onething dlq``, chaos) and, when the file is there, by dispatch for the ops room (运维室). Under docker compose
there is no such file: the orchestrator keeps the restarts (``docker compose ps``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["STATE_FILE", "read_state"]

STATE_FILE = "system.json"


def read_state(data_dir: Path) -> dict[str, object] | None:
    """The running system's state, if ``onething up`` is serving from ``data_dir`` (a file left by a system that
    has stopped counts as none)."""
    path = data_dir / STATE_FILE
    try:
        state: dict[str, object] = json.loads(path.read_text())
    except (OSError, ValueError):  # absent, or unreadable just now
        return None
    try:
        os.kill(int(str(state.get("pid"))), 0)
    except (OSError, ValueError):
        return None
    return state
