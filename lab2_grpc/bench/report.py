"""Turn a study's results into docs/rest-vs-grpc.md, its CSVs and its charts; every figure comes from the run.

Each run replaces the previous run's files: everything goes into a fresh folder first, which then takes
the place of docs/rest-vs-grpc/ as a whole, so no file of an older run (a profile of an operation that
has since met its goal, say) stays behind.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import asdict
from pathlib import Path

from . import charts, sections
from .charts import Panel, Series
from .codec import FORMATS
from .scenario import FLOOR, OPERATIONS
from .sections import DATA, NAMES, floor_server, pick, spread
from .study import C_GENERATOR, GUNICORN, ORDER, TRANSPORTS, WAITRESS, Results

SINGLE = [op for op in ORDER if op not in ("list_100", "list_1000")]
LISTS = ["list_100", "list_1000"]
FORMAT_NAMES = {"json": "JSON", "json+gzip": "JSON+gzip", "protobuf": "protobuf"}


def write_csvs(results: Results, folder: Path, workdir: Path | None) -> None:
    _write(folder / "measurements.csv", [asdict(row) for row in results.rows])
    _write(folder / "serialisation.csv", [asdict(row) for row in results.codec])
    _write(folder / "wire.csv", [asdict(row) for row in results.wire])
    _write(folder / "in-process.csv", [asdict(row) for row in results.inprocess])
    for (transport, op, server), (top, layers) in results.profiles.items():
        name = sections.profile_name(transport, op, server)
        rows = [
            {"function": function, "inclusive_percent": round(total, 1), "self_percent": round(own, 1)}
            for function, total, own in top
        ]
        _write(folder / f"{name}.csv", rows)
        _write(
            folder / f"{name}-layers.csv",
            [{"package": package, "self_percent": round(share, 1)} for package, share in layers],
        )
        raw = workdir / f"{name}.txt" if workdir else None
        if raw is not None and raw.exists():
            shutil.copyfile(raw, folder / f"{name}.txt")  # the raw stacks, for a flame graph


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _c_series(results: Results, attribute: str, ops: list[str]) -> list[Series]:
    series = []
    for transport in TRANSPORTS:
        generator = C_GENERATOR[transport]
        stats = [
            spread(
                pick(results, "max", transport, op, generator, floor_server(transport) if op == FLOOR else None),
                attribute,
            )
            for op in ops
        ]
        series.append(Series(NAMES[transport], [s[0] for s in stats], [(s[1], s[2]) for s in stats]))
    return series


def draw(results: Results, folder: Path) -> dict[str, str]:
    """The charts; returns their file names by topic, for the page to link."""
    files = {
        "throughput": "throughput.png",
        "cpu": "server-cpu.png",
        "floors": "floors.png",
        "generators": "generators.png",
        "latency": "latency-p99.png",
        "payload": "payload-bytes.png",
        "codec": "serialisation-time.png",
    }
    charts.draw(
        folder / files["throughput"],
        "Maximum requests/s, C generators (median of the runs, bars: min-max)",
        [
            Panel("single calls", SINGLE, _c_series(results, "rps", SINGLE), "requests/s"),
            Panel("lists of 100 and 1,000 users", LISTS, _c_series(results, "rps", LISTS)),
        ],
    )
    charts.draw(
        folder / files["cpu"],
        "Server CPU per call (median of the runs, bars: min-max)",
        [
            Panel(
                "single calls", SINGLE, _c_series(results, "server_cpu_us_per_request", SINGLE), "µs of CPU per call"
            ),
            Panel("lists of 100 and 1,000 users", LISTS, _c_series(results, "server_cpu_us_per_request", LISTS)),
        ],
    )
    floors = [("REST", GUNICORN, "REST (Gunicorn, the lab's)"), ("Waitress", WAITRESS, "REST (Waitress, before)")]
    floor_series = []
    for colour_key, server, label in floors:
        rows = pick(results, "max", "rest", FLOOR, "wrk", server)
        rps, cpu = spread(rows, "rps"), spread(rows, "server_cpu_us_per_request")
        floor_series.append((label, colour_key, rps, cpu))
    grpc_rows = pick(results, "max", "grpc", FLOOR, "h2load", "grpc-hello")
    floor_series.append(
        ("gRPC (grpcio)", "gRPC", spread(grpc_rows, "rps"), spread(grpc_rows, "server_cpu_us_per_request"))
    )
    charts.draw(
        folder / files["floors"],
        "The floors: a bare hello on each server (bars: min-max over the runs)",
        [
            Panel(
                "requests/s",
                [""],
                [Series(label, [r[0]], [(r[1], r[2])], charts.COLOURS[key]) for label, key, r, _ in floor_series],
                "requests/s",
            ),
            Panel(
                "server CPU per call",
                [""],
                [Series(label, [c[0]], [(c[1], c[2])], charts.COLOURS[key]) for label, key, _, c in floor_series],
                "µs",
            ),
        ],
        widths=[1, 1],
    )
    generator_series = []
    for transport in TRANSPORTS:
        c_rows = [spread(pick(results, "max", transport, op, C_GENERATOR[transport]), "rps")[0] for op in ORDER]
        locust_rows = [spread(pick(results, "max", transport, op, "locust"), "rps")[0] for op in ORDER]
        generator_series.append(
            Series(f"{NAMES[transport]}, {C_GENERATOR[transport]}", c_rows, None, charts.COLOURS[NAMES[transport]])
        )
        generator_series.append(
            Series(f"{NAMES[transport]}, Locust", locust_rows, None, charts.COLOURS[NAMES[transport]], hatch="//")
        )
    split = [op for op in ORDER if op not in LISTS]
    charts.draw(
        folder / files["generators"],
        "The same calls from C generators and from Locust (requests/s, one run of Locust)",
        [
            Panel("single calls", split, [_subset(s, ORDER, split) for s in generator_series], "requests/s"),
            Panel("lists of 100 and 1,000 users", LISTS, [_subset(s, ORDER, LISTS) for s in generator_series]),
        ],
    )
    latency_single = [op for op in OPERATIONS if op not in LISTS]
    charts.draw(
        folder / files["latency"],
        "p99 latency at the same fixed rate, as Locust sees it (one run)",
        [
            Panel("single calls", latency_single, _latency_series(results, latency_single), "ms"),
            Panel("lists of 100 and 1,000 users", LISTS, _latency_series(results, LISTS)),
        ],
    )
    sizes = sorted({row.users for row in results.codec})
    by_key = {(row.users, row.format): row for row in results.codec}
    size_labels = [f"{n:,} user{'s' if n > 1 else ''}" for n in sizes]

    def codec_series(attribute: str) -> list[Series]:
        return [
            Series(FORMAT_NAMES[f], [float(getattr(by_key[(n, f)], attribute)) for n in sizes])
            for f in FORMATS
            if all((n, f) in by_key for n in sizes)
        ]

    charts.draw(
        folder / files["payload"],
        "Body bytes for a list of users (log scale)",
        [Panel("", size_labels, codec_series("bytes"), "bytes", log=True)],
    )
    charts.draw(
        folder / files["codec"],
        "Serialisation time in-process (log scale, best of 5)",
        [
            Panel("encode: stored users to bytes", size_labels, codec_series("encode_us"), "µs", log=True),
            Panel("decode: bytes to objects", size_labels, codec_series("decode_us"), log=True),
        ],
    )
    return files


def _subset(series: Series, ops: tuple[str, ...] | list[str], keep: list[str]) -> Series:
    values = [value for op, value in zip(ops, series.values, strict=True) if op in keep]
    return Series(series.name, values, None, series.colour, series.hatch)


def _latency_series(results: Results, ops: list[str]) -> list[Series]:
    return [
        Series(NAMES[transport], [spread(pick(results, "latency", transport, op, "locust"), "p99_ms")[0] for op in ops])
        for transport in TRANSPORTS
    ]


def write(results: Results, out: Path, command: str, workdir: Path | None = None) -> Path:
    """Write the page and replace its data folder with this run's files."""
    out.mkdir(parents=True, exist_ok=True)
    folder = out / DATA
    fresh = out / f".{DATA}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    write_csvs(results, fresh, workdir)
    files = draw(results, fresh)
    page = out / "rest-vs-grpc.md"
    page.write_text(sections.page(results, command, files))
    shutil.rmtree(folder, ignore_errors=True)
    fresh.rename(folder)
    return page
