"""Each lab's starter runs, the grader fails it on the lesson's core requirements, and the markers are sound.

The reference labs' full marks are each lab's own test (tests/test_grader.py); here the starter is
written into a folder of its own and started from there, as a student would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common import harness, lessons, starter
from common.grader.labs import resolve
from common.grader.registry import builtin

LABS = lessons.labs()
# The protocol (or feature) each lab's lesson adds: its core requirements are the starter's to-do list.
LESSON_PROTOCOL = {1: "rest", 2: "grpc", 3: "grpc", 4: "websocket", 5: "notifications", 6: "monitoring", 7: "config"}
# A solution line shorter than this (`return`, `pass`, `with self._lock:`) gives nothing away.
SOLUTION_LINE_CHARS = 25
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)")


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


def test_a_diff_shows_the_labs_parts_and_later_ones_as_todos_and_keeps_earlier_ones():
    diff = (
        "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,8 @@\n def f():\n"
        "+    # >>> lab 2 · f: return two\n+    return 2\n+    # <<< lab 2\n"
        "+    # >>> lab 1 · g: return one\n+    return 1\n+    # <<< lab 1\n"
        " x = 1\n"
        "@@ -10,3 +16 @@\n-    # >>> lab 3 · h: log it\n-    log(x)\n-    # <<< lab 3\n+    y = 1\n"
    )
    assert starter.strip_diff(diff, 2) == (
        "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,7 @@\n def f():\n"
        "+    # TODO (lab 2 · f): return two\n"
        '+    raise NotImplementedError("lab 2 · f: not written yet")\n'
        "+    # >>> lab 1 · g: return one\n+    return 1\n+    # <<< lab 1\n"
        " x = 1\n"
        "@@ -10,2 +15 @@\n-    # TODO (lab 3 · h): log it\n"
        '-    raise NotImplementedError("lab 3 · h: not written yet")\n+    y = 1\n'
    )


def test_a_quote_that_starts_or_stops_inside_a_part_keeps_none_of_it():
    quoted = ["        secret()\n", "        # <<< lab 4\n", "    x = 1\n", "    # >>> lab 4 · g: do\n", "    no\n"]
    assert starter.strip_quoted(quoted, 4) == [
        "        # TODO (lab 4): the part that ends here is yours\n",
        "    x = 1\n",
        "    # TODO (lab 4 · g): do\n",
        '    raise NotImplementedError("lab 4 · g: not written yet")\n',
    ]


def test_a_diff_follows_each_side_of_a_part_apart():
    hunk = [" # >>> lab 2 · f: do\n", "-    old()\n", "- # <<< lab 2\n", "+    new()\n", "+ # <<< lab 2\n", " x = 1\n"]
    stripped = starter.strip_quoted(hunk, 2, margin=1)
    assert stripped[-1] == " x = 1\n" and not any("old()" in line or "new()" in line for line in stripped)


def test_a_page_shows_the_parts_in_its_code_blocks_as_todos():
    page = (
        "Prose: # >>> lab 1 · f: stays\n"
        "```python\n    # >>> lab 1 · f: return one\n    return 1\n    # <<< lab 1\n```\n"
        "```diff\n+    # >>> lab 1 · g: return two\n+    return 2\n+    # <<< lab 1\n```\n"
    )
    assert starter.strip_markdown(page, 1) == (
        "Prose: # >>> lab 1 · f: stays\n"
        "```python\n    # TODO (lab 1 · f): return one\n"
        '    raise NotImplementedError("lab 1 · f: not written yet")\n```\n'
        '```diff\n+    # TODO (lab 1 · g): return two\n+    raise NotImplementedError("lab 1 · g: not written yet")\n'
        "```\n"
    )


def solution_lines(lab: lessons.Lab) -> set[str]:
    """The lines, long enough to tell, that only the parts of `lab` or a later lab write (in any lab's code)."""
    inside: set[str] = set()
    outside: set[str] = set()
    for source in (path for each in LABS for path in each.path.rglob("*.py")):
        part_lab = 0  # the lab of the part the line is in; 0 outside every part
        for line in source.read_text().splitlines():
            begin, end = starter.BEGIN.match(line), starter.END.match(line)
            if begin or end:
                part_lab = int(begin["lab"]) if begin else 0
                continue
            (inside if part_lab >= lab.number else outside).add(line.strip())
    return {line for line in inside - outside if len(line) >= SOLUTION_LINE_CHARS}


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_the_starters_docs_quote_no_solution_and_its_links_into_docs_work(lab, tmp_path: Path):
    folder = tmp_path / "starter"
    starter.write_starter(lab.name, folder)
    secrets = solution_lines(lab)
    assert secrets, f"{lab.name}'s parts hold no line long enough to look for"
    leaked = []
    for path in sorted(p for p in (folder / "docs").rglob("*") if p.is_file()):
        for number, line in enumerate(path.read_bytes().decode(errors="replace").splitlines(), 1):
            leaked += [f"{path.relative_to(folder)}:{number}: {line.strip()}" for s in secrets if s in line][:1]
    assert leaked == [], "the starter's docs quote the solutions of its TODOs:\n" + "\n".join(leaked)
    readme = folder / lab.name / "README.md"
    into_docs = [(readme.parent / target).resolve() for target in LINK.findall(readme.read_text())]
    # Not docs/solutions/: the README points instructors there, and a starter leaves it out on purpose.
    into_docs = [path for path in into_docs if path.is_relative_to(folder / "docs") and "solutions" not in path.parts]
    missing = [str(path.relative_to(folder)) for path in into_docs if not path.exists()]
    assert into_docs and missing == [], f"{lab.name}/README.md links into docs/ to what the starter lacks: {missing}"


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
        notifier = f"http://{running.host}:{running.env['NOTIFIER_HTTP_PORT']}"
        command += ["--notifier-url", notifier] if "notifier" in known.sides else []
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
