"""Schema migrations with Alembic, one script folder per service (数据库迁移).

Each service keeps ``<package>/migrations`` with a three-line ``env.py`` that calls
:func:`run_alembic_env`. Services migrate at start-up through :func:`upgrade` (and on demand with
``python -m <service> migrate``); nothing calls ``create_all``.
"""

from __future__ import annotations

import logging
from importlib.resources import files

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy.engine import Connection

from exchange.db.database import Database, create_database_if_missing

__all__ = [
    "add_broker_epoch_columns",
    "create_dead_letter_table",
    "create_exchange_tables",
    "downgrade",
    "drop_broker_epoch_columns",
    "drop_dead_letter_table",
    "refuse_over_rows",
    "run_alembic_env",
    "upgrade",
]

logger = logging.getLogger(__name__)


def _config(package: str, connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files(package) / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(database: Database, package: str, revision: str = "head") -> None:
    """Bring the service's database to ``revision``, the newest by default (creating the database if needed)."""
    await create_database_if_missing(database.url)
    async with database.engine.begin() as conn:
        if not database.is_sqlite:
            # Several instances may start at once; one migrates, the others wait.
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": package})
        await conn.run_sync(lambda sync: command.upgrade(_config(package, sync), revision))
    logger.info("database of %s is at %s", package, revision)


async def downgrade(database: Database, package: str, revision: str) -> None:
    """Take the service's database back to ``revision`` (tests of a revision's way down)."""
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(_config(package, sync), revision))


def run_alembic_env() -> None:
    """Body of every service's ``migrations/env.py`` (online mode only: we always hold a connection)."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        render_as_batch=connection.dialect.name == "sqlite",
        version_table="alembic_version",
    )
    with context.begin_transaction():
        context.run_migrations()


def refuse_over_rows(table: str, why_zh: str, why_en: str) -> None:
    """Stop a revision that replaces ``table`` when it still holds rows: no data is guessed at or dropped."""
    held = op.get_bind().execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    if held:
        raise RuntimeError(f"{table} holds {held} rows: {why_en} ({why_zh})")


def create_exchange_tables() -> None:
    """Outbox, processed-event and chain-head tables; called from each service's first revision."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("envelope", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("event_id", "topic", name="uq_outbox_event_topic"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["published_at", "seq"])
    op.create_table(
        "processed_event",
        sa.Column("consumer", sa.String(255), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "chain_head",
        sa.Column("producer", sa.String(255), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )


def add_broker_epoch_columns() -> None:
    """Broker epochs (消息代理纪元): the outbox keeps each row's signed bytes and the epoch it was sent in, and
    ``exchange_marker`` the epoch last seen; called from one revision per service."""
    op.add_column("outbox", sa.Column("wire", sa.LargeBinary))
    op.add_column("outbox", sa.Column("epoch", sa.String(64)))
    op.create_table(
        "exchange_marker",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_broker_epoch_columns() -> None:
    """The way down of :func:`add_broker_epoch_columns`."""
    op.drop_table("exchange_marker")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("epoch")
        batch.drop_column("wire")


def create_dead_letter_table() -> None:
    """The dead-letter store (死信库, :class:`exchange.db.tables.DeadLetterRow`); one revision per service calls it."""
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("consumer_group", sa.String(255), nullable=False),
        sa.Column("original_topic", sa.String(255), nullable=False),
        sa.Column("original_partition", sa.Integer, nullable=False),
        sa.Column("original_offset", sa.BigInteger, nullable=False),
        sa.Column("record_key", sa.Text),
        sa.Column("value", sa.LargeBinary),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("error_type", sa.String(255), nullable=False),
        sa.Column("error_message", sa.Text, nullable=False),
        sa.Column("failure_class", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(36)),
        sa.Column("event_type", sa.String(255)),
        sa.Column("case_id", sa.String(255)),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("redrive_of", sa.BigInteger),
        sa.Column("redriven_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(32)),
        sa.Column("redrive_count", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("fingerprint", name="uq_dead_letter_fingerprint"),
    )
    op.create_index("ix_dead_letter_topic", "dead_letter", ["original_topic", "consumer_group"])
    op.create_index("ix_dead_letter_case", "dead_letter", ["case_id"])
    op.create_index("ix_dead_letter_failed_at", "dead_letter", ["failed_at"])


def drop_dead_letter_table() -> None:
    """The way down of the revisions that call :func:`create_dead_letter_table`."""
    op.drop_table("dead_letter")
