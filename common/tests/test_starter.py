"""Each lab's starter runs, the grader fails it on the lesson's core requirements, and the markers are sound.

The reference labs' full marks are each lab's own test (tests/test_grader.py); here the starter is
written into a folder of its own and started from there, as a student would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from common import harness, lessons, starter
from common.grader.labs import resolve
from common.grader.registry import builtin

LABS = lessons.labs()
# The protocol (or feature) each lab's lesson adds: its core requirements are the starter's to-do list.
LESSON_PROTOCOL = {1: "rest", 2: "grpc", 3: "grpc", 4: "websocket"}


def test_markers_open_and_close_in_pairs():
    with pytest.raises(starter.MarkerError):
        starter.strip_solutions("# >>> lab 1 · x: do it\npass\n", 1)
    with pytest.raises(starter.MarkerError):
        starter.strip_solutions("pass\n# <<< lab 1\n", 1)


def test_only_the_labs_own_parts_become_todos():
    text = "def f():\n    # >>> lab 1 · f: return one\n    return 1\n    # <<< lab 1\n"
    stripped, parts = starter.strip_solutions(text, 1)
    assert parts == ["f"]
    assert "return 1" not in stripped and 'raise NotImplementedError("lab 1 · f: not written yet")' in stripped
    assert starter.strip_solutions(text, 2) == (text, [])


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_every_lab_marks_parts_for_its_own_lesson(lab):
    assert starter.marked_parts(lab.path, lab.number), f"{lab.name} marks no part for its starter"


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_the_starter_runs_and_the_grader_fails_its_lesson_core(lab, tmp_path: Path):
    """Graded in a process of its own, as each lab's generated code must be (one proto file name per process)."""
    folder = tmp_path / "starter"
    assert starter.write_starter(lab.name, folder)
    assert (folder / lab.name / "README.md").exists() and (folder / lab.name / "tests").is_dir()
    assert not (folder / lab.name / "bench").exists()
    assert (folder / "docs" / "contract.md").exists() and not (folder / "docs" / "solutions").exists()
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=folder, capture_output=True, text=True)
    assert lint.returncode == 0, f"a fresh starter should pass the linter:\n{lint.stdout}"
    known = resolve(lab.name)
    with harness.running_in(lab.name, folder, python=sys.executable) as running:
        command = [sys.executable, "-m", "common.grader", lab.name, "--rest-url", running.http_url]
        command += ["--grpc-target", running.grpc_target] if "grpc" in known.protocols else []
        command += ["--out", str(tmp_path / "out")]
        graded = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)
    assert graded.returncode == 1, graded.stdout + graded.stderr  # 1: a core requirement did not pass
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    passed = {test["name"] for test in results["tests"] if test["status"] == "pass"}
    lesson = {
        req.id
        for req in builtin(known.protocols, known.features)
        if req.core and LESSON_PROTOCOL[lab.number] in (req.protocol, req.feature)
    }
    assert lesson, lab.name
    assert not lesson & passed, f"the starter already passes {sorted(lesson & passed)}"
