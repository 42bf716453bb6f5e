"""Smoke test of the WebSocket benchmark: a tiny run of the README's command prints the table it quotes.

It checks the shape, not the numbers (they depend on the machine): every client connected, every
message delivered, each column filled, so the full benchmark cannot silently rot.
"""

from __future__ import annotations

import subprocess

import pytest

from common.harness import ROOT
from common.pytest_plugin import require_tool

pytestmark = pytest.mark.slow

TINY = ["--clients", "20", "40", "--runs", "1", "--room-size", "10", "--seconds", "1"]


def test_a_tiny_run_prints_the_table_with_nothing_lost():
    require_tool("taskset", "Debian/Ubuntu: sudo apt-get install util-linux")
    run = subprocess.run(
        ["./run_all.sh", "bench", "lab4", *TINY], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "run 1/1: 20 clients" in run.stdout and "run 1/1: 40 clients" in run.stdout
    rows = [line for line in run.stdout.splitlines() if line.startswith(("| 20 |", "| 40 |"))]
    assert len(rows) == 2, run.stdout
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 9 and cells[-1] == "0", row  # 7 measures, and no delivery lost
        assert all(cell and cell != "nan (nan-nan)" for cell in cells), row
