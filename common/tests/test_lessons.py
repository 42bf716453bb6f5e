"""Each lab is the previous lab plus its lesson: the copy command, the copy check and the lesson diffs."""

from __future__ import annotations

import ast
import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from common import lessons
from common.harness import ROOT

LABS = lessons.labs()


def test_the_course_has_its_labs_in_order():
    assert [lab.number for lab in LABS] == list(range(1, len(LABS) + 1))
    for previous, lab in itertools.pairwise(LABS):
        assert lab.previous == previous.name


@pytest.mark.parametrize("lab", LABS[1:], ids=lambda lab: lab.name)
def test_every_file_outside_the_lesson_is_the_previous_labs(lab):
    assert lessons.differences(lab) == [], f"list the file in {lab.name}/lesson.toml, or undo the change"


@pytest.mark.parametrize("lab", LABS[1:], ids=lambda lab: lab.name)
def test_every_listed_lesson_file_exists_or_is_a_folder(lab):
    for entry in lab.files:
        assert (lab.path / entry).exists(), f"{lab.name}/lesson.toml lists {entry}, which is not there"


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """The labs and common/ in a folder of their own, to change without touching the course."""
    for lab in LABS:
        shutil.copytree(lab.path, tmp_path / lab.name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "common", tmp_path / "common", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_an_unlisted_change_is_caught(course_copy: Path):
    lab = lessons.read(course_copy / LABS[1].name)
    store = lab.path / "store.py"
    store.write_text(store.read_text().replace("with self._lock:", "if True:", 1))
    assert lessons.differences(lab) == ["store.py: differs from lab1_rest's"]


def test_a_new_lab_is_the_last_one_renamed_and_passes_the_check(course_copy: Path):
    last = lessons.read(course_copy / LABS[-1].name)
    made = lessons.new_lab("lab9_scratch", root=course_copy, source=last)
    copy = lessons.read(made)
    assert copy.previous == last.name and lessons.differences(copy) == []
    assert not any(copy.is_own(f) for f in lessons.lab_files(made)), "the study is not copied"
    assert not (made / "bench").exists()


def names_in_code(path: Path, name: str) -> list[str]:
    """Where a module spells `name` outside its docstrings: imports and string constants."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(name):
            found.append(f"line {node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Import) and any(alias.name.startswith(name) for alias in node.names):
            found.append(f"line {node.lineno}: import")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found += [f"line {node.lineno}: {node.value[:60]!r}"] if name in node.value else []
    return found


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_no_lab_spells_its_own_name_in_its_code(lab):
    """Relative imports and names derived from the package: copying a lab then needs no rename."""
    offenders = {
        relative: names_in_code(lab.path / relative, lab.name)
        for relative in lessons.lab_files(lab.path)
        if relative.endswith(".py") and not lessons.GENERATED.search(relative) and not lab.is_own(relative)
    }
    assert {file: where for file, where in offenders.items() if where} == {}


def test_the_lesson_diffs_in_docs_are_current():
    for path, diff in lessons.expected_diffs().items():
        assert path.exists(), f"{path.name} is missing: run .venv/bin/python -m common.lessons diffs"
        assert path.read_text() == diff, f"{path.name} is stale: run .venv/bin/python -m common.lessons diffs"


def test_a_lesson_diff_shows_the_core_files_first():
    for lab in LABS[1:]:
        diff = lessons.lesson_diff(lab)
        files = [line.removeprefix("+++ b/") for line in diff.splitlines() if line.startswith("+++ b/")]
        assert files, lab.name
        assert files[-1] == "README.md" or "README.md" not in files[:-1], "the README comes after the code"
        assert files[0] == next(f for f in lab.files if not f.endswith("/")), "the diff follows the manifest's order"


@pytest.mark.slow
def test_a_scratch_lab_with_a_new_proto_field_passes_its_own_tests(course_copy: Path):
    """The copy command, a change to the contract, regenerated code: the new lab's tests pass in their process."""
    grpc_lab = next(lab for lab in LABS if (lab.path / "protos").exists())
    made = lessons.new_lab("lab9_scratch", root=course_copy, source=lessons.read(course_copy / grpc_lab.name))
    proto = made / "protos" / "users" / "v1" / "users.proto"
    text = proto.read_text()
    proto.write_text(
        text.replace("  string email = 2;\n}", "  string email = 2;\n\n  // A new field.\n  string nickname = 3;\n}", 1)
    )
    assert proto.read_text() != text
    generated = subprocess.run(
        [sys.executable, "-m", "lab9_scratch.generate"], cwd=course_copy, capture_output=True, text=True
    )
    assert generated.returncode == 0, generated.stderr
    assert "nickname" in (made / "users" / "v1" / "users_pb2.pyi").read_text()
    # Not its README (the lesson rewrites it) nor its grader test (the grader knows the course's labs only).
    only = ["-q", "-m", "not slow", "-k", "not readme and not grader", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "lab9_scratch", *only],
        cwd=course_copy,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert " passed" in result.stdout.splitlines()[-1]
