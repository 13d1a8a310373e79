"""Count the statements that pass through SQLAlchemy's execution, in every Python process started with this folder
on ``PYTHONPATH`` (a ``sitecustomize`` module is imported at interpreter start), and write them when the process
exits to ``$ONETHING_STATEMENT_COUNT_DIR/<pid>.txt`` (count, then the SQL, most frequent first):

    rm -rf /tmp/count /tmp/statements && mkdir /tmp/statements
    PYTHONPATH=benchmarks/statement_count ONETHING_STATEMENT_COUNT_DIR=/tmp/statements \\
        .venv/bin/onething --data-dir /tmp/count up &
    for i in $(seq 10); do .venv/bin/onething --data-dir /tmp/count apply --bundle E-02; done
    kill -INT %1; head -5 /tmp/statements/*.txt

docs/performance.md, steps 12 and 15. On the embedded SQLite the statements ``exchange.db.statements.run`` sends
straight to ``sqlite3`` do not pass SQLAlchemy's ``before_cursor_execute``, so what is counted is what still goes
through SQLAlchemy. A measurement, never loaded by the platform itself.
"""

from __future__ import annotations

import atexit
import os
from collections import Counter
from pathlib import Path
from typing import Any

_FOLDER = os.environ.get("ONETHING_STATEMENT_COUNT_DIR")

if _FOLDER:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _counts: Counter[str] = Counter()

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        _counts[" ".join(statement.split())[:200]] += 1

    def _write() -> None:
        lines = "".join(f"{n}\t{sql}\n" for sql, n in _counts.most_common())
        (Path(str(_FOLDER)) / f"{os.getpid()}.txt").write_text(lines, encoding="utf-8")

    atexit.register(_write)
