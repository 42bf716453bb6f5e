"""``python -m lab5_broker.bench``: registrations per second end to end, and how long an event takes to notify.

For each broker (RabbitMQ, Kafka) and each of `--runs` rounds, interleaved: start the lab (the users
service and its notifier) pinned to core 0 with exchanges, queues or topics of its own (Kafka: a
Tansu broker started for the run, pinned there too; RabbitMQ is the machine's, left unpinned), then
wrk pinned to core 1 registers new users (POST /users, no password: Argon2 would be all we measured)
for `--seconds` at each of `--loads`: a rate (4 connections, each pausing between its requests, so
about that many a second: the delay when the core keeps up) or `max` (16 connections, no pause: the
most it takes). The run ends when the notifier has recorded every
registration. It prints a line per run, then a table of medians with min-max: registrations per
second end to end (from the first request to the last notification), the REST p99, the event →
notification delay p50/p99 (the notifier's time minus the event's), the CPU each service spent per
registration (what one core allows), and how many were lost or notified twice.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import requests

from common import harness
from common.bench import (
    SERVER_CORE,
    WRK_NEEDS,
    children,
    cpu_seconds,
    descendants,
    median_range,
    pin,
    split_services,
    wait_until_consuming,
    wait_until_notified,
    wrk,
    wrk_runs_here,
)

from ..notifier import PAGE

LAB = "lab5_broker"
BASELINE = "lab4_websocket"  # the same users service without the pipeline
SCRIPT = Path(__file__).with_name("register.lua")
DRAIN_SECONDS = 60  # at most, after the load, for the last notifications


def load_name(raw: str) -> str:
    """A load as typed: "max", or a whole number of registrations a second."""
    if raw != "max" and not (raw.isdigit() and int(raw) > 0):
        raise argparse.ArgumentTypeError(f"{raw!r}: give registrations a second (a whole number) or max")
    return raw


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {LAB}.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", nargs="+", choices=["rabbitmq", "kafka"], default=["rabbitmq", "kafka"])
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds of every broker")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of registering per run")
    parser.add_argument(
        "--loads", nargs="+", type=load_name, default=["250", "500", "750", "max"], help="registrations/s, or max"
    )
    parser.add_argument(
        "--baseline", action=argparse.BooleanOptionalAction, default=True,
        help="also register as fast as lab 4 takes, the same way: what the pipeline adds to a registration",
    )  # fmt: skip
    return parser.parse_args(argv)


@contextlib.contextmanager
def broker_for(name: str) -> Iterator[dict[str, str]]:
    """The lab's environment for this broker; Kafka is a Tansu broker of the run's own, on core 0."""
    if name == "rabbitmq":
        yield {"BROKER": "rabbitmq"}
        return
    from common.kafka_broker import running_kafka

    with running_kafka() as bootstrap:
        tansu = [pid for pid in children(os.getpid()) if "tansu" in Path(f"/proc/{pid}/cmdline").read_text()]
        for pid in tansu:
            pin(pid, SERVER_CORE)
        yield {"BROKER": "kafka", "KAFKA_BOOTSTRAP_SERVERS": bootstrap}


PACED_CONNECTIONS, MAX_CONNECTIONS = 4, 16


def wrk_load(load: str) -> tuple[int, float]:
    """(connections, milliseconds each pauses between requests) for a load: "max", or registrations a second."""
    if load == "max":
        return MAX_CONNECTIONS, 0.0
    return PACED_CONNECTIONS, PACED_CONNECTIONS * 1000 / float(load)


def one_run(args: argparse.Namespace, broker: str, load: str) -> dict[str, float]:
    with broker_for(broker) as env, harness.running(LAB, env) as lab:
        pin(lab.pid, SERVER_CORE)  # the users service, its Gunicorn worker, the notifier and its worker
        notifier = f"http://{lab.host}:{lab.env['NOTIFIER_HTTP_PORT']}/notifications"
        wait_until_consuming(notifier.replace("/notifications", "/healthz"), DRAIN_SECONDS)
        services = split_services(lab.pid, LAB)
        cpu_before = {name: cpu_seconds(pids) for name, pids in services.items()}
        started = time.time()
        summary = run_wrk(lab.http_url, args.seconds, load)
        # wrk does not count the requests still in flight when it stops, but the lab created those users:
        # one more registration, after the load, has the highest id, and every id up to it must be notified.
        closing = {"name": "Last", "email": "last@bench.example"}
        marker = requests.post(f"{lab.http_url}/users", json=closing, timeout=30)
        registered = int(marker.json()["id"])
        wait_until_notified(notifier, marker.json()["id"], DRAIN_SECONDS)
        spent = {name: (cpu_seconds(pids) - cpu_before[name]) / registered * 1e6 for name, pids in services.items()}
        found = wait_for_all(notifier, registered)
    notified = Counter(n["user_id"] for n in found)
    delays = sorted(seconds_between(n["event_time"], n["notified_at"]) for n in found)
    last = max(datetime.fromisoformat(n["notified_at"]).timestamp() for n in found)
    return {
        "per_second": len(found) / (last - started),
        "rest_p99_ms": summary["p99_us"] / 1000,
        "p50_ms": percentile(delays, 50) * 1000,
        "p99_ms": percentile(delays, 99) * 1000,
        "registered": registered,
        "lost": sum(1 for user_id in range(1, registered + 1) if str(user_id) not in notified),
        "twice": sum(1 for count in notified.values() if count > 1),
        "errors": summary["bad_status"] + summary["socket_errors"],
        "users_cpu_us": spent["users"],
        "notifier_cpu_us": spent["notifier"],
    }


def baseline_run(args: argparse.Namespace) -> dict[str, float]:
    """Lab 4 (no outbox, no broker, no notifier), registering as fast as it takes, on the same cores."""
    with harness.running(BASELINE) as lab:
        pin(lab.pid, SERVER_CORE)
        pids = [lab.pid, *descendants(lab.pid)]
        cpu_before = cpu_seconds(pids)
        started = time.time()
        load = run_wrk(lab.http_url, args.seconds, "max")
        closing = {"name": "Last", "email": "last@bench.example"}
        registered = int(requests.post(f"{lab.http_url}/users", json=closing, timeout=30).json()["id"])
        return {
            "per_second": registered / (time.time() - started),
            "rest_p99_ms": load["p99_us"] / 1000,
            "users_cpu_us": (cpu_seconds(pids) - cpu_before) / registered * 1e6,
            "registered": registered,
        }


def run_wrk(url: str, seconds: int, load: str) -> dict[str, int]:
    """wrk on the generator's core at this load; its summary (register.lua's done())."""
    connections, pause = wrk_load(load)
    return wrk(url, SCRIPT, seconds, connections, [secrets.token_hex(4), f"{pause:g}"])


def wait_for_all(url: str, count: int) -> list[dict[str, str]]:
    """The notifier's record once it holds `count` notifications (or DRAIN_SECONDS have passed)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while len(found := everything(url)) < count and time.monotonic() < deadline:
        time.sleep(1)
    return found


def everything(url: str) -> list[dict[str, str]]:
    """The whole record, a page (PAGE notifications) at a time."""
    found: list[dict[str, str]] = []
    while page := requests.get(url, params={"limit": PAGE, "offset": len(found)}, timeout=30).json():
        found += page
    return found


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


COLUMNS = [
    ("per_second", "registrations/s end to end", "{:,.0f}"),
    ("rest_p99_ms", "REST p99 (ms)", "{:.1f}"),
    ("p50_ms", "event → notification p50 (ms)", "{:.1f}"),
    ("p99_ms", "event → notification p99 (ms)", "{:.1f}"),
    ("users_cpu_us", "users service CPU µs/registration", "{:,.0f}"),
    ("notifier_cpu_us", "notifier CPU µs/registration", "{:,.0f}"),
]
TOTALS = ("registered", "lost", "twice")


def table(results: dict[tuple[str, str], list[dict[str, float]]]) -> str:
    """A Markdown table: the median of the runs, with their min-max; what was lost or notified twice, summed."""
    header = "| broker | load | " + " | ".join(t for _, t, _ in COLUMNS) + " | registered | lost | twice |"
    lines = [header, "|---" * (len(COLUMNS) + 5) + "|"]
    for (broker, load), runs in results.items():
        cells = [median_range([run[key] for run in runs], form) if key in runs[0] else "—" for key, _, form in COLUMNS]
        totals = [f"{sum(run[key] for run in runs):,.0f}" if key in runs[0] else "—" for key in TOTALS]
        shown = "as fast as it takes" if load == "max" else f"{load}/s offered"
        lines.append(f"| {broker} | {shown} | " + " | ".join(cells + totals) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse(argv)
    if not wrk_runs_here():
        print(WRK_NEEDS)
        return 1
    configurations = [(broker, load) for broker in args.brokers for load in args.loads]
    results: dict[tuple[str, str], list[dict[str, float]]] = {configuration: [] for configuration in configurations}
    for run in range(1, args.runs + 1):
        if args.baseline:
            print(f"run {run}/{args.runs}: lab 4, no broker, max", flush=True)
            results.setdefault(("lab 4, no broker", "max"), []).append(baseline := baseline_run(args))
            print(f"  {baseline['registered']:,.0f} registered, {baseline['per_second']:,.0f}/s", flush=True)
        for broker, load in configurations:
            print(f"run {run}/{args.runs}: {broker}, {load if load == 'max' else load + '/s'}", flush=True)
            result = one_run(args, broker, load)
            results[broker, load].append(result)
            print(
                f"  {result['registered']:,.0f} registered, {result['per_second']:,.0f}/s end to end, "
                f"p99 {result['p99_ms']:.1f} ms, {result['lost']:,.0f} lost, {result['errors']:,.0f} errors",
                flush=True,
            )
    print(f"\n{args.seconds} s of registrations per run, {args.runs} interleaved runs")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
