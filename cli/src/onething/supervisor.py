"""Supervision of the system's processes (进程守护): a process that dies is started again, with back-off.

The policy is plain and I/O-free (:class:`RestartPolicy`, :class:`Child`); :class:`Supervisor` is the
thread that polls the children of one :class:`onething.system.System` and restarts them. Only
``System.stop()`` (Ctrl-C in ``onething up``) ends the supervision; every restart is reported as a
:class:`Restart`.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["Child", "Restart", "RestartPolicy", "Supervisor", "describe_exit"]


def describe_exit(returncode: int) -> str:
    """``signal SIGKILL`` for a process killed by a signal (negative return code), else ``exit code N``."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """Exponential back-off: ``first_delay_s`` doubled per consecutive failure, at most ``max_delay_s``; a
    process that ran ``healthy_after_s`` before it died starts again from the first delay."""

    first_delay_s: float = 0.5
    max_delay_s: float = 30.0
    healthy_after_s: float = 60.0

    def delay(self, attempt: int) -> float:
        """The wait before restart ``attempt`` (1 for the first restart after a healthy run)."""
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class Restart:
    """One death and the restart it was given."""

    process: str
    returncode: int
    attempt: int  # consecutive restarts since the process last ran healthy
    delay_s: float
    at: str  # ISO time of the death, UTC

    def describe(self) -> str:
        return (f"进程退出，重启 {self.process} died ({describe_exit(self.returncode)}); "
                f"restart attempt {self.attempt} in {self.delay_s:.1f}s")

    def as_json(self) -> dict[str, object]:
        return {"process": self.process, "exit": describe_exit(self.returncode), "returncode": self.returncode,
                "attempt": self.attempt, "delay_s": self.delay_s, "at": self.at}


@dataclass
class Child:
    """What the supervisor knows of one process: how to look at it and how to start it again."""

    name: str
    poll: Callable[[], int | None]  # the return code once it has exited, else None
    relaunch: Callable[[], None]  # start it again, same command and environment
    started_at: float = field(default_factory=time.monotonic)
    attempt: int = 0
    restarts: int = 0
    restart_at: float | None = None  # set while it waits out its back-off

    def died(self, returncode: int, now: float, policy: RestartPolicy) -> Restart:
        """Record a death and schedule the restart."""
        self.attempt = 1 if now - self.started_at >= policy.healthy_after_s else self.attempt + 1
        delay = policy.delay(self.attempt)
        self.restart_at = now + delay
        return Restart(self.name, returncode, self.attempt, delay, datetime.now(UTC).isoformat(timespec="seconds"))

    def restarted(self, now: float) -> None:
        self.restart_at, self.started_at = None, now
        self.restarts += 1


class Supervisor:
    """A daemon thread that restarts dead children until :meth:`stop`."""

    def __init__(self, children: list[Child], policy: RestartPolicy, on_restart: Callable[[Restart], None],
                 on_relaunched: Callable[[Child], None], poll_s: float = 0.2) -> None:
        self.children, self.policy, self.poll_s = children, policy, poll_s
        self.on_restart, self.on_relaunched = on_restart, on_relaunched
        self._stopping = threading.Event()
        self.lock = threading.Lock()  # held while a child is relaunched, so stop() never races a restart
        self._thread = threading.Thread(target=self._run, name="onething-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _run(self) -> None:
        while not self._stopping.wait(self.poll_s):
            for child in self.children:
                with self.lock:
                    if self._stopping.is_set():
                        return
                    self._look_after(child)

    def _look_after(self, child: Child) -> None:
        now = time.monotonic()
        if child.restart_at is None:
            code = child.poll()
            if code is not None:
                self.on_restart(child.died(code, now, self.policy))
            return
        if now < child.restart_at:
            return
        try:
            child.relaunch()
        except Exception:  # a start that fails is one more death, retried later
            child.started_at = now
            code = child.poll()
            self.on_restart(child.died(1 if code is None else code, now, self.policy))
            return
        child.restarted(time.monotonic())
        self.on_relaunched(child)
