"""``./run_all.sh test``'s runner: targets start the longest first, run side by side, and a failure is shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from common import run_tests

# Each of two targets waits until the other has started: they pass only if both run at once.
MEETS = """
import time
from pathlib import Path

def test_meets_{other}():
    root = Path(__file__).parent.parent
    (root / "{me}.started").touch()
    deadline = time.monotonic() + 60
    while not (root / "{other}.started").exists():
        assert time.monotonic() < deadline, "{other} never ran beside {me}"
        time.sleep(0.05)
    assert "{me}" == "a", "{me} fails on purpose"
"""


def test_new_labs_start_first_then_the_longest():
    targets = ["common", "lab1_rest", "lab2_grpc", "lab5_broker", "lab8_next"]
    assert run_tests.longest_first(targets) == ["lab8_next", "common", "lab5_broker", "lab2_grpc", "lab1_rest"]


def test_totals_come_from_each_closing_line():
    result = run_tests.Result("lab1_rest", 1, "x\n===== 2 failed, 30 passed, 1 error in 9.10s (0:00:09) =====\n", 9.2)
    assert result.closing == "2 failed, 30 passed, 1 error in 9.10s (0:00:09)"
    assert run_tests.count("passed", result.closing) == 30
    assert run_tests.count("failed|errors?", result.closing) == 3


@pytest.mark.parametrize("raw", ["0", "two", "-1"])
def test_test_jobs_must_be_a_positive_number(raw: str):
    with pytest.raises(SystemExit, match="TEST_JOBS"):
        run_tests.jobs_from({"TEST_JOBS": raw})


def test_two_targets_run_at_once_and_the_failure_is_shown(tmp_path: Path, monkeypatch, capsys):
    for me, other in (("a", "b"), ("b", "a")):
        (tmp_path / me).mkdir()
        (tmp_path / me / f"test_{me}.py").write_text(MEETS.format(me=me, other=other))
    monkeypatch.setenv("TEST_JOBS", "2")
    status = run_tests.main(["a", "b"], root=tmp_path, logs=tmp_path / "logs")
    out = capsys.readouterr().out
    assert status == 1, out
    assert "start  a" in out and "start  b" in out
    assert "] ok     a: 1 passed in " in out and "] FAILED b: 1 failed in " in out
    assert "    FAILED b/test_b.py::test_meets_a - AssertionError: b fails on purpose" in out
    assert "\n  a                1 passed in " in out and "\n  b                1 failed in " in out
    assert out.endswith("total: 1 passed, 1 failed\n")
    assert "1 failed" in (tmp_path / "logs" / "b.log").read_text()
