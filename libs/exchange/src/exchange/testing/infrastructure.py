"""Where tests find a broker and a database.

* ``ONETHING_TEST_KAFKA_BOOTSTRAP`` / ``ONETHING_TEST_DATABASE_URL`` win when set.
* Where a Docker engine answers (a developer's laptop), testcontainers start Apache Kafka and
  PostgreSQL.
* Otherwise (this project's machines and CI, which have no Docker engine) the embedded tansu broker
  and the local PostgreSQL at 127.0.0.1:5432 are used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from exchange.broker import EmbeddedBroker

__all__ = ["LOCAL_POSTGRES", "broker_bootstrap", "docker_engine_available", "postgres_server"]

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def docker_engine_available() -> bool:
    if os.environ.get("ONETHING_TEST_NO_DOCKER") or shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0  # noqa: S607
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def broker_bootstrap() -> Iterator[str]:
    explicit = os.environ.get("ONETHING_TEST_KAFKA_BOOTSTRAP")
    if explicit:
        yield explicit
    elif docker_engine_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield str(kafka.get_bootstrap_server())
    else:
        with EmbeddedBroker() as broker:
            yield broker.bootstrap


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL (database part ``postgres``) that tests may create databases on."""
    explicit = os.environ.get("ONETHING_TEST_DATABASE_URL")
    if explicit:
        yield explicit
    elif docker_engine_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver="asyncpg") as pg:
            yield str(pg.get_connection_url())
    else:
        yield LOCAL_POSTGRES
