"""The text of docs/rest-vs-grpc.md, one function per section; every figure is read from the results."""

from __future__ import annotations

import math
import statistics

from . import machine, profile
from .codec import FORMATS, CodecRow
from .scenario import FLOOR, OPERATIONS, SEED_USERS, SINGLE_USER_OPERATIONS
from .study import (
    C_GENERATOR,
    EXAMPLE_PORTS,
    GOAL,
    GRPC_HELLO,
    GUNICORN,
    LAB,
    LOAD_CORE,
    ORDER,
    SERVER_CORE,
    TRANSPORTS,
    WAITRESS,
    Results,
    Row,
)

DATA = "rest-vs-grpc"
NAMES = {"rest": "REST", "grpc": "gRPC"}
LISTS = ("list_100", "list_1000")
# Packages whose time is the service's own work (its code, validation, messages), not the server's.
SERVICE_PACKAGES = ("lab2_grpc", "pydantic", "pydantic_core", "google", "json")
SERVER_LABELS = {GUNICORN: "Gunicorn (the lab's)", WAITRESS: "Waitress (before)", GRPC_HELLO: "grpcio"}


# --- picking and formatting numbers ---------------------------------------------------------------


def floor_server(transport: str) -> str:
    return GUNICORN if transport == "rest" else GRPC_HELLO


def pick(
    results: Results, phase: str, transport: str, op: str, generator: str = "locust", server: str | None = None
) -> list[Row]:
    return [
        row
        for row in results.rows
        if (row.phase, row.transport, row.op, row.generator) == (phase, transport, op, generator)
        and (server is None or row.server == server)
    ]


def c_rows(results: Results, transport: str, op: str, server: str | None = None) -> list[Row]:
    """The C generator's ceilings of `op` (for the floor: on the transport's own floor server)."""
    where = server or (floor_server(transport) if op == FLOOR else LAB)
    return pick(results, "max", transport, op, C_GENERATOR[transport], where)


def spread(rows: list[Row], attribute: str) -> tuple[float, float, float]:
    """(median, min, max) of one column over the runs; NaN when nothing was measured."""
    values = [getattr(row, attribute) for row in rows if not math.isnan(getattr(row, attribute))]
    if not values:
        return (math.nan,) * 3
    return statistics.median(values), min(values), max(values)


def c_median(results: Results, transport: str, op: str, attribute: str = "rps", server: str | None = None) -> float:
    return spread(c_rows(results, transport, op, server), attribute)[0]


def fmt(value: float, digits: int = 0) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def fmt_ratio(value: float) -> str:
    """A ratio to the goal, with a third decimal where two would round it across the goal (0.795 is not 0.80)."""
    if not math.isnan(value) and round(value, 2) >= GOAL > value:
        return f"{value:.3f}"
    return fmt(value, 2)


def fmt_spread(values: tuple[float, float, float], digits: int = 0) -> str:
    median, low, high = values
    if math.isnan(median):
        return "-"
    if low == high:
        return fmt(median, digits)
    return f"{fmt(median, digits)} ({fmt(low, digits)}-{fmt(high, digits)})"


def pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.0f} %"


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def floor_ratio(results: Results, transport: str, op: str) -> tuple[float, float]:
    """(requests/s ÷ the floor's, floor CPU per call ÷ the operation's): what a client sees, what the server allows."""
    rps = ratio(c_median(results, transport, op), c_median(results, transport, FLOOR))
    cpu = ratio(
        c_median(results, transport, FLOOR, "server_cpu_us_per_request"),
        c_median(results, transport, op, "server_cpu_us_per_request"),
    )
    return rps, cpu


def grpc_over_rest(results: Results, op: str, attribute: str = "rps") -> float:
    return ratio(c_median(results, "grpc", op, attribute), c_median(results, "rest", op, attribute))


def codec_row(results: Results, users: int, format_name: str) -> CodecRow | None:
    return next((row for row in results.codec if (row.users, row.format) == (users, format_name)), None)


def profile_name(transport: str, op: str, server: str) -> str:
    return profile.stem(transport, op, server)


# --- the goals ------------------------------------------------------------------------------------


def single_goal(results: Results, transport: str, op: str) -> bool:
    return floor_ratio(results, transport, op)[0] >= GOAL


def list_goal(results: Results, op: str) -> bool:
    return grpc_over_rest(results, op) >= 1.0


def codec_goal(results: Results, attribute: str) -> bool | None:
    """protobuf at least as fast as JSON for `attribute` (encode_us, decode_us) at every size; None if unmeasured."""
    sizes = sorted({row.users for row in results.codec})
    pairs = [(codec_row(results, n, "protobuf"), codec_row(results, n, "json")) for n in sizes]
    if not pairs or any(p is None or j is None for p, j in pairs):
        return None
    return all(getattr(p, attribute) <= getattr(j, attribute) for p, j in pairs)  # type: ignore[union-attr]


def cpu_misses(results: Results) -> list[tuple[str, str]]:
    """Single-user calls that meet the goal in requests/s but not in server CPU per call."""
    return [
        (transport, op)
        for transport in TRANSPORTS
        for op in SINGLE_USER_OPERATIONS
        if single_goal(results, transport, op) and floor_ratio(results, transport, op)[1] < GOAL
    ]


def met(flag: bool | None) -> str:
    return "-" if flag is None else ("met" if flag else "**not met**")


def misses(results: Results) -> list[tuple[str, str]]:
    return [
        (transport, op)
        for transport in TRANSPORTS
        for op in SINGLE_USER_OPERATIONS
        if not math.isnan(floor_ratio(results, transport, op)[0]) and not single_goal(results, transport, op)
    ]


# --- the page -------------------------------------------------------------------------------------


def intro(results: Results) -> str:
    return "\n".join(
        [
            "# REST vs gRPC: a measured comparison",
            "",
            "The same user service (lab 2) answers over REST (JSON over HTTP/1.1, Flask under Gunicorn) and over "
            "gRPC (protobuf over HTTP/2, grpcio's thread-pool server), from one process and one store, exactly "
            "as `python -m lab2_grpc` runs it. This page is written by the study itself "
            "(`python -m lab2_grpc.bench`, or `./run_all.sh bench`); every number on it comes from the run "
            f"described under *How it was measured*, which took {results.seconds / 60:.1f} minutes. Your machine "
            "will give other numbers: *Your study* at the end says what to change and what to look for.",
        ]
    )


def summary(results: Results) -> str:
    lines = ["## What this run found", ""]
    g_floor, r_floor = c_median(results, "grpc", FLOOR), c_median(results, "rest", FLOOR)
    w_floor = c_median(results, "rest", FLOOR, server=WAITRESS)
    lines.append(
        f"- **The floors.** A bare hello reached {fmt(r_floor)} requests/s on the lab's Gunicorn, "
        f"{fmt(w_floor)} on Waitress (the server the lab used before) and {fmt(g_floor)} on grpcio, "
        f"measured by C load generators (wrk, h2load) with {results.options.users} calls in flight. "
        f"Gunicorn's floor is {fmt(ratio(r_floor, w_floor), 2)}x Waitress's: the lab now starts from a "
        f"{'lower' if r_floor < w_floor else 'higher'} ceiling for REST (see *The server*)."
    )
    single = []
    for transport in TRANSPORTS:
        parts = [f"`{op}` {fmt_ratio(floor_ratio(results, transport, op)[0])}x" for op in SINGLE_USER_OPERATIONS]
        single.append(f"{NAMES[transport]}: " + ", ".join(parts))
    missed = misses(results)
    verdict = (
        "every one meets the goal of 0.8x"
        if not missed
        else "below the goal of 0.8x: " + ", ".join(f"{NAMES[t]} `{op}`" for t, op in missed) + " (profiled below)"
    )
    costly = cpu_misses(results)
    if costly:
        verdict += (
            "; on server CPU per call, "
            + ", ".join(f"{NAMES[t]} `{op}` {fmt(floor_ratio(results, t, op)[1], 2)}x" for t, op in costly)
            + " fall below it (profiled below)"
        )
    lines.append(f"- **Single calls against their floor.** {'; '.join(single)}: {verdict}.")
    lines.append(
        "- **Lists.** gRPC answered "
        + " and ".join(f"`{op}` at {fmt(grpc_over_rest(results, op), 2)}x REST's requests/s" for op in LISTS)
        + f", using {fmt(grpc_over_rest(results, 'list_1000', 'server_cpu_us_per_request'), 2)}x REST's server "
        "CPU per call for 1,000 users."
    )
    json_row, proto_row = codec_row(results, 1000, "json"), codec_row(results, 1000, "protobuf")
    if json_row and proto_row:
        lines.append(
            f"- **Serialisation.** 1,000 users encode in {fmt(proto_row.encode_us)} µs as protobuf and "
            f"{fmt(json_row.encode_us)} µs as JSON, and decode in {fmt(proto_row.decode_us)} µs and "
            f"{fmt(json_row.decode_us)} µs; protobuf's {proto_row.bytes:,} bytes are "
            f"{fmt(100 * proto_row.bytes / json_row.bytes)} % of JSON's {json_row.bytes:,}. How the service "
            "builds its messages decides the encode time (see *Serialisation*)."
        )
    locust = {
        transport: statistics.median(
            [
                ratio(spread(pick(results, "max", transport, op), "rps")[0], c_median(results, transport, op))
                for op in ORDER
            ]
            or [math.nan]
        )
        for transport in TRANSPORTS
    }
    lines.append(
        f"- **Locust.** The Python load generator reached a median {pct(locust['rest'])} of wrk's rate on REST and "
        f"{pct(locust['grpc'])} of h2load's on gRPC, spending far more CPU per call than either (see *What the "
        "load generator costs*): a ceiling measured with it can be its own."
    )
    wire = {(row.transport, row.op): row for row in results.wire}
    if ("rest", "get") in wire and ("grpc", "get") in wire:
        rest, grpc = wire[("rest", "get")], wire[("grpc", "get")]
        lines.append(
            f"- **On the wire.** A `get` is {rest.request_bytes + rest.response_bytes:,.0f} bytes over REST and "
            f"{grpc.request_bytes + grpc.response_bytes:,.0f} over gRPC, headers and framing included: HTTP/2 "
            "compresses repeated headers (HPACK) and protobuf drops the field names."
        )
    return "\n".join(lines)


def goals(results: Results) -> str:
    lines = [
        "## Goals",
        "",
        "| goal | this run | |",
        "| --- | --- | --- |",
    ]
    for transport in TRANSPORTS:
        cells = ", ".join(f"{op} {fmt_ratio(floor_ratio(results, transport, op)[0])}x" for op in SINGLE_USER_OPERATIONS)
        ok = all(single_goal(results, transport, op) for op in SINGLE_USER_OPERATIONS)
        lines.append(
            f"| each single-user call at ≥ {GOAL}x its floor's requests/s, {NAMES[transport]} | {cells} "
            f"| {met(ok)}{'' if ok else ' (profiled under *Where the time goes*)'} |"
        )
    for op in LISTS:
        lines.append(
            f"| gRPC `{op}` at least as fast as REST | {fmt(grpc_over_rest(results, op), 2)}x REST "
            f"| {met(list_goal(results, op))} |"
        )
    for attribute, word in (("encode_us", "encode"), ("decode_us", "decode")):
        sizes = sorted({row.users for row in results.codec})
        cells = ", ".join(
            f"{n:,}: {fmt(getattr(codec_row(results, n, 'protobuf'), attribute), 1)} vs "
            f"{fmt(getattr(codec_row(results, n, 'json'), attribute), 1)} µs"
            for n in sizes
            if codec_row(results, n, "protobuf") and codec_row(results, n, "json")
        )
        lines.append(
            f"| protobuf {word} at least as fast as JSON, in-process (users: protobuf vs JSON) | {cells} "
            f"| {met(codec_goal(results, attribute))} |"
        )
    return "\n".join(lines)


GLOSSARY = [
    (
        "requests/s (req/s)",
        "calls answered per second with the load generator sending as fast as it can: the "
        "ceiling at this many calls in flight.",
    ),
    (
        "p50, p99",
        "percentiles of latency: half of the calls took less than p50; 99 in 100 took less than p99. "
        "p99 shows the slow tail a mean hides.",
    ),
    (
        "floor",
        "the same server stack answering a bare hello that does nothing: the most any call can reach "
        "on it. Dividing a call's requests/s by the floor's says how much the service itself costs.",
    ),
    (
        "server CPU per call",
        "the server process's CPU time (user + system, from `/proc/PID/stat`) during a "
        "window, divided by the calls answered: the server's cost, whoever generates the load.",
    ),
    (
        "pinning",
        "binding a process to one CPU core (`taskset -c N`), so that the server and the load "
        "generator do not take turns on the same core and the server's numbers are its own.",
    ),
    (
        "C generator",
        "a load generator written in C (wrk, h2load): a few µs of CPU per call, so the server, "
        "not the generator, sets the ceiling. Locust runs Python per call and can become the limit.",
    ),
    (
        "GIL",
        "CPython's global interpreter lock: one thread runs Python code at a time. Threads overlap "
        "waiting (sockets, C code that releases the lock) but not Python work, so one process's Python "
        "runs on one core however many threads it has.",
    ),
    (
        "HPACK",
        "HTTP/2's header compression: a header already sent on a connection travels as a small index "
        "into a table both ends keep, instead of as text again.",
    ),
    ("h2c", "HTTP/2 in cleartext (no TLS), what gRPC uses here on the loopback."),
    (
        "upb",
        "protobuf's C core in Python: it parses and serialises in C, and makes a Python object for a "
        "field only when the field is read.",
    ),
]


def glossary() -> str:
    return "\n".join(["## Glossary", "", *(f"- **{term}**: {text}" for term, text in GLOSSARY)])


def setup(results: Results, command: str) -> str:
    facts = machine.describe()
    o = results.options
    return "\n".join(
        [
            "## How it was measured",
            "",
            f"- Produced by `{command}` in {results.seconds / 60:.1f} minutes.",
            f"- Machine: {facts['CPU']}, {facts['cores']} cores, Linux {facts['kernel']}, Python {facts['Python']}.",
            "- Libraries: " + ", ".join(f"{name} {facts[name]}" for name in machine.PACKAGES) + ".",
            f"- Tools: {facts['tools']}.",
            f"- Pinning: every server on core {SERVER_CORE} (`taskset -c {SERVER_CORE}`), every load generator "
            f"(wrk, h2load, Locust, py-spy) on core {LOAD_CORE}, so a server never shares its core with its own load.",
            "- Servers: the lab itself (`python -m lab2_grpc`: Gunicorn with one worker process and 8 threads for "
            "REST, grpcio with 16 threads beside it for gRPC, one store), and three floors, each a bare hello in "
            "a process of its own: a one-route Flask app under the lab's own Gunicorn setup, the same app under "
            "Waitress with 8 threads (the lab's previous server), and a raw-bytes method on a grpcio server with "
            "the lab's gRPC settings (no protobuf, no call-budget interceptor).",
            f"- Ceilings: {o.runs} interleaved runs of every call on both transports, {o.duration:g} s each after "
            f"{o.warmup:g} s of warm-up, alternating which transport goes first; wrk for REST, h2load for gRPC, "
            f"{o.users} connections with one call in flight on each. Tables give the median, with min-max over "
            "the runs in brackets.",
            f"- Locust: the same calls once more ({o.locust_duration:g} s each), and then at a fixed rate for "
            f"latency ({o.latency_duration:g} s each), as a Python client sees them.",
            f"- Data: the lab starts empty and the study creates the same {SEED_USERS:,} users over REST; `get` "
            "reads user 1 and `update` rewrites user 2 with its own email, `create` adds new users and `delete` "
            "removes those, one per call (a delete window ends when they run out). gRPC's delete requests are "
            "padded to one size with a field the server skips (h2load sends one size; see generators.py).",
            "- Failures: none of the figures below counts a failed call as a success; the raw rows "
            f"([measurements.csv]({DATA}/measurements.csv)) have a failures column. h2load counts HTTP statuses "
            "only, so a gRPC failure (HTTP 200 with an error status in the trailers and no message) is counted "
            "from the bytes of the answers: one message per successful call.",
            f"- Raw data: [measurements.csv]({DATA}/measurements.csv), [serialisation.csv]({DATA}/serialisation.csv), "
            f"[wire.csv]({DATA}/wire.csv), [in-process.csv]({DATA}/in-process.csv) and the profiles beside them.",
            "",
            "Caveat: the machine may be shared; other work on it shows as wide min-max ranges. With "
            f"{o.users} calls in flight, a server core is often not fully busy (the *busy* columns): each call "
            "also waits on hand-offs between threads and on the round trip, so requests/s is the ceiling at this "
            "concurrency, and the server CPU per call is the cost that does not depend on it.",
        ]
    )


def throughput(results: Results, files: dict[str, str]) -> str:
    lines = [
        "## Maximum throughput (C generators)",
        "",
        "| call | REST req/s (wrk) | gRPC req/s (h2load) | gRPC ÷ REST | REST CPU µs/call | gRPC CPU µs/call "
        "| server core busy REST / gRPC | generator core busy wrk / h2load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for op in ORDER:
        rest, grpc = c_rows(results, "rest", op), c_rows(results, "grpc", op)
        r, g = spread(rest, "rps"), spread(grpc, "rps")
        lines.append(
            f"| {op} | {fmt_spread(r)} | {fmt_spread(g)} | {fmt(ratio(g[0], r[0]), 2)} "
            f"| {fmt_spread(spread(rest, 'server_cpu_us_per_request'))} "
            f"| {fmt_spread(spread(grpc, 'server_cpu_us_per_request'))} "
            f"| {pct(spread(rest, 'server_core_busy')[0])} / {pct(spread(grpc, 'server_core_busy')[0])} "
            f"| {pct(spread(rest, 'generator_core_busy')[0])} / {pct(spread(grpc, 'generator_core_busy')[0])} |"
        )
    failed = sum(row.failures for row in results.rows if row.phase == "max")
    busy = {
        transport: [row.server_core_busy for op in ORDER for row in c_rows(results, transport, op)]
        for transport in TRANSPORTS
    }
    lines += [
        "",
        "`hello` is the floor of each transport (Gunicorn's for REST). "
        f"Failed calls in all ceiling windows: {failed:,}.",
        "",
        "With one call in flight on each of the connections, neither server keeps its core busy all the time "
        f"(REST {pct(min(busy['rest'] or [math.nan]))}-{pct(max(busy['rest'] or [math.nan]))}, gRPC "
        f"{pct(min(busy['grpc'] or [math.nan]))}-{pct(max(busy['grpc'] or [math.nan]))} over the windows): "
        "between two calls on a connection the request and the answer cross threads and the loopback, and "
        "grpcio in particular passes every call through one polling thread and a pool. How much of that "
        "waiting overlaps varies from window to window, which is why gRPC's ranges are wide; the server CPU "
        "per call does not depend on it and varies far less. A window where the core stayed near 100 % busy "
        "shows what the server could do.",
        "",
        f"![Maximum requests/s, split into single calls and lists]({DATA}/{files['throughput']})",
        "",
        f"![Server CPU per call]({DATA}/{files['cpu']})",
    ]
    return "\n".join(lines)


def floors(results: Results, files: dict[str, str]) -> str:
    rows = []
    for transport, server in (("rest", GUNICORN), ("rest", WAITRESS), ("grpc", GRPC_HELLO)):
        measured = c_rows(results, transport, FLOOR, server)
        rows.append(
            f"| {NAMES[transport]} on {SERVER_LABELS[server]} | {C_GENERATOR[transport]} "
            f"| {fmt_spread(spread(measured, 'rps'))} | {fmt_spread(spread(measured, 'server_cpu_us_per_request'))} "
            f"| {pct(spread(measured, 'server_core_busy')[0])} |"
        )
    gunicorn, waitress = c_median(results, "rest", FLOOR), c_median(results, "rest", FLOOR, server=WAITRESS)
    gunicorn_cpu = c_median(results, "rest", FLOOR, "server_cpu_us_per_request")
    waitress_cpu = c_median(results, "rest", FLOOR, "server_cpu_us_per_request", WAITRESS)
    lines = [
        "## The server",
        "",
        "The floors, and the HTTP server the lab changed. The lab serves REST with Gunicorn (one worker process, "
        "the `gthread` worker with 8 threads, keep-alive) where it used Waitress before. Both serve the same "
        "hello app here, measured by the same wrk runs, interleaved; the Gunicorn floor is the one the lab's "
        "calls are held to.",
        "",
        "| floor | generator | req/s | server CPU µs/call | server core busy |",
        "| --- | --- | ---: | ---: | ---: |",
        *rows,
        "",
        f"Gunicorn's hello reached {fmt(ratio(gunicorn, waitress), 2)}x Waitress's requests/s, at "
        f"{fmt(ratio(gunicorn_cpu, waitress_cpu), 2)}x its CPU per call.",
        "",
        _floor_difference(results),
        "",
        f"![The floors]({DATA}/{files['floors']})",
    ]
    return "\n".join(lines)


def profile_cpu(results: Results, key: tuple[str, str, str]) -> float:
    """The server CPU per call (C generators' median) of the call a profile was taken under."""
    transport, op, server = key
    return c_median(results, transport, op, "server_cpu_us_per_request", None if server == LAB else server)


def package_costs(results: Results, key: tuple[str, str, str]) -> dict[str, float]:
    """≈ µs per call by package: its share of the Python samples times the server CPU per call."""
    cpu = profile_cpu(results, key)
    return {package: share / 100 * cpu for package, share in results.profiles[key][1]}


def cost_comparison(results: Results, base: tuple[str, str, str], other: tuple[str, str, str]) -> list[str]:
    """A table of ≈ µs per call by package in two profiles, largest difference first."""
    first, second = package_costs(results, base), package_costs(results, other)
    packages = sorted(set(first) | set(second), key=lambda name: -abs(second.get(name, 0) - first.get(name, 0)))
    lines = [
        f"| package | {_profile_label(base)} µs | {_profile_label(other)} µs | difference µs |",
        "| --- | ---: | ---: | ---: |",
    ]
    for package in packages[:10]:
        a, b = first.get(package, 0.0), second.get(package, 0.0)
        lines.append(f"| {package} | {a:.0f} | {b:.0f} | {b - a:+.0f} |")
    total_a, total_b = profile_cpu(results, base), profile_cpu(results, other)
    lines.append(f"| **all (server CPU per call)** | {fmt(total_a)} | {fmt(total_b)} | {total_b - total_a:+.0f} |")
    return lines


def _floor_difference(results: Results) -> str:
    """What the two floor profiles say the difference is, if both were taken."""
    gunicorn, waitress = ("rest", FLOOR, GUNICORN), ("rest", FLOOR, WAITRESS)
    if gunicorn not in results.profiles or waitress not in results.profiles:
        return ""
    return "\n".join(
        [
            "Where the difference goes, from the two floors' profiles (≈ µs per call: each package's share of the "
            "Python samples times the server CPU per call; time outside Python is spread over the packages with it):",
            "",
            *cost_comparison(results, waitress, gunicorn),
            "",
            "Gunicorn's gthread worker waits for each request in its main loop (`selectors`, and the lab's own "
            "`http_server.py`, which collects a request's head there before a thread gets it), hands it to a "
            "thread pool (`concurrent`), and formats an access-log line per request; Waitress parses and "
            "answers in its asyncore loop with fewer hand-offs. Both are pure Python. The lab chose Gunicorn "
            "for what it does besides speed (a supervising master, graceful reloads, the limits and stop rules "
            "in `http_server.py`); this table is what that costs per call.",
        ]
    )


def against_floor(results: Results) -> str:
    lines = [
        "## Against the floor",
        "",
        f"Goal: every single-user call at ≥ {GOAL}x its floor's requests/s, on both transports. The second pair "
        "of columns compares server CPU per call instead (the floor's ÷ the call's): what the server alone would "
        "allow if nothing else limited it.",
        "",
        "| call | REST x floor (req/s) | gRPC x floor (req/s) | REST x floor (CPU) | gRPC x floor (CPU) | goal |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for op in OPERATIONS:
        rest, grpc = floor_ratio(results, "rest", op), floor_ratio(results, "grpc", op)
        if op in SINGLE_USER_OPERATIONS:
            goal = ", ".join(f"{NAMES[t]} {met(single_goal(results, t, op))}" for t in TRANSPORTS)
        else:
            goal = "(a list: not held to it)"
        lines.append(
            f"| {op} | {fmt_ratio(rest[0])} | {fmt_ratio(grpc[0])} | {fmt(rest[1], 2)} | {fmt(grpc[1], 2)} | {goal} |"
        )
    notes = _shortfalls(results)
    lines += ["", *notes] if notes else ["", "Every single-user call meets the goal on both transports."]
    costly = cpu_misses(results)
    if costly:
        names = ", ".join(f"{NAMES[t]} `{op}` ({fmt(floor_ratio(results, t, op)[1], 2)}x)" for t, op in costly)
        lines += [
            "",
            f"Met on requests/s but not on server CPU per call: {names}. The floor's core was less busy than the "
            "call's (see the *busy* columns), so part of the call's extra cost fitted into time the floor spent "
            "waiting; on a saturated server the CPU ratio is the one that would show. These calls are profiled "
            "under *Where the time goes* as well.",
        ]
    return "\n".join(lines)


def _shortfalls(results: Results) -> list[str]:
    """For each single-user call under the goal, what this run's own data says the time went to."""
    alone = {(row.transport, row.op): row.us_per_call for row in results.inprocess}
    notes = []
    for transport, op in misses(results):
        server = c_median(results, transport, op, "server_cpu_us_per_request")
        floor = c_median(results, transport, FLOOR, "server_cpu_us_per_request")
        extra = alone.get((transport, op), math.nan) - alone.get((transport, FLOOR), math.nan)
        notes.append(
            f"- {NAMES[transport]} `{op}`: {fmt(server - floor)} µs more server CPU per call than the floor, of "
            f"which {fmt(extra)} µs is the app's own work (the same call without a server, see *The app alone*). "
            f"Profile: [{profile_name(transport, op, LAB)}.csv]({DATA}/{profile_name(transport, op, LAB)}.csv), "
            "summed up under *Where the time goes*."
        )
    return ["Where the goal is missed:", "", *notes] if notes else []


def generators(results: Results, files: dict[str, str]) -> str:
    lines = [
        "## What the load generator costs",
        "",
        "The same calls from Locust (one run, the Python user's view: its REST user is geventhttpclient, its gRPC "
        "user grpcio under gevent) beside the C generators. Same core, same servers, same number of connections.",
        "",
        "| call | REST: wrk | Locust | Locust ÷ wrk | gRPC: h2load | Locust | Locust ÷ h2load "
        "| generator core busy wrk / Locust / h2load / Locust | generator CPU µs/call wrk / Locust / h2load / Locust |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for op in ORDER:
        cells, busy, cost = [], [], []
        for transport in TRANSPORTS:
            c, locust = c_rows(results, transport, op), pick(results, "max", transport, op)
            c_rps, l_rps = spread(c, "rps")[0], spread(locust, "rps")[0]
            cells += [fmt(c_rps), fmt(l_rps), fmt(ratio(l_rps, c_rps), 2)]
            for rows in (c, locust):
                share = spread(rows, "generator_core_busy")[0]
                busy.append(pct(share))
                cost.append(fmt(1e6 * ratio(share, spread(rows, "rps")[0])))
        lines.append(f"| {op} | " + " | ".join(cells) + f" | {' / '.join(busy)} | {' / '.join(cost)} |")
    lines += [
        "",
        _locust_reading(results),
        "",
        f"![C generators and Locust]({DATA}/{files['generators']})",
    ]
    return "\n".join(lines)


def _locust_reading(results: Results) -> str:
    def typical(transport: str, generator: str, attribute: str) -> float:
        values = [
            spread(
                c_rows(results, transport, op) if generator != "locust" else pick(results, "max", transport, op),
                attribute,
            )[0]
            for op in ORDER
        ]
        values = [value for value in values if not math.isnan(value)]
        return statistics.median(values) if values else math.nan

    parts = []
    for transport in TRANSPORTS:
        c_gen = C_GENERATOR[transport]
        share = statistics.median(
            [
                ratio(spread(pick(results, "max", transport, op), "rps")[0], c_median(results, transport, op))
                for op in ORDER
            ]
        )
        busy = typical(transport, "locust", "generator_core_busy")
        parts.append(
            f"Locust's {NAMES[transport]} user reached a median {fmt(share, 2)}x {c_gen}'s rate with its core "
            f"{pct(busy)} busy"
        )
    return (
        "; ".join(parts) + ". A generator whose core is near 100 % busy cannot go faster: its figure is its own "
        "ceiling, and it lands near the server's only where the server, too, is held back by something other "
        "than its CPU (here the round trips at this many calls in flight: see the *busy* columns of the "
        "throughput table). A generator far from busy that still falls short is slowed by its own latency per "
        "call (gevent scheduling, Python's HTTP parsing). The CPU per call says what each tool spends to make one "
        "call: the C generators a few tens of µs, Locust several times more, so on one core Locust runs out at a "
        "few thousand calls a second, and a faster server would leave it behind. Locust is still the right "
        "tool to describe users (a mix of calls, think times, a web UI, Python you can read); it is the wrong "
        "ruler for a server's ceiling."
    )


def latency(results: Results, files: dict[str, str]) -> str:
    lines = [
        "## Latency at the same fixed rate",
        "",
        "Both transports get the same constant rate, from Locust: half of the lower of their two Locust ceilings, "
        "spread over the users with `constant_throughput`. At half load queueing is small, and the percentiles show "
        "the time of one call as a Python client measures it (its own time included).",
        "",
        "| call | rate req/s | REST p50 / p95 / p99 ms | gRPC p50 / p95 / p99 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for op in OPERATIONS:
        rest, grpc = pick(results, "latency", "rest", op), pick(results, "latency", "grpc", op)
        if not rest or not grpc:
            continue

        def triple(rows: list[Row]) -> str:
            return " / ".join(fmt(spread(rows, name)[0], 2) for name in ("p50_ms", "p95_ms", "p99_ms"))

        lines.append(f"| {op} | {fmt(rest[0].target_rate)} | {triple(rest)} | {triple(grpc)} |")
    lines += ["", f"![p99 latency]({DATA}/{files['latency']})"]
    return "\n".join(lines)


def serialisation(results: Results, files: dict[str, str]) -> str:
    lines = [
        "## Serialisation: bytes and time (in-process)",
        "",
        "*Encode* is the server's work from stored users to bytes: `to_dict` and Flask's JSON, or the service's "
        "`list_response` and `SerializeToString`. *Decode* is the client's, from bytes to Python objects: "
        "`json.loads`, or `FromString`. *Decode + read* also reads every field of every user once: upb parses "
        "the whole message at once, in C, but makes a Python object for a field only when it is read, so a "
        "client that reads everything pays that part later. Best of 5 `timeit` repeats, on the servers' core.",
        "",
        "| users | format | body bytes | encode µs | decode µs | decode + read µs |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in results.codec:
        lines.append(
            f"| {row.users:,} | {row.format} | {row.bytes:,} | {fmt(row.encode_us, 1)} | {fmt(row.decode_us, 1)} "
            f"| {fmt(row.decode_read_us, 1)} |"
        )
    lines += [
        "",
        "How the messages are built decides the encode column. Building each user's `Timestamp` with "
        "`FromDatetime` (through a time tuple and `calendar.timegm`) and each user as a message of its own, "
        "then copying the list into the response, made protobuf slower to produce than JSON: "
        f"{fmt(results.plain_encode_us)} µs for 1,000 users in this run. The service now computes seconds and "
        "nanos with integer arithmetic and fills the response in place with `response.users.add()`; `to_dict` "
        "formats a never-updated user's one datetime once. `lab2_grpc/tests/test_bench_messages.py` holds both "
        "to the plain code, byte for byte.",
        "",
        f"![Body bytes]({DATA}/{files['payload']})",
        "",
        f"![Serialisation time]({DATA}/{files['codec']})",
        "",
        *_wire_table(results),
    ]
    return "\n".join(lines)


def _wire_table(results: Results) -> list[str]:
    """Whole calls as they cross the loopback: body plus HTTP/1.1 text headers, or plus HTTP/2 frames + HPACK."""
    if not results.wire:
        return []
    by_key = {(row.transport, row.op): row for row in results.wire}
    lines = [
        "Bytes on the wire per call (mean of 20 calls on one warm connection, counted by a relay between "
        "client and server; REST from `http.client`, gRPC from a grpcio channel):",
        "",
        "| call | REST request | REST response | REST keeps the connection | gRPC request | gRPC response |",
        "| --- | ---: | ---: | --- | ---: | ---: |",
    ]
    for op in OPERATIONS:
        rest, grpc = by_key.get(("rest", op)), by_key.get(("grpc", op))
        if rest and grpc:
            kept = "**no: `Connection: close`**" if rest.closes_connection else "yes"
            lines.append(
                f"| {op} | {rest.request_bytes:,.0f} | {rest.response_bytes:,.0f} | {kept} "
                f"| {grpc.request_bytes:,.0f} | {grpc.response_bytes:,.0f} |"
            )
    lines += [
        "",
        "HTTP/1.1 repeats its headers as text on every request and response; HTTP/2 frames are binary and "
        "HPACK sends a header already seen on the connection as a small index. gRPC's own framing is a "
        "5-byte prefix per message and a trailers frame carrying `grpc-status` per response.",
    ]
    return lines


def split(results: Results) -> str:
    """Server CPU per call next to the same call without a server: the app's share and the server's."""
    alone = {(row.transport, row.op): row.us_per_call for row in results.inprocess}
    lines = [
        "## The app alone, and the server around it",
        "",
        "*Alone* is the same call with no server, in one thread (`lab2_grpc/bench/inprocess.py`): the Flask app "
        "called as WSGI with a ready-made request, or the gRPC service's method called with a parsed request and "
        "its answer serialised. *Around* is the server CPU per call minus that: sockets, HTTP parsing, threads and, "
        "for gRPC, grpcio's C core, its Python glue and the lab's call-budget interceptor.",
        "",
        "| call | REST server µs | REST alone µs | REST around µs | gRPC server µs | gRPC alone µs | gRPC around µs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    noisy = False
    for op in ORDER:
        cells = []
        for transport in TRANSPORTS:
            server = c_median(results, transport, op, "server_cpu_us_per_request")
            own = alone.get((transport, op), math.nan)
            around = server - own
            noisy = noisy or around < 0
            cells += [fmt(server), fmt(own, 1), fmt(around) if around >= 0 else "below noise*"]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    if noisy:
        lines += [
            "",
            "\\* The call alone measured more than the server's CPU per call: the two timings ran minutes apart, "
            "and where the app's own work is nearly all of the cost the difference is within their noise.",
        ]
    hot = results.hot_paths.get(("rest", "list_1"))
    rest_list, rest_get = alone.get(("rest", "list_1"), math.nan), alone.get(("rest", "get"), math.nan)
    if hot is not None and rest_list > 1.5 * rest_get:
        caller, entry, share = hot
        lines += [
            "",
            f"REST `list_1` alone costs {fmt(rest_list)} µs against {fmt(rest_get)} µs for `get`, though both answer "
            f"one user: {100 * share:.0f} % of it is in `{entry}`, called from `{caller}` (cProfile over the same "
            "call). flask-openapi3 builds the JSON schema of the route's query model on every request that has "
            "query parameters, to learn which of them are lists; every REST list call pays it, which is most of "
            "why REST's `list_1` stays far below its floor.",
        ]
    return "\n".join(lines)


def profiles(results: Results) -> str:
    lines = [
        "## Where the time goes (py-spy on the server under full load)",
        "",
        "py-spy samples the thread that holds the GIL 500 times a second (`py-spy record --gil`) while the C "
        "generator holds the call at full speed, so the shares below are of the server's Python time; time with "
        "the GIL released (grpcio's C core, system calls) is not in them, but is in the server CPU column above. "
        "Each floor is profiled, and every single-user call below 0.8x its floor in requests/s or in server CPU per "
        "call. The lab's own modules are "
        "listed one by one (`lab2_grpc/...`).",
        "",
    ]
    if not results.profiles:
        return "\n".join([*lines, "py-spy was not available, so no profile was taken."])
    groups: list[tuple[str, list[tuple[str, str, str]]]] = [
        ("REST", [key for key in results.profiles if key[0] == "rest"]),
        ("gRPC", [key for key in results.profiles if key[0] == "grpc"]),
    ]
    for title, keys in groups:
        if not keys:
            continue
        names = [_profile_label(key) for key in keys]
        lines += [
            f"### {title}: " + ", ".join(names),
            "",
            "Self time by package (% of the Python samples):",
            "",
            "| package | " + " | ".join(names) + " |",
            "| --- |" + " ---: |" * len(keys),
        ]
        packages = list(dict.fromkeys(name for key in keys for name, _ in results.profiles[key][1][:8]))[:12]
        for package in packages:
            shares = [dict(results.profiles[key][1]).get(package, 0.0) for key in keys]
            lines.append(f"| {package} | " + " | ".join(f"{share:.1f}" for share in shares) + " |")
        lines.append("")
        for key in keys:
            top, layers = results.profiles[key]
            own = sum(share for name, share in layers if name.split("/")[0] in SERVICE_PACKAGES)
            name = profile_name(*key)
            reading = _profile_reading(results, key, own)
            lines += [f"**{_profile_label(key)}** ([{name}.csv]({DATA}/{name}.csv)). " + reading]
            floor_key = (key[0], FLOOR, floor_server(key[0]))
            if key[1] != FLOOR and floor_key in results.profiles:
                lines += [
                    "",
                    "What the call adds to its floor, by package (≈ µs per call, as under *The server*):",
                    "",
                    *cost_comparison(results, floor_key, key),
                ]
            lines += [
                "",
                "Busiest functions (self time, with the inclusive time of the same function):",
                "",
                "| function | self % | inclusive % |",
                "| --- | ---: | ---: |",
                *(f"| `{function}` | {mine:.1f} | {total:.1f} |" for function, total, mine in top[:10]),
                "",
            ]
    return "\n".join(lines)


def _profile_label(key: tuple[str, str, str]) -> str:
    _, op, server = key
    return f"{op} on {SERVER_LABELS[server]}" if op == FLOOR else f"`{op}`"


def _profile_reading(results: Results, key: tuple[str, str, str], own: float) -> str:
    transport, op, _ = key
    if op == FLOOR:
        return "The floor: no service code at all, only the server stack."
    added = c_median(results, transport, op, "server_cpu_us_per_request") - c_median(
        results, transport, FLOOR, "server_cpu_us_per_request"
    )
    alone = {(row.transport, row.op): row.us_per_call for row in results.inprocess}
    app = alone.get((transport, op), math.nan) - alone.get((transport, FLOOR), math.nan)
    text = (
        f"The call costs the server {fmt(added)} µs of CPU more than the floor. {fmt(app)} µs of that is the app's "
        "own work, measured without a server (*The app alone*); the service's own modules and what they call "
        f"({', '.join(SERVICE_PACKAGES)}) hold {own:.0f} % of the Python samples here. "
    )
    hot = results.hot_paths.get((transport, op))
    if hot is not None:
        caller, entry, share = hot
        called = f" (called from `{caller}`)" if caller != entry else ""
        text += f"Without a server, {100 * share:.0f} % of the call's time is in `{entry}`{called}. "
    if transport == "rest":
        return text + (
            "The rest is the stack's work for a call with a body and a real route that a hello does not do: "
            "Gunicorn reading the body, flask-openapi3 parsing and validating it against the route's pydantic "
            "model before the view runs, Flask building the answer and its Location header. None of it is in the "
            "service's own lines, so closing the gap means a lighter stack per call (or fewer calls), not a "
            "faster store or serialiser."
        )
    return text + (
        "The rest is grpcio's per-call work for a real method, which the raw-bytes floor skips: protobuf "
        "parsing and serialising, a registered method with a larger answer, and the lab's call-budget "
        "interceptor (`grpc_guard.py`), whose own lines are cheap (its row in the table below) but which makes "
        "grpcio build "
        "a handler for every call and read the request as a stream (`_RequestIterator`, "
        "`_request_registered_call` in the functions below)."
    )


def explain(results: Results) -> str:
    small_json, small_proto = codec_row(results, 1, "json"), codec_row(results, 1, "protobuf")
    big_json, big_proto = codec_row(results, 1000, "json"), codec_row(results, 1000, "protobuf")
    sizes = ""
    if small_json and small_proto and big_json and big_proto:
        sizes = (
            f"One user is {small_json.bytes} bytes of JSON and {small_proto.bytes} of protobuf; 1,000 users "
            f"are {big_json.bytes:,} and {big_proto.bytes:,}. "
        )
    return "\n".join(
        [
            "## Reading the numbers",
            "",
            f"**HTTP/1.1 vs HTTP/2.** gRPC reached {fmt(grpc_over_rest(results, 'get'), 2)}x REST's requests/s for "
            f"`get` and {fmt(grpc_over_rest(results, FLOOR), 2)}x for the bare hello, at "
            f"{fmt(grpc_over_rest(results, 'get', 'server_cpu_us_per_request'), 2)}x REST's server CPU per `get`. "
            "HTTP/1.1 sends a request and waits for its answer on each connection, with every header spelled out as "
            "text; HTTP/2 multiplexes many calls over one connection with compressed headers. With one call in flight "
            "per connection, as here, multiplexing buys nothing, and what remains is the per-call work of each stack.",
            "",
            "**Python's per-call overhead.** Compare any call with its floor: most of a small call's cost is the path "
            "every request walks (HTTP parsing, the WSGI environ, Flask's routing and request context, Gunicorn's "
            "threads; grpcio's hand-over from its C core to a Python pool thread and back), not the user store. What "
            "a call adds on top of its floor is partly the service's own work (pydantic validation for create and "
            "update, the store's lock, building the JSON or protobuf answer) and partly the stack's work for a real "
            "route (reading a body, flask-openapi3's checks before the view, grpcio's protobuf and the lab's "
            "call-budget interceptor): *The app alone* and the profiles split the two. Where both are small, "
            "switching the protocol moves a call less than people expect.",
            "",
            f"**Serialisation.** {sizes}Protobuf is smaller because field names are not repeated (a field number and "
            "a length instead) and timestamps are two varints instead of a 32-character ISO string. Gzip shrinks JSON "
            "further, below protobuf for large lists, but costs CPU on both sides. " + _build_sentence(results),
            "",
            "**When gRPC wins and when not.** gRPC wins where its framing and compact messages matter: many calls over "
            "few connections (HTTP/2 multiplexing), large messages crossing a slow or metered network, streaming, "
            "strict contracts between services, and, as the lists show here, large answers, where building and "
            "sending less costs less. On one machine over loopback, with small messages and one call per connection, "
            "both are bound by Python's per-call work, and the gap is whatever the two server stacks spend per "
            "call, as the floors show. Browsers, curl and caches speak REST natively; gRPC needs generated stubs "
            "(or a proxy) on every client.",
        ]
    )


def _build_sentence(results: Results) -> str:
    proto = codec_row(results, 1000, "protobuf")
    json_row = codec_row(results, 1000, "json")
    if proto is None or json_row is None or math.isnan(results.plain_encode_us):
        return ""
    return (
        "Speed depends on the code around the library as much as on the format: built the plain way "
        "(`FromDatetime` per timestamp, a message per user, the list copied into the response), the same "
        f"1,000-user answer took {fmt(results.plain_encode_us)} µs to encode in this run, "
        f"{fmt(ratio(results.plain_encode_us, proto.encode_us), 1)}x the service's {fmt(proto.encode_us)} µs and "
        f"{fmt(ratio(results.plain_encode_us, json_row.encode_us), 1)}x JSON's {fmt(json_row.encode_us)} µs."
    )


YOUR_STUDY = [
    (
        "Concurrency",
        "Run `python -m lab2_grpc.bench --users 1`, then `--users 12`.",
        "Before you look: will requests/s grow in proportion? What happens to p99 and to the *server core busy* "
        "column? Why does the gRPC side start failing calls above 12 users (read `grpc_server.py`: 16 threads, "
        "4 kept for health checks)? Where does REST put a 13th concurrent call instead?",
    ),
    (
        "Payload size",
        "Make every seeded name 1,000 characters long (`seed_user` in `lab2_grpc/bench/scenario.py`) and rerun.",
        "Which columns of the serialisation table grow, and by how much? Does gRPC's lead in `list_1000` grow "
        "or shrink when most of the bytes are a string that both formats carry the same way?",
    ),
    (
        "The server's threads",
        "Set `http_threads` and `grpc_threads` in `lab2_grpc/settings.py` to 1, then to 32, and rerun.",
        "The GIL lets one thread run Python at a time: predict whether 32 threads beat 8 on one core, and "
        "whether 1 thread is slower. Which figure changes least, requests/s or server CPU per call? Why?",
    ),
    (
        "The message builders",
        "Put `Timestamp.FromDatetime` back into `user_message` and `list_response` (the test file shows the plain "
        "version), then run `python -m lab2_grpc.bench.codec` (seconds, no servers).",
        "How much slower is protobuf's encode? Is it still faster than JSON at 1 user, at 1,000?",
    ),
    (
        "Multiplexing",
        "Start the lab and run h2load by hand (see *Reproduce*) with `-c 1 -m 10` (ten calls in flight on one "
        "connection) instead of `-c 10 -m 1`.",
        "HTTP/1.1 cannot do this: how close does one HTTP/2 connection come to ten? What does wrk reach with `-c 1`?",
    ),
    (
        "Pinning",
        "Rerun while something else keeps core 0 busy, e.g. `taskset -c 0 python -c 'while True: pass'` in "
        "another terminal (stop it with Ctrl-C afterwards).",
        "Which figures move: requests/s, server CPU per call, the min-max ranges? Which would you trust from a "
        "laptop running a browser?",
    ),
]


def your_study() -> str:
    lines = [
        "## Your study",
        "",
        "Rerun the study on your machine (`./run_all.sh bench`, about 10 minutes on 2 cores), then change one "
        "thing at a time and predict the result before you look. Options: `--duration`, `--runs`, `--users`, "
        "`--warmup`, `--locust-duration`, `--latency-duration`, `--profile-seconds`, `--out` (`--help` explains "
        "them); use `--out my-study` to keep this page as it is.",
        "",
    ]
    for number, (title, change, questions) in enumerate(YOUR_STUDY, start=1):
        lines += [f"{number}. **{title}.** {change} {questions}", ""]
    return "\n".join(lines).rstrip()


def reproduce(results: Results, command: str) -> str:
    users, seconds = results.options.users, results.options.duration
    http_port, grpc_port = EXAMPLE_PORTS[LAB]
    servers = results.commands
    h2load = (
        f"taskset -c {LOAD_CORE} h2load -t1 -c{users} -m1 -D {round(seconds * 1000)}ms -d get.bin "
        f"-H 'content-type: application/grpc' -H 'te: trailers' http://127.0.0.1:{grpc_port}/users.v1.UserService/GetUser"
    )
    return "\n".join(
        [
            "## Reproduce",
            "",
            "The study picks free ports for every server; the commands below use the lab's usual ports instead.",
            "",
            f"- The whole study: `{command}` (or `./run_all.sh bench`).",
            f"- The lab, pinned: `{servers.get(LAB, '')}`; then create the {SEED_USERS:,} users (the study does it "
            'over REST: `name` "Seed User N", `email` seedN@example.com).',
            *(
                f"- The {SERVER_LABELS[kind]} floor: `{servers.get(kind, '')}`"
                for kind in (GUNICORN, WAITRESS, GRPC_HELLO)
            ),
            f"- A REST ceiling with wrk: `taskset -c {LOAD_CORE} wrk -t1 -c{users} -d60s "
            f"-s lab2_grpc/bench/wrk_calls.lua http://127.0.0.1:{http_port} -- get {seconds:g}` (the script's header "
            "lists the calls; it ends the run itself).",
            "- A gRPC ceiling with h2load: `python -m lab2_grpc.bench.generators body get > get.bin`, then "
            f"`{h2load}`.",
            "- Locust, to watch the mix live: start the lab, then `locust -f lab2_grpc/bench/locustfile.py` and "
            "open http://127.0.0.1:8089 (it reads HOST, HTTP_PORT and GRPC_PORT like the lab).",
            "- A profile: `py-spy record --pid WORKER --gil --nonblocking --rate 500 --format raw -o profile.txt` "
            "while a generator runs, where WORKER is the Gunicorn worker, the child of the lab's process "
            "(`pgrep -P LAB_PID`).",
            "- Serialisation alone: `python -m lab2_grpc.bench.codec`.",
        ]
    )


def page(results: Results, command: str, files: dict[str, str]) -> str:
    parts = [
        intro(results),
        summary(results),
        goals(results),
        glossary(),
        setup(results, command),
        throughput(results, files),
        floors(results, files),
        against_floor(results),
        generators(results, files),
        latency(results, files),
        serialisation(results, files),
        split(results),
        profiles(results),
        explain(results),
        your_study(),
        reproduce(results, command),
    ]
    return "\n\n".join(parts) + "\n"


__all__ = ["DATA", "FORMATS", "NAMES", "page", "pick", "spread"]
