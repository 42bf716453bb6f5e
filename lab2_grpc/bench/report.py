"""Turn a study's results into docs/rest-vs-grpc.md, its CSVs and its charts; every figure comes from the run."""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path

from . import charts, sections
from .scenario import OPERATIONS
from .sections import DATA, pick, spread
from .study import ORDER, TRANSPORTS, Results


def write_csvs(results: Results, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "measurements.csv", [asdict(row) for row in results.rows])
    _write(folder / "serialisation.csv", [asdict(row) for row in results.codec])
    _write(folder / "wire.csv", [asdict(row) for row in results.wire])
    _write(folder / "in-process.csv", [asdict(row) for row in results.inprocess])
    for (transport, op), (top, layers) in results.profiles.items():
        rows = [
            {"function": name, "inclusive_percent": round(total, 1), "self_percent": round(own, 1)}
            for name, total, own in top
        ]
        _write(folder / f"profile-{transport}-{op}.csv", rows)
        _write(
            folder / f"profile-{transport}-{op}-layers.csv",
            [{"package": name, "self_percent": round(share, 1)} for name, share in layers],
        )


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def draw(results: Results, folder: Path) -> dict[str, str]:
    """The four charts; returns their file names by topic, for the page to link."""
    ops = list(ORDER)
    files = {
        "throughput": "throughput.png",
        "cpu": "server-cpu.png",
        "latency": "latency-p99.png",
        "payload": "payload-bytes.png",
    }
    charts.grouped_bars(
        folder / files["throughput"],
        "Maximum requests/s (median, min-max bars)",
        "requests/s",
        ops,
        {t: [spread(pick(results, "max", t, op), "rps") for op in ops] for t in TRANSPORTS},
    )
    charts.grouped_bars(
        folder / files["cpu"],
        "Server CPU per request (median, min-max)",
        "µs",
        ops,
        {t: [spread(pick(results, "max", t, op), "server_cpu_us_per_request") for op in ops] for t in TRANSPORTS},
    )
    charts.grouped_bars(
        folder / files["latency"],
        "p99 latency at the same fixed rate",
        "ms",
        list(OPERATIONS),
        {t: [spread(pick(results, "latency", t, op), "p99_ms") for op in OPERATIONS] for t in TRANSPORTS},
    )
    sizes = sorted({row.users for row in results.codec})
    formats = list(dict.fromkeys(row.format for row in results.codec))
    charts.grouped_bars(
        folder / files["payload"],
        "Body bytes for a list of users",
        "bytes (log scale)",
        [f"{n} users" for n in sizes],
        {
            f: [(float(r.bytes),) * 3 for n in sizes for r in results.codec if (r.users, r.format) == (n, f)]
            for f in formats
        },
        log=True,
    )
    return files


def write(results: Results, out: Path, command: str) -> Path:
    folder = out / DATA
    write_csvs(results, folder)
    files = draw(results, folder)
    page = out / "rest-vs-grpc.md"
    parts = [
        sections.intro(results, command),
        sections.ceilings(results, files),
        sections.floors(results),
        sections.latency(results, files),
        sections.generator(results),
        sections.serialisation(results, files),
        sections.split(results),
        sections.profiles(results),
        sections.explain(results),
        sections.reproduce(results, command),
    ]
    page.write_text("\n\n".join(parts) + "\n")
    return page
