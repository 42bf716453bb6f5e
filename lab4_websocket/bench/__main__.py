"""``python -m lab4_websocket.bench``: how many WebSocket clients the lab holds, and how fast it relays.

For each client count (100, 1,000, 5,000, 10,000 by default) and each of `--runs` rounds,
interleaved: start the lab pinned to core 0, register users over REST (one per 30 clients) and
sign their tokens with the lab's secret (5,000 logins would only measure password hashing), then
run the load generator (bench/load.py) pinned to core 1: it connects every client, 200 handshakes at
a time, then sends `--per-room` messages a second into each room of `--room-size` for `--seconds`.
It prints a line per step, then a table of medians with min-max: connect time, broadcast latency
p50/p99 (send to receipt, over every delivery), deliveries per second, the server's memory per
connection and CPU, and the generator's own CPU (a saturated generator would understate the server).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from common import harness
from common.bench import GENERATOR_CORE, SERVER_CORE, children, median_range, pin, process_stats

from ..tokens import Tokens

LAB = "lab4_websocket"
CLIENTS_PER_USER = 30  # below the lab's 32 connections per user


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {LAB}.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000, 5000, 10000])
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds of every client count")
    parser.add_argument("--room-size", type=int, default=100)
    parser.add_argument("--per-room", type=float, default=2.0, help="messages a second into each room")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of sending per run")
    return parser.parse_args(argv)


def make_tokens(base_url: str, secret: str, clients: int, folder: Path) -> Path:
    """Register a user per CLIENTS_PER_USER clients (no password) and sign a token for each."""
    tokens = Tokens(secret, 3600)
    lines = []
    with requests.Session() as http:
        for i in range(-(-clients // CLIENTS_PER_USER)):
            reply = http.post(f"{base_url}/users", json={"name": f"bench {i}", "email": f"b{i}@bench.example"})
            reply.raise_for_status()
            lines.append(tokens.issue(reply.json()["id"], "user"))
    path = folder / f"tokens-{clients}.txt"
    path.write_text("\n".join(lines))
    return path


def one_run(args: argparse.Namespace, clients: int, folder: Path) -> dict[str, float]:
    secret = secrets.token_urlsafe(48)
    lab = harness.start(LAB, {"JWT_SECRET": secret})
    try:
        worker = children(lab.pid)[0]
        pin(lab.pid, SERVER_CORE)
        token_file = make_tokens(lab.http_url, secret, clients, folder)
        rss_before, _ = process_stats(worker)
        command = [
            "taskset", "-c", str(GENERATOR_CORE), sys.executable, "-m", f"{LAB}.bench.load",
            "--url", lab.http_url.replace("http://", "ws://") + "/ws", "--tokens", str(token_file),
            "--clients", str(clients), "--room-size", str(args.room_size),
            "--per-room", str(args.per_room), "--seconds", str(args.seconds), "--server-pid", str(worker),
        ]  # fmt: skip
        load = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        peak_rss = rss_before
        while load.poll() is None:  # the server's memory with every client connected
            peak_rss = max(peak_rss, process_stats(worker)[0])
            time.sleep(0.2)
        result = json.loads(load.stdout.read())
        result["kb_per_connection"] = (peak_rss - rss_before) * 1024 / clients
        return result
    finally:
        lab.stop()


COLUMNS = [
    ("connect_seconds", "connect all (s)", "{:.1f}"),
    ("p50_ms", "latency p50 (ms)", "{:.1f}"),
    ("p99_ms", "latency p99 (ms)", "{:.1f}"),
    ("deliveries_per_second", "deliveries/s", "{:,.0f}"),
    ("kb_per_connection", "server KB per connection", "{:.0f}"),
    ("server_cpu", "server CPU while sending (cores)", "{:.2f}"),
    ("generator_cpu", "generator CPU while sending (cores)", "{:.2f}"),
]


def table(results: dict[int, list[dict[str, float]]]) -> str:
    """A Markdown table: the median of the runs, with their min-max."""
    header = "| clients | " + " | ".join(title for _, title, _ in COLUMNS) + " | lost |"
    lines = [header, "|---" * (len(COLUMNS) + 2) + "|"]
    for clients, runs in sorted(results.items()):
        cells = [median_range([run[key] for run in runs], form) for key, _, form in COLUMNS]
        lost = sum(run["expected"] - run["delivered"] for run in runs)
        lines.append(f"| {clients:,} | " + " | ".join(cells) + f" | {lost:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse(argv)
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        print("the benchmark pins the server and the generator to two cores with taskset (util-linux)")
        return 1
    results: dict[int, list[dict[str, float]]] = {n: [] for n in args.clients}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(1, args.runs + 1):
            for clients in args.clients:
                print(f"run {run}/{args.runs}: {clients:,} clients", flush=True)
                result = one_run(args, clients, Path(scratch))
                results[clients].append(result)
                print(
                    f"  p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                    f"{result['deliveries_per_second']:,.0f} deliveries/s, "
                    f"{result['delivered']:,.0f} of {result['expected']:,.0f} delivered",
                    flush=True,
                )
    print(f"\nrooms of {args.room_size}, {args.per_room:g} messages a second into each, {args.seconds:g} s per run")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
