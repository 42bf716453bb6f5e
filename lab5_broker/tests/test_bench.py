"""Smoke test of the pipeline benchmark: a tiny run of the README's command prints the table it quotes.

It checks the shape, not the numbers (they depend on the machine): a row per broker and one for lab 4
(the baseline), each column filled, and nothing lost or notified twice, so the full benchmark cannot
silently rot.
"""

from __future__ import annotations

import subprocess

import pytest

from common.harness import ROOT
from common.pytest_plugin import require_tool

pytestmark = pytest.mark.slow

TINY = ["--runs", "1", "--seconds", "1", "--loads", "100"]


def test_a_tiny_run_prints_the_table_with_nothing_lost():
    require_tool("taskset", "Debian/Ubuntu: sudo apt-get install util-linux")
    require_tool("wrk", "Debian/Ubuntu: sudo apt-get install wrk")
    run = subprocess.run(
        ["./run_all.sh", "bench", "lab5", *TINY], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "run 1/1: rabbitmq, 100/s" in run.stdout and "run 1/1: kafka, 100/s" in run.stdout
    rows = [line for line in run.stdout.splitlines() if line.startswith(("| rabbitmq | 100/s", "| kafka | 100/s"))]
    assert len(rows) == 2, run.stdout
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 11, row  # the broker, the load, 6 measures, registered, lost, twice
        assert int(cells[8].replace(",", "")) > 0 and cells[9:] == ["0", "0"], row
        assert all(cell and "nan" not in cell for cell in cells), row
    [baseline] = [line for line in run.stdout.splitlines() if line.startswith("| lab 4, no broker | as fast as")]
    assert int(baseline.strip("|").split("|")[8].replace(",", "")) > 0, baseline  # it registered users
