"""Failures classified by cause, not by exception class (故障分类), and waiting out an outage.

Every part of the exchange library (consumer runner, outbox relay, stream processors, background jobs,
the HTTP error handler, start-up) asks :func:`classify` what a failure means:

* ``TRANSIENT`` (暂时性故障): a dependency is unavailable right now and the same work will succeed
  later: connection loss (``ConnectionError``, socket errors, asyncpg's "connection is closed"),
  PostgreSQL SQLSTATE classes 08 (connection), 40 (serialization failure, deadlock), 53 (insufficient
  resources, too many connections), 57 (operator intervention: admin shutdown, crash shutdown, cannot
  connect now, statement cancelled/timeout), 55P03 (lock not available) and a database that does not
  accept connections now (55000 "not currently accepting connections", ``ALTER DATABASE … ALLOW_CONNECTIONS
  false``), SQLAlchemy's pool timeout, SQLite "database is locked/busy", and the broker being unavailable
  (aiokafka connection errors, timeouts, any ``KafkaError`` marked ``retriable``).
  Waited out with capped back-off, for as long as it lasts; never dead-lettered.
* ``POISON`` (毒消息): the input can never succeed: :class:`~exchange.errors.Rejected` (undecodable, bad
  signature, schema violation), a :class:`~exchange.errors.DomainRefusal` (a service's business rule
  refuses it), an integrity or data error (SQLSTATE classes 22 and 23, e.g. U+0000 in text on PostgreSQL
  is 22021, a unique violation 23505), a pydantic ``ValidationError``.
  Dead-lettered at once.
* ``UNEXPECTED`` (未预料故障): anything else, most likely a bug. The consumer runner retries it a bounded
  number of times (a bug may be a race), then dead-letters it with ``x-failure: unexpected`` and an ERROR
  log with the traceback, so it can be re-driven once fixed; never silently.

The exception chain is walked (``__cause__``, ``__context__``, SQLAlchemy's ``.orig``, exception groups):
the outermost exception that is decisive wins, so an ``OperationalError`` wrapping asyncpg's
``AdminShutdownError`` (57P01) is transient and an ``IntegrityError`` wrapping a unique violation is poison.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    NodeNotReadyError,
    RequestTimedOutError,
    UnknownError,
)
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from exchange.errors import DomainRefusal, Rejected, Transient

__all__ = [
    "BACKOFF_CAP_S",
    "FailureKind",
    "Interrupted",
    "Outage",
    "backoff_delays",
    "classify",
    "dependency_of",
    "is_transient",
    "sleep_unless_stopped",
    "unless_stopped",
    "wait_out",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_FIRST_S = 0.1
BACKOFF_CAP_S = 5.0


class FailureKind(enum.StrEnum):
    TRANSIENT = "transient"
    POISON = "poison"
    UNEXPECTED = "unexpected"


# SQLSTATE classes (the first two characters) whose errors pass when the server is reachable again.
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57"})
_TRANSIENT_SQLSTATES = frozenset({"55P03"})  # lock_not_available (lock_timeout)
_POISON_SQLSTATE_CLASSES = frozenset({"22", "23"})  # data exception, integrity constraint violation
# OSErrors about files are bugs or configuration, not an outage; every other OSError is the network's.
_NOT_NETWORK = (FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError)
_NETWORK_ERRNOS = frozenset({
    errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ETIMEDOUT,
    errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.EADDRNOTAVAIL,
})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps, outermost first, each once."""
    seen: set[int] = set()
    queue: list[BaseException] = [exc]
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            queue.extend(current.exceptions)
        orig = getattr(current, "orig", None)  # SQLAlchemy's DBAPIError: the driver's exception
        if isinstance(orig, BaseException):
            queue.append(orig)
        if current.__cause__ is not None:
            queue.append(current.__cause__)
        if current.__context__ is not None and not current.__suppress_context__:
            queue.append(current.__context__)


def _sqlstate(exc: BaseException) -> str | None:
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return code if isinstance(code, str) and len(code) == 5 else None


def _classify_one(exc: BaseException) -> FailureKind | None:
    """What ``exc`` alone says, or None when it is not decisive (look at what it wraps)."""
    if isinstance(exc, Transient):
        return FailureKind.TRANSIENT
    if isinstance(exc, Rejected | DomainRefusal | ValidationError):
        return FailureKind.POISON
    code = _sqlstate(exc)
    if code is not None:
        if code[:2] in _TRANSIENT_SQLSTATE_CLASSES or code in _TRANSIENT_SQLSTATES:
            return FailureKind.TRANSIENT
        if code == "55000" and "not currently accepting connections" in str(exc):
            return FailureKind.TRANSIENT  # ALTER DATABASE … ALLOW_CONNECTIONS false, at connect
        if code[:2] in _POISON_SQLSTATE_CLASSES:
            return FailureKind.POISON
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give in time
        return FailureKind.TRANSIENT
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return FailureKind.TRANSIENT
        if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
            return FailureKind.POISON
    # UnknownError (-1) is the broker's own failure, not the record's: the embedded broker answers produces with it
    # while it recovers from losing its data (its storage refusing an offset it already holds).
    if isinstance(exc, KafkaConnectionError | NodeNotReadyError | RequestTimedOutError | KafkaTimeoutError
                  | UnknownError):
        return FailureKind.TRANSIENT
    if isinstance(exc, KafkaError):
        return FailureKind.TRANSIENT if exc.retriable else None
    if isinstance(exc, ConnectionError | TimeoutError):
        return FailureKind.TRANSIENT
    # asyncpg reports a refused connection to several addresses as a plain OSError without errno.
    if isinstance(exc, OSError) and not isinstance(exc, _NOT_NETWORK) and (
        exc.errno is None or exc.errno in _NETWORK_ERRNOS
    ):
        return FailureKind.TRANSIENT
    message = str(exc).lower()
    if type(exc).__module__.startswith(("asyncpg", "sqlalchemy", "sqlite3", "aiosqlite")) and (
        "connection is closed" in message
        or "connection was closed" in message
        or "database is locked" in message
        or "database table is locked" in message
        or "database is busy" in message
        # asyncpg, when the server's goodbye (57P01) lands while the next statement starts: the connection is
        # broken, and the pool replaces it on the next attempt.
        or "cannot switch to state" in message
    ):
        return FailureKind.TRANSIENT
    if isinstance(exc, sa_exc.OperationalError) and "locked" in message:  # SQLite: SQLITE_BUSY / SQLITE_LOCKED
        return FailureKind.TRANSIENT
    return None


def classify(exc: BaseException) -> FailureKind:
    """TRANSIENT, POISON or UNEXPECTED: the outermost decisive exception of the chain decides."""
    for link in _chain(exc):
        kind = _classify_one(link)
        if kind is not None:
            return kind
    return FailureKind.UNEXPECTED


def is_transient(exc: BaseException) -> bool:
    return classify(exc) is FailureKind.TRANSIENT


def dependency_of(exc: BaseException) -> str:
    """Which dependency a transient failure is about, for logs and readiness reasons."""
    for link in _chain(exc):
        module = type(link).__module__
        if module.startswith(("aiokafka", "kafka")):
            return "broker"
        if module.startswith(("asyncpg", "sqlalchemy", "sqlite3", "aiosqlite")):
            return "database"
    return "dependency"


class Interrupted(Exception):
    """A wait for a dependency ended because the part was asked to stop."""


class Outage:
    """Whether a part is waiting out an unavailable dependency; logs once per state change.

    ``failed`` on each transient failure (a WARNING only when entering the outage), ``recovered`` on the
    next success (an INFO with how long it lasted). ``down`` and ``reason`` feed ``/readyz``.
    """

    def __init__(self, part: str, log: logging.Logger | None = None) -> None:
        self.part = part
        self.log = log or logger
        self.since: float | None = None
        self.reason = ""

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        brief = f"{type(exc).__name__}: {str(exc).partition(chr(10))[0]}"[:300]  # first line: no SQL or parameters
        self.reason = f"{dependency_of(exc)} unavailable: {brief}"
        if self.since is None:
            self.since = _now()
            self.log.warning("%s: %s unavailable, waiting (%s)", self.part, dependency_of(exc), brief)

    def recovered(self) -> None:
        if self.since is not None:
            self.log.info("%s: recovered after %.1f s", self.part, _now() - self.since)
            self.since = None
            self.reason = ""


def _now() -> float:
    return asyncio.get_running_loop().time()


def backoff_delays(first_s: float = BACKOFF_FIRST_S, cap_s: float = BACKOFF_CAP_S) -> Iterator[float]:
    """0.1, 0.2, 0.4, … capped at ``cap_s``: exponential back-off for ever."""
    delay = first_s
    while True:
        yield delay
        delay = min(delay * 2, cap_s)


async def sleep_unless_stopped(delay_s: float, stopping: asyncio.Event | None) -> bool:
    """Sleep ``delay_s``; True (at once) when ``stopping`` is set first."""
    if stopping is None:
        await asyncio.sleep(delay_s)
        return False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), delay_s)
    return stopping.is_set()


async def unless_stopped(attempt: Callable[[], Awaitable[T]], stopping: asyncio.Event | None) -> T:
    """Await ``attempt()``, cancelling it and raising :class:`Interrupted` if ``stopping`` is set first
    (an attempt against a dependency that is down may take as long as its client's own timeout)."""
    if stopping is None:
        return await attempt()
    if stopping.is_set():
        raise Interrupted("stopped")
    work = asyncio.ensure_future(attempt())
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await work
    if work.cancelled():
        raise Interrupted("stopped during an attempt")
    return work.result()


async def wait_out(
    attempt: Callable[[], Awaitable[T]],
    *,
    outage: Outage,
    stopping: asyncio.Event | None = None,
    cap_s: float = BACKOFF_CAP_S,
) -> T:
    """Run ``attempt`` until it succeeds, waiting out transient failures with capped back-off, for ever.

    Any other failure is raised at once. Raises :class:`Interrupted` when ``stopping`` is set first (an
    attempt in progress is cancelled).
    """
    delays = backoff_delays(cap_s=cap_s)
    while True:
        try:
            result = await unless_stopped(attempt, stopping)
        except Interrupted:
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            outage.failed(exc)
            if await sleep_unless_stopped(next(delays), stopping):
                raise Interrupted(f"{outage.part}: stopped while waiting: {outage.reason}") from exc
            continue
        outage.recovered()
        return result
