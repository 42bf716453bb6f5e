"""Smoke test of the performance study: a tiny run produces a well-formed page, CSVs and charts.

It does not check the numbers (they depend on the machine); it checks that one command still produces
everything the page links to, so the full study cannot silently rot.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common.harness import ROOT
from common.pytest_plugin import require_tool
from lab2_grpc.bench.scenario import FLOOR, OPERATIONS

pytestmark = pytest.mark.slow

TINY = [
    "--duration",
    "0.5",
    "--runs",
    "1",
    "--latency-duration",
    "0.5",
    "--warmup",
    "0.2",
    "--profile-seconds",
    "1",
    "--users",
    "4",
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def study_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    subprocess.run(
        [sys.executable, "-m", "lab2_grpc.bench", *TINY, "--out", str(out)], cwd=ROOT, check=True, timeout=120
    )
    return out


def test_page_links_only_files_that_exist(study_out: Path) -> None:
    page = (study_out / "rest-vs-grpc.md").read_text()
    links = re.findall(r"\]\((rest-vs-grpc/[^)]+)\)", page)
    assert links
    for link in links:
        assert (study_out / link).is_file(), link


def test_page_has_every_section_and_operation(study_out: Path) -> None:
    page = (study_out / "rest-vs-grpc.md").read_text()
    for heading in (
        "Maximum throughput",
        "Against the floor",
        "Latency at the same fixed rate",
        "What the load generator costs",
        "Serialisation",
        "Where the time goes: the app alone",
        "Reading the numbers",
        "Reproduce",
    ):
        assert f"## {heading}" in page
    for op in (*OPERATIONS, FLOOR):
        assert f"| {op} |" in page
    assert "python -m lab2_grpc.bench" in page
    assert "taskset -c 0" in page


def test_measurements_cover_both_transports_and_all_operations(study_out: Path) -> None:
    with (study_out / "rest-vs-grpc" / "measurements.csv").open() as file:
        rows = list(csv.DictReader(file))
    ceilings = {(row["transport"], row["op"]) for row in rows if row["phase"] == "max" and row["generator"] == "locust"}
    assert ceilings == {(t, op) for t in ("rest", "grpc") for op in (*OPERATIONS, FLOOR)}
    for row in rows:
        float(row["rps"]), float(row["server_cpu_us_per_request"])  # every number parses


def test_wrk_prices_the_load_generator(study_out: Path) -> None:
    require_tool("wrk", "Debian/Ubuntu: sudo apt-get install wrk")
    with (study_out / "rest-vs-grpc" / "measurements.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert {row["op"] for row in rows if row["generator"] == "wrk"} == {FLOOR, "get"}


def test_each_transport_is_profiled_next_to_its_floor(study_out: Path) -> None:
    """py-spy comes with the study's pinned requirements, so the profiles must be there."""
    profiles = {path.name for path in (study_out / "rest-vs-grpc").glob("profile-*.csv")}
    for transport in ("rest", "grpc"):
        assert f"profile-{transport}-{FLOOR}.csv" in profiles, profiles
        assert len([name for name in profiles if name.startswith(f"profile-{transport}-")]) >= 4, profiles
    assert "py-spy was not available" not in (study_out / "rest-vs-grpc.md").read_text()


def test_serialisation_csv_has_three_formats_for_three_sizes(study_out: Path) -> None:
    with (study_out / "rest-vs-grpc" / "serialisation.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert {(row["users"], row["format"]) for row in rows} == {
        (size, fmt) for size in ("1", "100", "1000") for fmt in ("json", "json+gzip", "protobuf")
    }
    assert all(int(row["bytes"]) > 0 for row in rows)


def test_wire_csv_has_every_operation_on_both_transports(study_out: Path) -> None:
    with (study_out / "rest-vs-grpc" / "wire.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert {(row["transport"], row["op"]) for row in rows} == {(t, op) for t in ("rest", "grpc") for op in OPERATIONS}
    assert all(float(row["request_bytes"]) > 0 and float(row["response_bytes"]) > 0 for row in rows)


def test_in_process_csv_has_every_operation_on_both_transports(study_out: Path) -> None:
    with (study_out / "rest-vs-grpc" / "in-process.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert {(row["transport"], row["op"]) for row in rows} == {
        (t, op) for t in ("rest", "grpc") for op in (*OPERATIONS, FLOOR)
    }
    assert all(float(row["us_per_call"]) > 0 for row in rows)


def test_charts_are_png(study_out: Path) -> None:
    charts = list((study_out / "rest-vs-grpc").glob("*.png"))
    assert len(charts) == 4
    for chart in charts:
        assert chart.read_bytes().startswith(PNG_MAGIC)
