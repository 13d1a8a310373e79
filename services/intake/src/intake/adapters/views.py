"""Intake's read side, for the routes: a case with its timeline (for the API and ``onething case``), a pre-fill draft
as it stands, and the 委托授权 a caller granted or was given. The use cases read through the unit of work instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy import select as sa_select
from sqlalchemy.orm import configure_mappers
from sqlmodel import SQLModel, col, select

from exchange.db.database import Database
from exchange.db.statements import equal_params, run, select_where_equal
from exchange.db.tables import table_of
from intake.adapters.repositories import delegation_of, draft_of
from intake.adapters.tables import IntakeCase, IntakeDelegation, IntakeDraft, IntakeTimeline
from intake.domain.delegation import Delegation
from intake.domain.draft import Draft

__all__ = ["OWN_CASES_LIMIT", "case_with_timeline", "cases_of", "delegations_visible_to", "draft", "read_only_models"]

M = TypeVar("M", bound=SQLModel)

_CASES: Table = table_of(IntakeCase)
_TIMELINE: Table = table_of(IntakeTimeline)

OWN_CASES_LIMIT = 200  # an applicant's own cases, newest first: a person has a handful; a bound all the same


async def case_with_timeline(db: Database, case_id: str) -> tuple[IntakeCase, list[IntakeTimeline]] | None:
    """The case's row and its timeline's, as stored: each answer to ``POST /cases`` and every look at a case reads
    them. Core statements built once, and the models made from the rows without the ORM's identity map or a
    validation (the ORM's loading did not validate either): 0.96 → 0.50 ms of CPU (docs/performance.md, step 31)."""
    async with db.engine.connect() as connection:
        found = (await run(connection, select_where_equal(_CASES, ("case_id",)), equal_params({"case_id": case_id}))).rows
        if not found:
            return None
        entries = (await run(connection, select_where_equal(_TIMELINE, ("case_id",), order_by=("id",)),
                             equal_params({"case_id": case_id}))).rows
    return read_only_models(IntakeCase, found)[0], read_only_models(IntakeTimeline, entries)


def read_only_models(model: type[M], rows: Sequence[Mapping[str, Any]]) -> list[M]:
    """Table models holding the rows' values, to be read, never added to a session or changed: no validation (the
    rows are what was written) and no ORM state. Their columns' attributes read the values once SQLAlchemy has
    configured the mappers, which the ORM does at its first query and this does first (a no-op after)."""
    configure_mappers()
    return [model.model_construct(**row) for row in rows]  # type: ignore[misc]  # sqlmodel types it as SQLModel


async def draft(db: Database, draft_id: str) -> Draft | None:
    table = table_of(IntakeDraft)
    async with db.sessions() as session:
        connection = await session.connection()
        row = (await connection.execute(sa_select(table).where(table.c.draft_id == draft_id))).mappings().first()
    return None if row is None else draft_of(dict(row))


async def delegations_visible_to(db: Database, ids: set[str]) -> list[Delegation]:
    """The authorisations the caller granted or was given (``ids``: whom the caller speaks for), newest first."""
    table = table_of(IntakeDelegation)
    async with db.sessions() as session:
        connection = await session.connection()
        rows = (await connection.execute(
            sa_select(table).where(table.c.principal_id.in_(ids) | table.c.proxy_id.in_(ids))
            .order_by(table.c.granted_at.desc()).limit(200))).mappings().all()
    return [delegation_of(dict(row)) for row in rows]



async def cases_of(db: Database, ids: set[str]) -> list[IntakeCase]:
    """The cases whose applicant or proxy is one of ``ids`` (whom the caller speaks for), newest first.

    The applicant and proxy are JSON columns: the ID number is read from them where they are stored (SQLite's
    ``json_extract``, PostgreSQL's ``->>``), so no copy of it needs keeping in step."""
    if not ids:
        return []
    applicant_id = col(IntakeCase.applicant)["id_number"].as_string()
    proxy_id = col(IntakeCase.proxy)["id_number"].as_string()
    query = (select(IntakeCase).where(applicant_id.in_(ids) | proxy_id.in_(ids))
             .order_by(col(IntakeCase.accepted_at).desc()).limit(OWN_CASES_LIMIT))
    async with db.sessions() as session:
        return list((await session.exec(query)).all())
