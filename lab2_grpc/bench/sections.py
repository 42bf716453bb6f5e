"""The text of docs/rest-vs-grpc.md, one function per section; every figure is read from the results."""

from __future__ import annotations

import math
import statistics

from . import machine
from .codec import CodecRow
from .scenario import FLOOR, OPERATIONS, SINGLE_USER_OPERATIONS
from .study import ORDER, TRANSPORTS, Results, Row

GOAL = 0.8
DATA = "rest-vs-grpc"
NAMES = {"rest": "REST", "grpc": "gRPC"}
# Packages whose time is the service's own work (its code, validation, protobuf messages), not the server's.
SERVICE_PACKAGES = ("lab2_grpc", "pydantic", "pydantic_core", "google", "protobuf", "json")


def spread(rows: list[Row], attribute: str) -> tuple[float, float, float]:
    """(median, min, max) of one column over the runs; NaN when nothing was measured."""
    values = [getattr(row, attribute) for row in rows if not math.isnan(getattr(row, attribute))]
    if not values:
        return (math.nan,) * 3
    return statistics.median(values), min(values), max(values)


def pick(results: Results, phase: str, transport: str, op: str, generator: str = "locust") -> list[Row]:
    return [
        row
        for row in results.rows
        if (row.phase, row.transport, row.op, row.generator) == (phase, transport, op, generator)
    ]


def fmt(value: float, digits: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def fmt_spread(values: tuple[float, float, float], digits: int = 0) -> str:
    median, low, high = values
    return f"{fmt(median, digits)} ({fmt(low, digits)}-{fmt(high, digits)})"


def floor_ratio(results: Results, transport: str, op: str) -> tuple[float, float]:
    """(throughput ÷ floor throughput, floor CPU ÷ op CPU): the second is what the server alone allows."""
    rps = spread(pick(results, "max", transport, op), "rps")[0]
    floor_rps = spread(pick(results, "max", transport, FLOOR), "rps")[0]
    cpu = spread(pick(results, "max", transport, op), "server_cpu_us_per_request")[0]
    floor_cpu = spread(pick(results, "max", transport, FLOOR), "server_cpu_us_per_request")[0]
    return rps / floor_rps if floor_rps else math.nan, floor_cpu / cpu if cpu else math.nan


def intro(results: Results, command: str) -> str:
    facts = machine.describe()
    o = results.options
    lines = [
        "# REST vs gRPC: a measured comparison",
        "",
        "The same user service (lab 2) answers over REST (JSON over HTTP/1.1, Flask under Waitress, as "
        "`python -m lab2_grpc` runs it) and over gRPC (protobuf over HTTP/2, grpcio's thread-pool server). "
        "This page is written by the study itself; every number below comes from the run described here.",
        "",
        f"- Produced by: `{command}` in {results.seconds / 60:.1f} minutes.",
        f"- Machine: {facts['CPU']}, {facts['cores']} cores, Linux {facts['kernel']}, Python {facts['Python']}.",
        "- Libraries: " + ", ".join(f"{name} {facts[name]}" for name in machine.PACKAGES) + ".",
        "- Pinning: every server on core 0 (`taskset -c 0`), the load generator (Locust, wrk, py-spy) on core 1 "
        "(`taskset -c 1`), so a server never shares its core with its own load.",
        f"- Load: {o.users} users (connections), no wait time, {o.runs} interleaved runs of {o.duration:g} s "
        f"after {o.warmup:g} s of warm-up; each run measures every operation on both transports, alternating "
        "which goes first. Tables give the median with min-max over the runs.",
        "- Data: each server starts with the same 1,000 seeded users; `get` and `update` pick one at random, "
        "`create` adds users that `delete` then removes (a delete window ends early when they run out).",
        "- Raw data: [measurements.csv](rest-vs-grpc/measurements.csv), "
        "[serialisation.csv](rest-vs-grpc/serialisation.csv) and the profile CSVs beside them.",
        "",
        "Caveat: the machine is shared; other work on it shows up as a server or generator core that is less "
        "than fully busy at the ceiling (the *busy* columns) and as wide min-max ranges.",
    ]
    return "\n".join(lines)


def ceilings(results: Results, files: dict[str, str]) -> str:
    lines = [
        "## Maximum throughput",
        "",
        "| operation | REST req/s | gRPC req/s | gRPC ÷ REST | REST CPU µs/req | gRPC CPU µs/req "
        "| server core busy REST / gRPC | Locust core busy REST / gRPC |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for op in ORDER:
        rest, grpc = pick(results, "max", "rest", op), pick(results, "max", "grpc", op)
        r, g = spread(rest, "rps"), spread(grpc, "rps")
        lines.append(
            f"| {op} | {fmt_spread(r)} | {fmt_spread(g)} | {fmt(g[0] / r[0] if r[0] else math.nan, 2)} "
            f"| {fmt_spread(spread(rest, 'server_cpu_us_per_request'))} "
            f"| {fmt_spread(spread(grpc, 'server_cpu_us_per_request'))} "
            f"| {fmt(100 * spread(rest, 'server_core_busy')[0])} % / "
            f"{fmt(100 * spread(grpc, 'server_core_busy')[0])} % "
            f"| {fmt(100 * spread(rest, 'generator_core_busy')[0])} % / "
            f"{fmt(100 * spread(grpc, 'generator_core_busy')[0])} % |"
        )
    lines += [
        "",
        "CPU µs/req is the server process's user+system CPU time (from `/proc/PID/stat`) during the "
        "window divided by the requests answered: it does not depend on who generates the load.",
        "",
        f"![Maximum requests/s]({DATA}/{files['throughput']})",
        "",
        f"![Server CPU per request]({DATA}/{files['cpu']})",
    ]
    return "\n".join(lines)


def floors(results: Results) -> str:
    lines = [
        "## Against the floor",
        "",
        f"The floor is a bare hello on the same server stack (`{FLOOR}` above): a Flask route under the same "
        "Waitress settings, a raw-bytes grpcio method under the same gRPC server settings. "
        f"Goal: every single-user operation at ≥ {GOAL}x its floor's throughput.",
        "",
        "| operation | REST x floor (req/s) | gRPC x floor (req/s) | REST x floor (server CPU) "
        "| gRPC x floor (server CPU) | goal |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for op in OPERATIONS:
        rest, grpc = floor_ratio(results, "rest", op), floor_ratio(results, "grpc", op)
        if op in SINGLE_USER_OPERATIONS:
            goal = ", ".join(
                f"{NAMES[name]} {'met' if ratio[0] >= GOAL else '**not met**'}"
                for name, ratio in (("rest", rest), ("grpc", grpc))
            )
        else:
            goal = "(list: not held to it)"
        lines.append(
            f"| {op} | {fmt(rest[0], 2)} | {fmt(grpc[0], 2)} | {fmt(rest[1], 2)} | {fmt(grpc[1], 2)} | {goal} |"
        )
    lines += ["", *_shortfalls(results)]
    lines += [
        "",
        "The req/s ratio is what a client sees; the CPU ratio (floor CPU per request ÷ the operation's) "
        "is what the server alone would allow if the load generator were free. Where the two differ, the "
        "load generator or the shared machine capped the ceiling, not the service.",
    ]
    return "\n".join(lines)


def _shortfalls(results: Results) -> list[str]:
    """For each single-user operation under the goal, what this run's own data says the time went to."""
    alone = {(row.transport, row.op): row.us_per_call for row in results.inprocess}
    closes = {(row.transport, row.op) for row in results.wire if row.closes_connection}
    notes = []
    for op in SINGLE_USER_OPERATIONS:
        for transport in TRANSPORTS:
            if not floor_ratio(results, transport, op)[0] < GOAL:
                continue
            server = spread(pick(results, "max", transport, op), "server_cpu_us_per_request")[0]
            floor = spread(pick(results, "max", transport, FLOOR), "server_cpu_us_per_request")[0]
            app_extra = alone.get((transport, op), math.nan) - alone.get((transport, FLOOR), math.nan)
            note = (
                f"- {NAMES[transport]} `{op}`: {fmt(server - floor)} µs more server CPU per call than the floor, "
                f"of which {fmt(app_extra)} µs is the app itself (same call without a server, see below)"
            )
            if (transport, op) in closes:
                note += (
                    "; and the server closes the connection after every answer (`Connection: close`, see the "
                    "wire table), so each call also pays for a new TCP connection on both sides"
                )
            notes.append(note + ".")
    return ["Where the goal is missed:", "", *notes] if notes else []


def latency(results: Results, files: dict[str, str]) -> str:
    lines = [
        "## Latency at the same fixed rate",
        "",
        "Both transports get the same constant rate: half of the lower of their two ceilings, spread over the "
        "users with Locust's `constant_throughput` wait time. At half load, queueing is small and the "
        "percentiles show the cost of one call.",
        "",
        "| operation | rate req/s | REST p50 / p95 / p99 ms | gRPC p50 / p95 / p99 ms |",
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


def generator(results: Results) -> str:
    lines = [
        "## What the load generator costs",
        "",
        "Locust runs Python for every request; wrk is C. Same core, same server, same connection count:",
        "",
        "| REST target | Locust req/s | wrk req/s | Locust ÷ wrk | server core busy Locust / wrk |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for op in (FLOOR, "get"):
        locust, other = pick(results, "max", "rest", op), pick(results, "max", "rest", op, "wrk")
        if not other:
            continue
        a, b = spread(locust, "rps"), spread(other, "rps")
        lines.append(
            f"| {op} | {fmt_spread(a)} | {fmt_spread(b)} | {fmt(a[0] / b[0] if b[0] else math.nan, 2)} "
            f"| {fmt(100 * spread(locust, 'server_core_busy')[0])} % / "
            f"{fmt(100 * spread(other, 'server_core_busy')[0])} % |"
        )
    lines += [
        "",
        "Where Locust ÷ wrk is well below 1, the Locust ceiling is the generator's, not the server's: "
        "read the server CPU µs/req column for the server's own cost. There is no C load generator for "
        "gRPC on this machine; the gRPC Locust user (grpcio under gevent) is the heavier of the two, so its "
        "*Locust core busy* column is the one to watch.",
    ]
    return "\n".join(lines)


def serialisation(results: Results, files: dict[str, str]) -> str:
    lines = [
        "## Serialisation: bytes and time (in-process)",
        "",
        "Encode = the server's work from stored users to bytes (`to_dict` + Flask's JSON; `user_message` + "
        "`SerializeToString`); decode = the client's, from bytes to Python objects. Best of 5 `timeit` repeats.",
        "",
        "| users | format | body bytes | encode µs | decode µs |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for row in results.codec:
        lines.append(
            f"| {row.users:,} | {row.format} | {row.bytes:,} | {fmt(row.encode_us, 1)} | {fmt(row.decode_us, 1)} |"
        )
    lines += ["", *_wire_table(results), "", f"![Payload bytes]({DATA}/{files['payload']})"]
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
        "| operation | REST request | REST response | REST keeps the connection | gRPC request | gRPC response |",
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
        "## Where the time goes: the app alone vs the server around it",
        "",
        "*Alone* is the same call with no server, in one thread (`lab2_grpc/bench/inprocess.py`): the Flask app "
        "called as WSGI with a ready-made request, or the servicer method called with parsed protobuf and its "
        "answer serialised. *Around* is the server CPU per request minus that: sockets, HTTP parsing, threads "
        "and, for gRPC, grpcio's C core and its Python glue.",
        "",
        "| operation | REST server µs | REST alone µs | REST around µs | gRPC server µs | gRPC alone µs "
        "| gRPC around µs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for op in ORDER:
        cells = []
        for transport in TRANSPORTS:
            server = spread(pick(results, "max", transport, op), "server_cpu_us_per_request")[0]
            own = alone.get((transport, op), math.nan)
            around = server - own
            cells += [fmt(server), fmt(own), fmt(around) if around >= 0 else "below noise*"]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    if not any("below noise" in line for line in lines):
        return "\n".join(lines)
    lines += [
        "",
        "\\* The call alone measured more than the server's CPU per call: the in-process timing and the "
        "server window ran minutes apart on a shared virtual machine, and for the large lists the app's own "
        "work is nearly all of the cost, so the difference is within the noise of the two measurements.",
    ]
    return "\n".join(lines)


def profiles(results: Results) -> str:
    lines = [
        "## Where the time goes (py-spy on the server under full load)",
        "",
        "py-spy samples the thread that holds the GIL 200 times a second (`py-spy record --gil`), so the "
        "shares below are of the server's Python time; time with the GIL released (grpcio's C core, "
        "system calls) is not in them, but is in the CPU µs/req column above. Each transport's single-user "
        "operation furthest below its floor is profiled next to the floor itself.",
        "",
    ]
    if not results.profiles:
        return "\n".join([*lines, "py-spy was not available, so no profile was taken."])
    for transport in TRANSPORTS:
        taken = [(op, data) for (t, op), data in results.profiles.items() if t == transport]
        if not taken:
            continue
        lines += [
            f"### {NAMES[transport]}: " + " vs ".join(f"`{op}`" for op, _ in taken),
            "",
            "Self time by package:",
            "",
            "| package | " + " | ".join(f"{op} %" for op, _ in taken) + " |",
            "| --- |" + " ---: |" * len(taken),
        ]
        packages = list(dict.fromkeys(name for _, (_, layers) in taken for name, _ in layers))[:10]
        for package in packages:
            shares = [dict(layers).get(package, 0.0) for _, (_, layers) in taken]
            lines.append(f"| {package} | " + " | ".join(f"{share:.1f}" for share in shares) + " |")
        op, (top, layers) = taken[0]
        own = sum(share for name, share in layers if name in SERVICE_PACKAGES)
        lines += [
            "",
            f"In `{op}`, the service's own code and what it calls directly ({', '.join(SERVICE_PACKAGES)}) "
            f"hold {own:.1f} % of the Python samples; the rest is the server stack and thread hand-offs. "
            "Making the service's code free would lift the ceiling by at most about that share; closing "
            "more of the gap to the floor means a cheaper stack per call, not a fix inside the service.",
            "",
            f"Busiest functions in `{op}` (self time, with the inclusive time of the same function):",
            "",
            "| function | self % | inclusive % |",
            "| --- | ---: | ---: |",
        ]
        lines += [f"| `{name}` | {own:.1f} | {total:.1f} |" for name, total, own in top]
        lines.append("")
    return "\n".join(lines)


def _ratio(results: Results, op: str, attribute: str = "rps") -> float:
    rest = spread(pick(results, "max", "rest", op), attribute)[0]
    grpc = spread(pick(results, "max", "grpc", op), attribute)[0]
    return grpc / rest if rest else math.nan


def _codec_row(results: Results, users: int, fmt_name: str) -> CodecRow | None:
    return next((row for row in results.codec if (row.users, row.format) == (users, fmt_name)), None)


def _encode_sentence(results: Results) -> str:
    """What this run says about encode and decode cost at 1,000 users, whichever way it came out."""
    json_row, proto_row = _codec_row(results, 1000, "json"), _codec_row(results, 1000, "protobuf")
    if not (json_row and proto_row):
        return ""
    decode = (
        f"Decoding 1,000 users took {json_row.decode_us:,.0f} µs from JSON and {proto_row.decode_us:,.0f} µs "
        "from protobuf (upb parses in C and creates Python objects only for the fields you touch). "
    )
    cheaper = "cheaper" if proto_row.encode_us < json_row.encode_us else "dearer"
    return decode + (
        f"Encoding them took {json_row.encode_us:,.0f} µs as JSON and {proto_row.encode_us:,.0f} µs as "
        f"protobuf, so protobuf was {cheaper} to produce here: the servicer builds a `Timestamp` "
        "message per date through `FromDatetime`, while JSON only formats an ISO string."
    )


def explain(results: Results) -> str:
    small_json, small_proto = _codec_row(results, 1, "json"), _codec_row(results, 1, "protobuf")
    big_json, big_proto = _codec_row(results, 1000, "json"), _codec_row(results, 1000, "protobuf")
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
            f"**HTTP/1.1 vs HTTP/2.** In this run gRPC reached {fmt(_ratio(results, 'get'), 2)}x REST's requests/s "
            f"for `get` and {fmt(_ratio(results, FLOOR), 2)}x for the bare hello; per request the gRPC server used "
            f"{fmt(_ratio(results, 'get', 'server_cpu_us_per_request'), 2)}x REST's CPU for `get`. HTTP/1.1 sends a "
            "request and waits for its answer on each connection, with every header spelled out as text; HTTP/2 "
            "multiplexes many calls over one connection with compressed headers. With one call in flight per "
            "connection, as here, multiplexing buys nothing, and what remains is the per-call work of each stack.",
            "",
            "**Python's per-call overhead.** Compare any operation with its floor: most of a small call's cost is the "
            "framework path every request walks (WSGI environ, Flask routing and request context, Waitress's threads; "
            "grpcio's hand-over from its C core to a Python pool thread and back), not the user store. What an "
            "operation adds on top of its floor is the service's own work: pydantic validation for create and "
            "update, the store's lock, building the JSON or protobuf answer. Where that is small, switching the "
            "protocol moves a call less than people expect.",
            "",
            f"**Serialisation.** {sizes}Protobuf is smaller because field names are not repeated (a field number "
            "and a length instead) and timestamps are two varints instead of a 32-character ISO string. Gzip shrinks "
            "JSON further, below protobuf for large lists, but costs CPU on both sides. " + _encode_sentence(results),
            "",
            "**When gRPC wins and when not.** gRPC wins where its framing and compact messages matter: many calls over "
            "few connections (HTTP/2 multiplexing), large messages crossing a slow or metered network, streaming, and "
            "strict contracts between services. On one machine over loopback, with small messages and one call per "
            "connection, both are bound by Python's per-call work, and the gap is whatever the two server stacks "
            "spend per call, as the floors show. Browsers, curl and caches speak REST natively; gRPC needs generated "
            "stubs (or a proxy) on every client.",
            "",
            "**Payload size and concurrency.** As lists grow, per-call overhead fades and serialisation dominates: "
            "compare `list_1`, `list_100` and `list_1000` above with the encode times in the serialisation table. "
            "More concurrent users raise throughput only until the server core is busy; after that they add queueing, "
            "which shows in the latency at full load but not at the half-load rate used for the latency table.",
        ]
    )


def reproduce(results: Results, command: str) -> str:
    return "\n".join(
        [
            "## Reproduce",
            "",
            f"- The whole study: `{command}` (options: `--duration`, `--runs`, `--latency-duration`, `--users`, "
            "`--out`; `--help` lists them).",
            f"- Each server: `{results.commands.get('servers', '')}` (KIND is rest, grpc, rest-hello or grpc-hello).",
            "- The load worker: `taskset -c 1 python -m lab2_grpc.bench.load`, fed one JSON measurement per line.",
            *(f"- {name}: `{text}`" for name, text in results.commands.items() if name.startswith("wrk")),
            "- To watch the mix live: start `python -m lab2_grpc`, then `locust -f lab2_grpc/bench/locustfile.py` and "
            "open http://127.0.0.1:8089 (it reads HOST, HTTP_PORT and GRPC_PORT like the lab).",
        ]
    )
