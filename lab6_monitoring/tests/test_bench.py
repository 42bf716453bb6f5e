"""Smoke test of the benchmark of the cost of observing: a tiny run prints the table the README quotes.

It checks the shape, and numbers only where the machine cannot change them: a row per workload and
configuration, each cell filled, requests served without errors, every scrape of lab 6 answered, and
the logs really in the format named (a JSON line is longer than lab 5's text line or lab 6's), so the
full benchmark can neither silently rot nor measure one configuration under another's name.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from common.harness import ROOT
from common.pytest_plugin import require_tool

pytestmark = pytest.mark.slow

TINY = ["--runs", "1", "--seconds", "1"]
WORKLOADS = ("registrations (POST /users)", "reads (GET /users/<id>)")
CONFIGURATIONS = ("lab 5", "lab 6, text logs", "lab 6, ECS logs")


def number(cell: str) -> float:
    """The median of a cell (its min and max follow in brackets), or a total: "1,234" is 1234."""
    return float(cell.split(" (")[0].replace(",", ""))


def table_rows(output: str) -> dict[tuple[str, str], list[str]]:
    """The cells of each row of the table, by its workload and configuration."""
    rows = {}
    for line in output.splitlines():
        if line.startswith(tuple(f"| {workload} |" for workload in WORKLOADS)):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0], cells[1]] = cells
    return rows


def test_a_tiny_run_prints_every_configuration_with_plausible_numbers():
    require_tool("taskset", "Debian/Ubuntu: sudo apt-get install util-linux")
    require_tool("wrk", "Debian/Ubuntu: sudo apt-get install wrk")
    run = subprocess.run(
        [sys.executable, "-m", "lab6_monitoring.bench", *TINY], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for workload in ("register", "read"):
        for configuration in CONFIGURATIONS:
            assert f"run 1/1: {workload}, {configuration}\n" in run.stdout, run.stdout
    rows = table_rows(run.stdout)
    assert sorted(rows) == sorted((w, c) for w in WORKLOADS for c in CONFIGURATIONS), run.stdout
    for (_, configuration), cells in rows.items():
        assert len(cells) == 11, cells  # workload, configuration, 6 measures, requests, errors, scrapes missed
        assert all(cell and "nan" not in cell and "inf" not in cell for cell in cells), cells
        assert 0 < number(cells[2]) < 1e6 and 0 < number(cells[4]) < 1e5, cells  # requests/s, p99 in ms
        assert 0 < number(cells[5]) < 1e6, cells  # the users service's CPU µs per request: under a second
        assert number(cells[8]) > 0 and cells[9] == "0", cells  # requests served, none failed
        assert cells[10] == ("—" if configuration == "lab 5" else "0"), cells  # every scrape answered
        assert (cells[3] == "—") == (configuration == "lab 5"), cells  # the cost, against lab 5
    for workload in WORKLOADS:
        lab5, text, ecs = (number(rows[workload, configuration][7]) for configuration in CONFIGURATIONS)
        assert ecs > max(lab5, text) and text > 0, (workload, lab5, text, ecs)  # log bytes per request
    assert "lab 6 with ECS logs serves" in run.stdout, run.stdout
