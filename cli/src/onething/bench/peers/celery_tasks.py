"""The Celery peer's tasks (the worker imports this module: ``celery -A onething.bench.peers.celery_tasks worker``).

Configured from the environment the peer runner sets (``ONETHING_PEER_REDIS``: a Redis of the run's own,
db 0 the broker, db 1 the results; ``ONETHING_PEER_DSN``: the run's database): a Celery app module is read
at import, as Celery's own workers expect. One autocommit psycopg connection per worker process.
"""

from __future__ import annotations

import json
import os

import psycopg
from celery import Celery

__all__ = ["app", "deliver", "dept"]

_redis = os.environ.get("ONETHING_PEER_REDIS", "redis://127.0.0.1:6379")
app = Celery("onething_bench_peer", broker=f"{_redis}/0", backend=f"{_redis}/1")
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                worker_prefetch_multiplier=4, broker_connection_retry_on_startup=True)

_connection: psycopg.Connection | None = None


def _db() -> psycopg.Connection:
    global _connection
    if _connection is None:
        _connection = psycopg.connect(os.environ["ONETHING_PEER_DSN"], autocommit=True)
    return _connection


@app.task(name="peer.dept")
def dept(case_id: str, department: str) -> str:
    _db().execute("INSERT INTO task_result (case_id, dept, payload) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                  (case_id, department, json.dumps({"outcome": "approved", "department": department})))
    return department


@app.task(name="peer.deliver", ignore_result=True)
def deliver(results: list[str], case_id: str) -> None:
    _db().execute("INSERT INTO delivery (case_id) VALUES (%s) ON CONFLICT DO NOTHING", (case_id,))
