"""Smoke test of the performance study: a tiny run produces a well-formed page, CSVs and charts.

It does not check the numbers (they depend on the machine); it checks that one command still produces
everything the page links to, from both kinds of load generator, so the full study cannot silently rot.
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
from lab2_grpc.bench.generators import TOOLS
from lab2_grpc.bench.scenario import FLOOR, OPERATIONS

pytestmark = pytest.mark.slow

TINY = [
    "--duration",
    "0.5",
    "--runs",
    "1",
    "--locust-duration",
    "0.5",
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
CHARTS = {
    "throughput.png",
    "server-cpu.png",
    "floors.png",
    "generators.png",
    "latency-p99.png",
    "payload-bytes.png",
    "serialisation-time.png",
}


@pytest.fixture(scope="module")
def study_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    for tool, hint in TOOLS.items():
        require_tool(tool, hint)
    out = tmp_path_factory.mktemp("bench")
    stale = out / "rest-vs-grpc" / "profile-rest-from-an-older-run.csv"
    stale.parent.mkdir()
    stale.write_text("an older run's file\n")
    done = subprocess.run(
        [sys.executable, "-m", "lab2_grpc.bench", *TINY, "--out", str(out)],
        cwd=ROOT,
        check=True,
        timeout=240,
        capture_output=True,
        text=True,
    )
    return out, done.stdout


def rows(study_out: tuple[Path, str], name: str) -> list[dict[str, str]]:
    with (study_out[0] / "rest-vs-grpc" / name).open() as file:
        return list(csv.DictReader(file))


def test_progress_is_shown_as_it_goes(study_out: tuple[Path, str]) -> None:
    output = study_out[1]
    for phase in ("start", "ceilings", "locust", "latency", "profiles", "wire", "in-process"):
        assert re.search(rf"^\[\d+:\d\d elapsed, about \d+:\d\d left\] {phase}: ", output, re.MULTILINE), phase
    assert "gRPC get (h2load)" in output and "REST get (wrk)" in output
    assert "wrote " in output.splitlines()[-1]


def test_a_run_replaces_the_previous_runs_files(study_out: tuple[Path, str]) -> None:
    folder = study_out[0] / "rest-vs-grpc"
    assert not (folder / "profile-rest-from-an-older-run.csv").exists()
    assert not list(study_out[0].glob(".rest-vs-grpc*"))


def test_page_links_only_files_that_exist(study_out: tuple[Path, str]) -> None:
    page = (study_out[0] / "rest-vs-grpc.md").read_text()
    links = re.findall(r"\]\((rest-vs-grpc/[^)]+)\)", page)
    assert links
    for link in links:
        assert (study_out[0] / link).is_file(), link


def test_page_has_every_section_and_operation(study_out: tuple[Path, str]) -> None:
    page = (study_out[0] / "rest-vs-grpc.md").read_text()
    headings = re.findall(r"^## (.+)$", page, re.MULTILINE)
    assert headings[:3] == ["What this run found", "Goals", "Glossary"]
    for heading in (
        "How it was measured",
        "Maximum throughput (C generators)",
        "The server",
        "Against the floor",
        "What the load generator costs",
        "Latency at the same fixed rate",
        "Serialisation: bytes and time (in-process)",
        "The app alone, and the server around it",
        "Where the time goes (py-spy on the server under full load)",
        "Reading the numbers",
        "Your study",
        "Reproduce",
    ):
        assert heading in headings, heading
    for op in (*OPERATIONS, FLOOR):
        assert f"| {op} |" in page
    for term in ("p50, p99", "floor", "pinning", "GIL", "HPACK", "upb"):
        assert f"- **{term}**" in page, term
    assert "python -m lab2_grpc.bench" in page and "taskset -c 0" in page


def test_page_names_no_path_or_random_port_of_this_machine(study_out: tuple[Path, str]) -> None:
    page = (study_out[0] / "rest-vs-grpc.md").read_text()
    assert str(study_out[0]) not in page and str(ROOT) not in page
    assert not re.search(r"(?<![\w/])/(tmp|home|root|work|usr)/", page)
    ports = {int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", page)}
    assert ports <= {8000, 8001, 8002, 8089, 50051, 50052}, ports


def test_every_ceiling_comes_from_both_generators(study_out: tuple[Path, str]) -> None:
    measured = rows(study_out, "measurements.csv")
    ceilings = {(row["transport"], row["op"], row["generator"]) for row in measured if row["phase"] == "max"}
    for op in (*OPERATIONS, FLOOR):
        assert ("rest", op, "wrk") in ceilings and ("grpc", op, "h2load") in ceilings, op
        assert ("rest", op, "locust") in ceilings and ("grpc", op, "locust") in ceilings, op
    floors = {row["server"] for row in measured if row["op"] == FLOOR and row["generator"] != "locust"}
    assert floors == {"gunicorn-hello", "waitress-hello", "grpc-hello"}
    for row in measured:
        float(row["rps"]), float(row["server_cpu_us_per_request"])  # every number parses
        if row["phase"] == "max":
            assert int(row["requests"]) > 0 and int(row["failures"]) == 0, row


def test_each_floor_is_profiled(study_out: tuple[Path, str]) -> None:
    """py-spy comes with the study's pinned requirements, so the profiles must be there."""
    profiles = {path.name for path in (study_out[0] / "rest-vs-grpc").glob("profile-*.csv")}
    for floor in ("gunicorn-hello", "waitress-hello", "grpc-hello"):
        assert f"profile-{floor}.csv" in profiles, profiles
    assert "py-spy was not available" not in (study_out[0] / "rest-vs-grpc.md").read_text()


def test_serialisation_csv_has_three_formats_for_three_sizes(study_out: tuple[Path, str]) -> None:
    measured = rows(study_out, "serialisation.csv")
    assert {(row["users"], row["format"]) for row in measured} == {
        (size, fmt) for size in ("1", "100", "1000") for fmt in ("json", "json+gzip", "protobuf")
    }
    assert all(int(row["bytes"]) > 0 and float(row["decode_read_us"]) > 0 for row in measured)


def test_wire_csv_has_every_operation_on_both_transports(study_out: tuple[Path, str]) -> None:
    measured = rows(study_out, "wire.csv")
    assert {(row["transport"], row["op"]) for row in measured} == {
        (t, op) for t in ("rest", "grpc") for op in OPERATIONS
    }
    assert all(float(row["request_bytes"]) > 0 and float(row["response_bytes"]) > 0 for row in measured)


def test_in_process_csv_has_every_operation_on_both_transports(study_out: tuple[Path, str]) -> None:
    measured = rows(study_out, "in-process.csv")
    assert {(row["transport"], row["op"]) for row in measured} == {
        (t, op) for t in ("rest", "grpc") for op in (*OPERATIONS, FLOOR)
    }
    assert all(float(row["us_per_call"]) > 0 for row in measured)


def test_charts_are_png(study_out: tuple[Path, str]) -> None:
    charts = {path.name: path for path in (study_out[0] / "rest-vs-grpc").glob("*.png")}
    assert set(charts) == CHARTS
    for chart in charts.values():
        assert chart.read_bytes().startswith(PNG_MAGIC)
