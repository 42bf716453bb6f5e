"""``python -m lab6_monitoring.bench``: what observing costs, lab 6 with its metrics and logs against lab 5 without.

The goal: at most 10 % fewer requests a second with metrics and JSON logs on than off. For each of
`--runs` rounds, each workload, and the three configurations interleaved (their order turns from one
round to the next): start the lab (the users service and its notifier) pinned to core 0, on the
machine's RabbitMQ under exchange and queue names of its own (deleted after), then wrk, pinned to
core 1, sends the workload as fast as the lab takes it for `--seconds`, while a thread here scrapes
both services' /metrics once a second, as Prometheus would, so that the scrapes' cost is counted.
The services write their logs to a file, as a container runtime takes their stdout: a terminal would
be slower than any format.

- lab 5: no metrics, its text log lines (the baseline)
- lab 6, text logs: metrics, a trace id and an access line per request, as text (LOG_FORMAT=text)
- lab 6, ECS logs: the same as JSON lines (the default)

Workloads: `register` (POST /users without a password: every request an event through the pipeline,
measured until the notifier has caught up) and `read` (GET /users/<id> with a token: little work per
request, so that what observing adds to each weighs the most).

It prints a line per run, then a table of medians with min-max: requests a second, how many fewer
than lab 5 (in %, round by round), the p99 latency, the CPU each service spent per request, the log
bytes written per request, and the requests, errors and missed scrapes over all runs.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from common import harness
from common.bench import (
    SERVER_CORE,
    WRK_NEEDS,
    cpu_seconds,
    median_range,
    pin,
    split_services,
    wait_until_consuming,
    wait_until_notified,
    wrk,
    wrk_runs_here,
)

LAB, BASELINE = "lab6_monitoring", "lab5_broker"
SCRIPT = Path(__file__).with_name("load.lua")
CONNECTIONS = 16  # lab 5's full speed: requests always waiting, so the server's core never idles
SCRAPE_SECONDS = 1.0  # monitoring/prometheus.yml scrapes every 5 s: once a second errs on the costly side
SCRAPE_TIMEOUT = 10.0  # Prometheus's default scrape_timeout: a slower answer is a missed scrape
DRAIN_SECONDS = 60  # at most, after the load, for the notifier to catch up
GOAL_PERCENT = 10.0  # at most this many % fewer requests a second than lab 5, with metrics and ECS logs
# Whatever the shell exports, every configuration runs the same: RabbitMQ, both services, at INFO.
COMMON_ENV = {"BROKER": "rabbitmq", "SERVICES": "users,notifier", "LOG_LEVEL": "INFO"}
DASH = "\N{EN DASH}"  # between a min and a max that may be negative


@dataclass(frozen=True)
class Configuration:
    """A way to run the same service: which lab, with what environment, and whether it has /metrics."""

    name: str
    package: str
    env: Mapping[str, str]
    metrics: bool


CONFIGURATIONS = (
    Configuration("lab 5", BASELINE, {}, metrics=False),
    Configuration("lab 6, text logs", LAB, {"LOG_FORMAT": "text"}, metrics=True),
    Configuration("lab 6, ECS logs", LAB, {"LOG_FORMAT": "ecs"}, metrics=True),
)
WORKLOADS = {"register": "registrations (POST /users)", "read": "reads (GET /users/<id>)"}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {LAB}.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds of every configuration")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    return parser.parse_args(argv)


@dataclass
class Scrapes:
    """How the scrapes of a run went: a missed one is what Prometheus would record as the target down."""

    answered: int = 0
    missed: int = 0


@contextmanager
def scraping(urls: Sequence[str]) -> Iterator[Scrapes]:
    """Scrape each of `urls` every SCRAPE_SECONDS, from a thread, for as long as the block lasts."""
    scrapes, stop = Scrapes(), threading.Event()
    thread = threading.Thread(target=scrape_until, args=(urls, stop, scrapes), daemon=True)
    thread.start()
    try:
        yield scrapes
    finally:
        stop.set()
        thread.join()


def scrape_until(urls: Sequence[str], stop: threading.Event, scrapes: Scrapes) -> None:
    """Keep the pace whatever a scrape takes, as Prometheus does (a slow answer does not delay the next)."""
    following = time.monotonic()
    with requests.Session() as session:  # Prometheus keeps its connections open between scrapes too
        while urls and not stop.is_set():
            for url in urls:
                scrape(session, url, scrapes)
            following += SCRAPE_SECONDS
            stop.wait(max(0.0, following - time.monotonic()))


def scrape(session: requests.Session, url: str, scrapes: Scrapes) -> None:
    try:
        answer = session.get(url, timeout=SCRAPE_TIMEOUT)
        answered = answer.status_code == 200 and answer.text.startswith("#")  # the text format opens with # HELP
    except requests.RequestException:
        answered = False
    scrapes.answered += answered
    scrapes.missed += not answered


def reader(url: str) -> list[str]:
    """The read workload's arguments: a user of the run's own, logged in (one Argon2 hash, before the load)."""
    credentials = {"email": f"reader-{secrets.token_hex(4)}@bench.example", "password": secrets.token_urlsafe(16)}
    created = requests.post(f"{url}/users", json={"name": "Bench Reader", **credentials}, timeout=30)
    created.raise_for_status()
    login = requests.post(f"{url}/auth/login", json=credentials, timeout=30)
    login.raise_for_status()
    return ["read", str(created.json()["id"]), login.json()["access_token"]]


def registered_after_load(url: str, notifier: str) -> int:
    """Users registered by the load, once the notifier has caught up with it.

    wrk does not count the requests still in flight when it stops, but the lab made those users:
    one more registration, after the load, has the highest id, and its notification comes last.
    """
    marker = requests.post(f"{url}/users", json={"name": "Last", "email": "last@bench.example"}, timeout=30)
    marker.raise_for_status()
    wait_until_notified(f"{notifier}/notifications", marker.json()["id"], DRAIN_SECONDS)
    return int(marker.json()["id"])


def one_run(configuration: Configuration, workload: str, seconds: int) -> dict[str, float]:
    """One configuration under one workload, from a fresh start; its log deleted once measured."""
    with harness.running(configuration.package, {**COMMON_ENV, **configuration.env}) as lab:
        figures = measure(lab, configuration, workload, seconds)
    lab.log_path.unlink(missing_ok=True)  # megabytes a run; a failed run keeps its log, to read
    return figures


def measure(lab: harness.LabProcess, configuration: Configuration, workload: str, seconds: int) -> dict[str, float]:
    """Load the lab while scraping it; the CPU and log bytes counted until the pipeline has caught up."""
    pin(lab.pid, SERVER_CORE)  # the users service, its Gunicorn worker, the notifier and its worker
    notifier = f"http://{lab.host}:{lab.env['NOTIFIER_HTTP_PORT']}"
    wait_until_consuming(f"{notifier}/healthz", DRAIN_SECONDS)
    args = reader(lab.http_url) if workload == "read" else ["register", secrets.token_hex(4)]
    services = split_services(lab.pid, configuration.package)
    cpu_before = {name: cpu_seconds(pids) for name, pids in services.items()}
    log_before = lab.log_path.stat().st_size
    metrics = [f"{lab.http_url}/metrics", f"{notifier}/metrics"] if configuration.metrics else []
    with scraping(metrics) as scrapes:
        summary = wrk(lab.http_url, SCRIPT, seconds, CONNECTIONS, args)
        handled = registered_after_load(lab.http_url, notifier) if workload == "register" else summary["requests"]
        spent = {name: cpu_seconds(pids) - cpu_before[name] for name, pids in services.items()}
    return {
        "per_second": summary["requests"] / (summary["duration_us"] / 1e6),
        "p99_ms": summary["p99_us"] / 1000,
        "users_cpu_us": spent["users"] / handled * 1e6,
        "notifier_cpu_us": spent["notifier"] / handled * 1e6,
        "log_bytes": (lab.log_path.stat().st_size - log_before) / handled,
        "requests": summary["requests"],
        "errors": summary["bad_status"] + summary["socket_errors"],
        "scrapes": scrapes.answered,
        "scrapes_missed": scrapes.missed,
    }


def in_turn(run: int) -> tuple[Configuration, ...]:
    """The configurations in this round's order: each goes first in turn, so that none always runs first or last."""
    shift = (run - 1) % len(CONFIGURATIONS)
    return CONFIGURATIONS[shift:] + CONFIGURATIONS[:shift]


def progress(result: dict[str, float], configuration: Configuration) -> str:
    line = (
        f"  {result['requests']:,.0f} requests, {result['per_second']:,.0f}/s, p99 {result['p99_ms']:.1f} ms, "
        f"{result['errors']:,.0f} errors"
    )
    if configuration.metrics:
        line += f", {result['scrapes']:,.0f} scrapes, {result['scrapes_missed']:,.0f} missed"
    return line


Results = dict[tuple[str, str], list[dict[str, float]]]


def fewer(results: Results, workload: str, name: str) -> list[float]:
    """% fewer requests a second than lab 5, round by round: a round's runs are minutes apart, not more."""
    baseline = results[workload, CONFIGURATIONS[0].name]
    paired = zip(baseline, results[workload, name], strict=True)
    return [(1 - run["per_second"] / base["per_second"]) * 100 for base, run in paired]


COLUMNS = [
    ("per_second", "requests/s", "{:,.0f}"),
    ("p99_ms", "p99 (ms)", "{:.1f}"),
    ("users_cpu_us", "users service CPU µs/request", "{:,.0f}"),
    ("notifier_cpu_us", "notifier CPU µs/request", "{:,.0f}"),
    ("log_bytes", "log bytes/request", "{:,.0f}"),
]
TOTALS = ("requests", "errors", "scrapes_missed")


def row(results: Results, workload: str, configuration: Configuration) -> str:
    runs = results[workload, configuration.name]
    baseline = configuration is CONFIGURATIONS[0]
    cost = "—" if baseline else median_range(fewer(results, workload, configuration.name), "{:.1f}", DASH)
    cells = [median_range([run[key] for run in runs], form, DASH) for key, _, form in COLUMNS]
    totals = [f"{sum(run[key] for run in runs):,.0f}" for key in TOTALS]
    if not configuration.metrics:
        totals[-1] = "—"  # nothing to scrape
    return "| " + " | ".join([WORKLOADS[workload], configuration.name, cells[0], cost, *cells[1:], *totals]) + " |"


def table(results: Results, workloads: Sequence[str]) -> str:
    """A Markdown table: the median of the runs, with their min-max; requests, errors and missed scrapes, summed."""
    titles = ["workload", "configuration", COLUMNS[0][1], "fewer requests/s than lab 5 (%)"]
    titles += [title for _, title, _ in COLUMNS[1:]] + ["requests", "errors", "scrapes missed"]
    lines = ["| " + " | ".join(titles) + " |", "|---" * len(titles) + "|"]
    lines += [row(results, workload, configuration) for workload in workloads for configuration in CONFIGURATIONS]
    return "\n".join(lines)


def verdict(results: Results, workload: str) -> str:
    """The goal, for one workload: lab 6 as it ships (ECS logs) against lab 5, the median of the rounds."""
    cost = statistics.median(fewer(results, workload, CONFIGURATIONS[-1].name))
    within = "within" if cost <= GOAL_PERCENT else "over"
    return (
        f"{WORKLOADS[workload]}: lab 6 with ECS logs serves {cost:.1f} % fewer requests/s than lab 5, "
        f"{within} the goal of at most {GOAL_PERCENT:.0f} %"
    )


def main(argv: list[str]) -> int:
    args = parse(argv)
    if not wrk_runs_here():
        print(WRK_NEEDS)
        return 1
    results: Results = {(workload, c.name): [] for workload in args.workloads for c in CONFIGURATIONS}
    for run in range(1, args.runs + 1):
        for workload in args.workloads:
            for configuration in in_turn(run):
                print(f"run {run}/{args.runs}: {workload}, {configuration.name}", flush=True)
                result = one_run(configuration, workload, args.seconds)
                results[workload, configuration.name].append(result)
                print(progress(result, configuration), flush=True)
    print(f"\n{args.seconds} s of each workload per run, {args.runs} interleaved runs, {CONNECTIONS} connections")
    print(table(results, args.workloads))
    print("\n" + "\n".join(verdict(results, workload) for workload in args.workloads))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
