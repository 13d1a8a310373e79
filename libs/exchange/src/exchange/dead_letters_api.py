"""The operator's dead-letter API (死信运维接口), mounted by :func:`exchange.runtime.serve` on every service that
has a database:

* ``GET /dead-letters``: filter by topic, consumer group, error type, case id, time (``since`` inclusive,
  ``until`` exclusive) and state (``pending`` or an outcome); newest first, paged;
* ``GET /dead-letters/{id}``: one entry with its headers, error, value and the envelope when it decodes (to a
  bearer token the entry without the record, its error masked of personal numbers: :func:`without_record`);
* ``POST /dead-letters/{id}/redrive``: re-drive one (see :mod:`exchange.dead_letters` for the outcomes);
* ``POST /dead-letters/redrive``: re-drive every pending entry matching the same filters, oldest first.

Every route is the operators' (运维人员), proven by the service's :class:`exchange.access.http.Access` like every
protected route: a signed request (the console, ``onething dlq``) by a principal matching
``ONETHING_DEAD_LETTER_OPERATORS`` (default ``operator``, whose key ``onething keys`` creates), or a bearer token
with the operator role (the ops room, 运维室); anyone else gets 403, nobody proven 401.
"""

from __future__ import annotations

import base64
import json
from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.exc import DBAPIError

from contracts.topics import dead_letter_topic
from exchange.access.http import ACCESS_RESPONSES, Access, Allow, accept_callers, authenticated_caller
from exchange.access.roles import Caller, Role
from exchange.db.tables import DeadLetterRow
from exchange.dead_letters import DeadLetterQuery, NotRedrivable, Redriver, decode_headers
from exchange.errors import Transient
from exchange.failures import Interrupted
from exchange.privacy import redact
from exchange.signing import KeyRing

__all__ = ["DeadLetterOperators", "dead_letter_router", "letter_json", "mount_dead_letters"]

State = Literal["pending", "redriven", "already_applied", "failed_again", "skipped"]
LetterId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the entry's id in this service's store")]
_UNAVAILABLE = (Transient, Interrupted, DBAPIError, KafkaError, OSError, TimeoutError)  # Interrupted: stopped mid-wait
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # no NUL or other control characters (PostgreSQL refuses NUL in text)


class RedriveFilter(BaseModel):
    """Which pending dead letters to re-drive (every field set must match); none set: all pending ones."""

    topic: str | None = Field(default=None, max_length=255, pattern=_PRINTABLE)
    group: str | None = Field(default=None, max_length=255, pattern=_PRINTABLE)
    error_type: str | None = Field(default=None, max_length=255, pattern=_PRINTABLE)
    case_id: str | None = Field(default=None, max_length=255, pattern=_PRINTABLE)
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    state: State | None = Field(default=None, description="default: pending")
    limit: int = Field(default=100, ge=1, le=1000, description="at most this many, oldest first")

    def query(self) -> DeadLetterQuery:
        return DeadLetterQuery(topic=self.topic, group=self.group, error_type=self.error_type, case_id=self.case_id,
                               since=self.since, until=self.until, state=self.state)


def _state(row: DeadLetterRow) -> str:
    return row.outcome or "pending"


def letter_json(row: DeadLetterRow, *, detail: bool = False) -> dict[str, Any]:
    """An entry as the API shows it: the summary in lists, everything with ``detail``."""
    summary: dict[str, Any] = {
        "id": row.id, "consumer_group": row.consumer_group, "topic": row.original_topic,
        "partition": row.original_partition, "offset": row.original_offset,
        "dead_letter_topic": dead_letter_topic(row.original_topic, row.consumer_group).name,
        "key": row.record_key, "error_type": row.error_type, "failure_class": row.failure_class,
        "error_message": row.error_message if detail else row.error_message[:200],
        "event_id": row.event_id, "event_type": row.event_type, "case_id": row.case_id,
        "failed_at": row.failed_at.isoformat(), "state": _state(row),
        "redriven_at": row.redriven_at.isoformat() if row.redriven_at else None,
        "redrive_count": row.redrive_count, "redrive_of": row.redrive_of,
    }
    if not detail:
        return summary
    value = row.value or b""
    try:
        text: str | None = value.decode()
    except UnicodeDecodeError:
        text = None
    envelope: object = None
    if text is not None:
        try:
            envelope = json.loads(text)
        except ValueError:
            envelope = None
    return {
        **summary,
        "headers": [{"name": n, "value": v.decode(errors="replace")} for n, v in decode_headers(row.headers)],
        "value_text": text, "value_base64": None if text is not None else base64.b64encode(value).decode(),
        "envelope": envelope if isinstance(envelope, dict) else None,
    }


RECORD_PARTS = ("headers", "value_text", "value_base64", "envelope")


def without_record(shown: dict[str, Any]) -> dict[str, Any]:
    """An entry without the record it keeps, and its error with personal numbers masked: what a browser's operator
    token may read. A dead letter of a restricted topic holds personal data (a dossier, a department request); the
    record stays with the signed consoles (``ONETHING_DEAD_LETTER_OPERATORS``), as the topic's is restricted."""
    kept = {name: value for name, value in shown.items() if name not in RECORD_PARTS}
    kept["error_message"] = redact(str(shown.get("error_message") or ""))
    kept["record_withheld"] = True
    return kept


def _refused(status: int, zh: str, en: str) -> HTTPException:
    return HTTPException(status, detail={"message_zh": zh, "message_en": en})


class DeadLetterOperators(Allow):
    """Who may work dead letters: a bearer token with the operator role, or a request signed by a principal matching
    ``patterns`` (``ONETHING_DEAD_LETTER_OPERATORS``: the consoles' keys, which need not be the one ``operator``
    key that :attr:`Access.signed_roles` makes an operator everywhere)."""

    def __init__(self, patterns: list[str]) -> None:
        super().__init__(Role.OPERATOR)
        self.patterns = list(patterns)

    async def __call__(self, caller: Annotated[Caller, Depends(authenticated_caller)]) -> Caller:
        if caller.via == "signature":
            allowed = any(fnmatchcase(caller.subject, pattern) for pattern in self.patterns)
        else:
            allowed = caller.has(*self.roles)
        if not allowed:
            raise _refused(403, f"{caller.subject} 无权处理死信（须为运维身份）",
                           f"{caller.subject} may not work dead letters (operators only)")
        return caller


# Who asks, in a route: the very caller the router's DeadLetterOperators let through (FastAPI proves it once per request).
OperatorAtWork = Annotated[Caller, Depends(authenticated_caller)]


def dead_letter_router(redriver: Redriver, *, operators: list[str]) -> APIRouter:
    """The four routes over ``redriver`` (its store and this service's consumer runners)."""
    router = APIRouter(prefix="/dead-letters", tags=["dead letters 死信"], responses=ACCESS_RESPONSES,
                       dependencies=[Depends(DeadLetterOperators(operators))])
    store = redriver.store

    @router.get("", summary="死信列表 Dead letters, newest first")
    async def list_letters(
        caller: OperatorAtWork,
        topic: Annotated[str | None, Query(max_length=255, pattern=_PRINTABLE, description="the topic it was read from")] = None,
        group: Annotated[str | None, Query(max_length=255, pattern=_PRINTABLE, description="the consumer group")] = None,
        error_type: Annotated[str | None, Query(max_length=255, pattern=_PRINTABLE, description="e.g. Rejected, Malformed")] = None,
        case_id: Annotated[str | None, Query(max_length=255, pattern=_PRINTABLE)] = None,
        since: Annotated[AwareDatetime | None, Query(description="failed at or after (with offset)")] = None,
        until: Annotated[AwareDatetime | None, Query(description="failed before (with offset)")] = None,
        state: State | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    ) -> dict[str, Any]:
        query = DeadLetterQuery(topic=topic, group=group, error_type=error_type, case_id=case_id, since=since,
                                until=until, state=state)
        rows, total = await store.find(query, limit=limit, offset=offset)
        items = [letter_json(r) for r in rows]
        if caller.via != "signature":
            items = [{**item, "error_message": redact(item["error_message"])} for item in items]
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @router.get("/{letter_id}", summary="一条死信 One dead letter: headers, error, the envelope if it decodes "
                                        "(the record itself to a signed operator's console only)")
    async def show_letter(letter_id: LetterId, caller: OperatorAtWork) -> dict[str, Any]:
        row = await store.get(letter_id)
        if row is None:
            raise _refused(404, f"没有死信 {letter_id}", f"no dead letter {letter_id}")
        shown = letter_json(row, detail=True)
        if caller.via != "signature":
            shown = without_record(shown)
        shown["redriven_as"] = await store.successor(letter_id)
        return shown

    @router.post("/redrive", summary="按条件重投 Re-drive the pending dead letters matching the filters")
    async def redrive_many(body: RedriveFilter) -> dict[str, Any]:
        try:
            results = await redriver.redrive_many(body.query(), limit=body.limit)
        except _UNAVAILABLE as exc:
            raise _refused(503, f"依赖暂不可用，稍后再试：{type(exc).__name__}",
                           f"a dependency is unavailable; try again later: {type(exc).__name__}") from None
        return {"count": len(results), "results": [r.to_json() for r in results]}

    @router.post("/{letter_id}/redrive", summary="重投一条 Re-drive one dead letter")
    async def redrive_one(letter_id: LetterId) -> dict[str, Any]:
        try:
            result = await redriver.redrive(letter_id)
        except NotRedrivable as exc:
            raise _refused(409, exc.message_zh, exc.message_en) from None
        except _UNAVAILABLE as exc:
            raise _refused(503, f"依赖暂不可用，稍后再试：{type(exc).__name__}",
                           f"a dependency is unavailable; try again later: {type(exc).__name__}") from None
        if result is None:
            raise _refused(404, f"没有死信 {letter_id}", f"no dead letter {letter_id}")
        return result.to_json()

    return router


def mount_dead_letters(app: FastAPI, redriver: Redriver, keyring: KeyRing, *, operators: list[str]) -> None:
    """Add the routes to a service's app. An app that proves no callers yet (a test's bare app) accepts signed
    requests by ``keyring``'s principals; the runtime's apps also accept bearer tokens."""
    if getattr(app.state, "access", None) is None:
        replay = getattr(app.state, "replay", None)
        accept_callers(app, Access(None, keyring) if replay is None else Access(None, keyring, replay=replay))
    app.include_router(dead_letter_router(redriver, operators=operators))
