"""The load generator: N WebSocket clients in rooms, a steady rate of messages, latency as received.

Run by bench/__main__.py in a process of its own, pinned to another core than the server; prints
one JSON object with what it measured. Every client reads everything it is sent; a message's text
is the time it was sent, so each delivery's latency is `now - text` (one machine, one clock).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import sys
import time
from pathlib import Path

import websockets

CONNECTING_AT_ONCE = 200  # handshakes in flight; more only overflows the server's accept queue


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lab4_websocket.bench.load")
    parser.add_argument("--url", required=True, help="ws://host:port/ws")
    parser.add_argument("--tokens", required=True, help="a file with one access token per line")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--room-size", type=int, default=100)
    parser.add_argument("--per-room", type=float, default=2.0, help="messages a second sent into each room")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send")
    parser.add_argument("--server-pid", type=int, help="the server's process: its CPU while messages are sent")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> dict[str, float]:
    tokens = Path(args.tokens).read_text().split()
    latencies: list[float] = []
    received = [0]  # every message, notices included: the connect phase is over once they stop
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def connect(i: int) -> websockets.ClientConnection:
        async with gate:
            client = await websockets.connect(
                f"{args.url}?room=r{i // args.room_size}",
                additional_headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                compression=None,
                open_timeout=120,
                ping_interval=None,
                max_queue=None,
            )
        readers.append(asyncio.create_task(read(client)))
        return client

    async def read(client: websockets.ClientConnection) -> None:
        async for message in client:
            received[0] += 1
            if isinstance(message, str) and '"message"' in message:
                latencies.append(time.time() - float(json.loads(message)["text"]))

    readers: list[asyncio.Task[None]] = []
    cpu_before = _cpu()
    started = time.perf_counter()
    clients = await asyncio.gather(*(connect(i) for i in range(args.clients)))
    connect_seconds = time.perf_counter() - started
    print(f"  {args.clients} clients connected in {connect_seconds:.1f} s", file=sys.stderr, flush=True)
    await _quiet(received)  # every join notice delivered: the room is idle before the measured sending
    rooms = [clients[i : i + args.room_size] for i in range(0, len(clients), args.room_size)]
    senders = [itertools.cycle(room) for room in rooms if len(room) > 1]
    rate = args.per_room * len(senders)
    sent = 0
    cpu_start, server_start, wall_start = _cpu(), _cpu_of(args.server_pid), time.perf_counter()
    next_send = time.perf_counter()
    while time.perf_counter() - wall_start < args.seconds:
        sender = next(senders[sent % len(senders)])
        await sender.send(repr(time.time()))
        sent += 1
        next_send += 1.0 / rate
        await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
    await asyncio.sleep(2.0)  # the last messages arrive
    wall = time.perf_counter() - wall_start
    generator_cpu = (_cpu() - cpu_start) / wall
    server_cpu = (_cpu_of(args.server_pid) - server_start) / wall
    expected = sum(len(room) - 1 for room in rooms if len(room) > 1) * sent / len(senders)
    latencies.sort()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
    n = len(latencies)
    return {
        "clients": args.clients,
        "connect_seconds": connect_seconds,
        "sent": sent,
        "delivered": n,
        "expected": expected,
        "deliveries_per_second": n / args.seconds,
        "p50_ms": latencies[n // 2] * 1000 if n else float("nan"),
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else float("nan"),
        "max_ms": latencies[-1] * 1000 if n else float("nan"),
        "generator_cpu": generator_cpu,
        "server_cpu": server_cpu,
        "generator_cpu_total": _cpu() - cpu_before,
    }


async def _quiet(received: list[int], still: float = 1.0, limit: float = 120.0) -> None:
    """Wait until no message has arrived for `still` seconds (at most `limit` seconds)."""
    deadline = time.perf_counter() + limit
    last = -1
    while received[0] != last and time.perf_counter() < deadline:
        last = received[0]
        await asyncio.sleep(still)


def _cpu_of(pid: int | None) -> float:
    """CPU seconds a process has used (0 without a pid)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> None:
    args = parse(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a file descriptor per client
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main(sys.argv[1:])
