"""Each lab's starter runs, the grader fails it on the lesson's core requirements, and the markers are sound.

The reference labs' full marks are each lab's own test (tests/test_grader.py); here the starter is
written into a folder of its own and started from there, as a student would.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from common import harness, lessons, starter
from common.grader.labs import resolve
from common.grader.registry import builtin

LABS = lessons.labs()
# The protocol each lab's lesson adds: its core requirements are the starter's to-do list.
LESSON_PROTOCOL = {1: "rest", 2: "grpc"}


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
    from common.grader import grade_lab

    parts = starter.write_starter(lab.name, tmp_path / "starter")
    assert parts
    folder = tmp_path / "starter"
    assert (folder / lab.name / "README.md").exists() and (folder / lab.name / "tests").is_dir()
    assert not (folder / lab.name / "bench").exists()
    with harness.running_in(lab.name, folder, python=sys.executable) as running:
        protocols = resolve(lab.name).protocols
        run = grade_lab(
            lab.name,
            rest_url=running.http_url,
            grpc_target=running.grpc_target if "grpc" in protocols else None,
        )
    lesson = {req.id for req in builtin(protocols) if req.core and req.protocol == LESSON_PROTOCOL[lab.number]}
    passed = {result.id for result in run.results if result.passed}
    assert not lesson & passed, f"the starter already passes {sorted(lesson & passed)}"
    assert not run.core_passed
