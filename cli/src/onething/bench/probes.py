"""Reading the running system from outside while the load runs (观测): each process's CPU and resident size
from ``/proc`` (Linux), a PostgreSQL server's on this machine too, and from the broker every partition's end offset
and every consumer group's committed offsets, so lag and messages per case are counted where they happen.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from onething.bench.figures import ProcessUse, cpu_thirds

__all__ = ["BusProbe", "BusSnapshot", "ProcessSampler", "children", "cpu_seconds", "local_database_cpu",
           "local_database_server", "resident_mb", "server_cpu_seconds"]

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[bytes] | None:
    """The fields of ``/proc/<pid>/stat`` after the command's name (the first is the state, field 3 of proc(5))."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float | None:
    """User + system CPU seconds of ``pid`` so far (None once it has gone); with ``reaped_children``, those of the
    children it has waited for too."""
    fields = _stat(pid)
    if fields is None:
        return None
    used = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    if reaped_children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / _TICKS


def children(pid: int) -> list[int]:
    """The children of ``pid`` now alive (of its main thread: the servers and workers read here fork from it)."""
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def server_cpu_seconds(pid: int) -> float | None:
    """CPU seconds so far of a forking server whose main process is ``pid`` (PostgreSQL's postmaster): its own, its
    children's alive, and those of the children it has reaped (a backend whose connection closed), so the figure
    only grows as connections come and go."""
    own = cpu_seconds(pid, reaped_children=True)
    if own is None:
        return None
    return own + sum(cpu_seconds(child) or 0.0 for child in children(pid))


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


async def local_database_server(server_url: str) -> int | None:
    """The main process of the PostgreSQL server behind ``server_url`` when it runs on this machine (the parent of
    the backend that answers a connection), else None: its CPU is the system's as much as any service's."""
    engine = create_async_engine(make_url(server_url).set(drivername="postgresql+asyncpg"))
    try:
        async with engine.connect() as conn:  # read while the backend lives
            backend = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            fields = _stat(backend)
            if fields is None or _command(backend) != "postgres":  # a server elsewhere (its pids are not ours)
                return None
    finally:
        await engine.dispose()
    server = int(fields[1])  # ppid
    return server if _command(server) == "postgres" else None


async def local_database_cpu(server_url: str) -> Callable[[], float | None] | None:
    """A reading of the CPU seconds so far of the PostgreSQL server behind ``server_url`` (all its processes:
    :func:`server_cpu_seconds`), or None when the server is not on this machine."""
    server = await local_database_server(server_url)
    return None if server is None else partial(server_cpu_seconds, server)


def resident_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class ProcessSampler:
    """CPU spent and peak RSS per named process between :meth:`open` and :meth:`close`; pids are read
    again at every sample (a supervised process restarted gets a new one). ``servers`` are read for their CPU
    alone, each by a function of its own (a database server's many processes: :func:`server_cpu_seconds`)."""

    pid_of: Callable[[str], int | None]
    names: list[str]
    servers: Mapping[str, Callable[[], float | None]] = field(default_factory=dict)
    peak_rss: dict[str, float] = field(default_factory=dict)
    cpu_readings: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # (monotonic, CPU s so far)

    def _cpu(self) -> dict[str, float]:
        out = {}
        for name in self.names:
            pid = self.pid_of(name)
            used = cpu_seconds(pid) if pid else None
            if used is not None:
                out[name] = used
        for name, read in self.servers.items():
            used = read()
            if used is not None:
                out[name] = used
        return out

    def open(self) -> None:
        self.cpu_readings, self.peak_rss = [], {}
        self.sample()

    def sample(self) -> None:
        """Each process's resident size, and its CPU so far (the first reading opens the window, the last closes
        it; those between give :meth:`thirds`)."""
        for name in self.names:
            pid = self.pid_of(name)
            rss = resident_mb(pid) if pid else None
            if rss is not None:
                self.peak_rss[name] = max(rss, self.peak_rss.get(name, 0.0))
        self.cpu_readings.append((time.monotonic(), self._cpu()))

    def close(self) -> None:
        self.sample()

    def used(self, name: str) -> float:
        if not self.cpu_readings:
            return 0.0
        opened, closed = self.cpu_readings[0][1], self.cpu_readings[-1][1]
        return max(0.0, closed.get(name, 0.0) - opened.get(name, 0.0))

    def thirds(self, name: str) -> tuple[float | None, float | None]:
        """``name``'s CPU as % of one core over the first and the last third of the sampled window (the readings
        nearest each third's ends; None with fewer than four readings or a process restarted in between)."""
        return cpu_thirds([(at, cpu[name]) for at, cpu in self.cpu_readings if name in cpu])

    def use(self, name: str) -> ProcessUse:
        first, last = self.thirds(name)
        return ProcessUse(name, self.used(name), self.peak_rss.get(name, 0.0), first, last)


@dataclass(frozen=True)
class BusSnapshot:
    ends: Mapping[TopicPartition, int]  # every partition's end offset
    committed: Mapping[str, Mapping[TopicPartition, int]]  # group -> its committed offsets

    def lag(self) -> dict[str, int]:
        return {group: sum(max(0, self.ends.get(tp, at) - at) for tp, at in offsets.items())
                for group, offsets in self.committed.items()}

    def topics_of(self, group: str) -> set[str]:
        return {tp.topic for tp in self.committed.get(group, {})}


def arrived(before: BusSnapshot, after: BusSnapshot, topics: set[str] | None = None) -> int:
    """Records produced between the snapshots (on ``topics``, or on every topic)."""
    return sum(end - before.ends.get(tp, 0) for tp, end in after.ends.items()
               if topics is None or tp.topic in topics)


class BusProbe:
    """End offsets and committed offsets, read with one admin client and one group-less consumer."""

    def __init__(self, bootstrap: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="onething-bench")
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, client_id="onething-bench", group_id=None)

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def snapshot(self) -> BusSnapshot:
        # every topic as it is now (topics created since the last look too)
        partitions = [TopicPartition(topic["topic"], partition["partition"])
                      for topic in await self._admin.describe_topics() if not topic.get("is_internal", False)
                      for partition in topic["partitions"]]
        ends = await self._consumer.end_offsets(partitions) if partitions else {}
        groups = [g[0] for g in await self._admin.list_consumer_groups()]
        # every partition named: the embedded broker drops the connection on "all of the group's offsets"
        offsets = await asyncio.gather(*(self._admin.list_consumer_group_offsets(g, partitions=partitions)
                                         for g in groups))
        committed = {g: {tp: meta.offset for tp, meta in found.items() if meta.offset >= 0}
                     for g, found in zip(groups, offsets, strict=True)}
        return BusSnapshot(ends, {g: c for g, c in committed.items() if c and g != "onething-bench"})
