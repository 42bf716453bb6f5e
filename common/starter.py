"""Write a lab's starter: the lab with the parts a student writes replaced by TODOs.

The reference code marks each such part between two comments:

    # >>> lab 1 · store.create: under the lock, refuse a taken email, else store and return a new User
    ...the reference solution...
    # <<< lab 1

A starter for lab N keeps lab N's marked parts as TODOs that say what to do, and raises
NotImplementedError there (REST answers 501, gRPC UNIMPLEMENTED), so the starter runs and answers
/healthz from the first minute, and the grader shows what is left. Parts marked for an earlier lab
stay written: lab N starts from a finished lab N - 1.

The starter also carries docs/ (the lab's README links into it), whose lesson diffs and walkthrough
pages quote the reference code, markers and all: there the parts of lab N and of every later lab
become the same TODOs, so the docs do not hand out the answers the code leaves out.

    python -m common.starter lab1_rest DIR     (./run_all.sh starter lab1 DIR)
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from . import lessons

ROOT = lessons.ROOT
BEGIN = re.compile(r"^(?P<indent>[ \t]*)# >>> lab (?P<lab>\d+) · (?P<part>[^:]+): (?P<todo>.+)$")
END = re.compile(r"^(?P<indent>[ \t]*)# <<< lab (?P<lab>\d+)$")
# A unified diff's hunk header; a count left out is 1.
HUNK = re.compile(r"^@@ -(?P<old>\d+)(?:,(?P<old_count>\d+))? \+(?P<new>\d+)(?:,(?P<new_count>\d+))? @@(?P<rest>.*)$")
FENCE = re.compile(r"^[ \t]*```(?P<language>[\w-]*)")
DIFF_MARGIN = 1  # the "+", "-" or " " before each line of a diff
# What a starter folder holds besides the lab: the course's tools, so that its commands work.
COURSE_FILES = ["run_all.sh", "conftest.py", "pyproject.toml", "requirements-test.txt", "requirements-codegen.txt"]
# A TODO leaves behind imports that the finished code uses, and its text may run long: not mistakes yet.
STARTER_LINT = '\n[tool.ruff.lint.per-file-ignores]\n"lab*/*.py" = ["F401", "E501"]\n'
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "tests")


class MarkerError(ValueError):
    """A marked part is not closed, or closed without being opened."""


def strip_solutions(text: str, lab: int) -> tuple[str, list[str]]:
    """`text` with lab `lab`'s marked parts replaced by TODOs; also the list of those parts."""
    out: list[str] = []
    parts: list[str] = []
    open_part: re.Match[str] | None = None
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        begin, end = BEGIN.match(line.rstrip("\n")), END.match(line.rstrip("\n"))
        if begin:
            if open_part:
                raise MarkerError(f"line {number}: a part opens inside another")
            open_part = begin
            if int(begin["lab"]) != lab:
                out.append(line)
            continue
        if end:
            if not open_part or end["lab"] != open_part["lab"]:
                raise MarkerError(f"line {number}: a part closes that was not opened")
            if int(end["lab"]) == lab:
                out += todo_lines(open_part)
                parts.append(open_part["part"].strip())
            else:
                out.append(line)
            open_part = None
            continue
        if not open_part or int(open_part["lab"]) != lab:
            out.append(line)
    if open_part:
        raise MarkerError(f"the part {open_part['part']!r} is never closed")
    return "".join(out), parts


def todo_lines(begin: re.Match[str]) -> list[str]:
    """What a part opened by `begin` becomes in a starter: the same two lines in its code and its docs."""
    indent, lab, part, todo = begin["indent"], begin["lab"], begin["part"].strip(), begin["todo"].strip()
    return [
        f"{indent}# TODO (lab {lab} · {part}): {todo}\n",
        f'{indent}raise NotImplementedError("lab {lab} · {part}: not written yet")\n',
    ]


def strip_quoted(lines: list[str], lab: int, margin: int = 0) -> list[str]:
    """A quote of the code (a diff hunk, a Markdown code block) with the parts of lab `lab` and later as TODOs.

    Unlike strip_solutions it strips later labs' parts too (a lab 2 starter ships lab 3's diff), keeps
    each line's first `margin` characters (a diff's "+", "-" or " ") and follows a diff's two sides
    apart (a part may end sooner on one), and forgives a quote that starts or stops inside a part:
    an excerpt need not hold both markers.
    """
    out: list[str] = []
    inside: set[str] = set()  # the sides now in a part of lab `lab` or later
    marked: set[str] = set()  # the sides that showed a marker: a quote does not start inside a part there
    for line in lines:
        prefix, code = line[:margin], line[margin:].rstrip("\n")
        sides = _sides(prefix)
        begin, end = BEGIN.match(code), END.match(code)
        if begin and int(begin["lab"]) >= lab:
            out += [prefix + todo for todo in todo_lines(begin)]
            inside |= sides
        elif end and int(end["lab"]) >= lab and (inside & sides or not marked & sides):
            if not inside & sides:  # the quote starts inside this part: what came so far is its solution
                out = [kept for kept in out if not _sides(kept[:margin]) & sides]
                out.append(f"{prefix}{end['indent']}# TODO (lab {end['lab']}): the part that ends here is yours\n")
            inside -= sides
        elif not inside & sides:
            out.append(line)
        marked |= sides if begin or end else set()
    return out


def _sides(prefix: str) -> set[str]:
    """The sides of a diff a line is on: "-" the old, "+" the new; a context line, or plain code, is on both."""
    return {prefix} if prefix in ("-", "+") else {"-", "+"}


def strip_diff(text: str, lab: int) -> str:
    """A unified diff with the parts of lab `lab` and later as TODOs, each hunk's header recounted.

    Recounted and moved, the lesson diff of a starter's own lab still applies to the previous lab and
    gives the starter's code: a reader can trust its line numbers.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    shift = (0, 0)  # lines this file's earlier hunks lost (or gained), on the old side and the new
    index = 0
    while index < len(lines):
        header = HUNK.match(lines[index].rstrip("\n"))
        if not header:
            if lines[index].startswith("--- "):  # outside a hunk: the next file's header
                shift = (0, 0)
            out.append(lines[index])
            index += 1
            continue
        body = _hunk_body(lines[index + 1 :], int(header["old_count"] or 1), int(header["new_count"] or 1))
        stripped = strip_quoted(body, lab, DIFF_MARGIN)
        out += [_hunk_header(header, _side_counts(stripped), shift), *stripped]
        (old_before, new_before), (old_now, new_now) = _side_counts(body), _side_counts(stripped)
        shift = (shift[0] + old_now - old_before, shift[1] + new_now - new_before)
        index += 1 + len(body)
    return "".join(out)


def _hunk_body(lines: list[str], old: int, new: int) -> list[str]:
    """The lines of a hunk whose header counts `old` and `new` lines: read by count, as `patch` does."""
    taken = 0
    while taken < len(lines) and (old > 0 or new > 0 or lines[taken].startswith("\\")):
        kind = lines[taken][:1]
        old -= kind in (" ", "-", "\n")
        new -= kind in (" ", "+", "\n")
        taken += 1
    return lines[:taken]


def _side_counts(body: list[str]) -> tuple[int, int]:
    """How many lines of a hunk's body are on the old side and on the new (a context line is on both)."""
    kinds = [line[:1] for line in body]
    return sum(kind in (" ", "-", "\n") for kind in kinds), sum(kind in (" ", "+", "\n") for kind in kinds)


def _hunk_header(header: re.Match[str], counts: tuple[int, int], shift: tuple[int, int]) -> str:
    """The header of a hunk that now counts `counts` lines, moved by what the file's earlier hunks lost."""
    old = _hunk_range(int(header["old"]) + shift[0], counts[0])
    new = _hunk_range(int(header["new"]) + shift[1], counts[1])
    return f"@@ -{old} +{new} @@{header['rest']}\n"


def _hunk_range(start: int, count: int) -> str:
    """A side of a hunk header as difflib and git write it: the count left out when it is 1."""
    return str(start) if count == 1 else f"{start},{count}"


def strip_markdown(text: str, lab: int) -> str:
    """A Markdown page whose code blocks show the parts of lab `lab` and later as TODOs (prose is left as is)."""
    out: list[str] = []
    block: list[str] | None = None  # the lines of the open code block
    margin = 0
    for line in text.splitlines(keepends=True):
        fence = FENCE.match(line)
        if fence and block is None:
            block, margin = [], DIFF_MARGIN if fence["language"] == "diff" else 0
            out.append(line)
        elif fence and block is not None:
            out += [*strip_quoted(block, lab, margin), line]
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:  # a block left open runs to the end of the page
        out += strip_quoted(block, lab, margin)
    return "".join(out)


def strip_docs(docs: Path, lab: int) -> None:
    """Rewrite the lesson diffs and the pages under `docs` so they quote no part of lab `lab` or later."""
    for path in sorted(docs.rglob("*.diff")):
        path.write_text(strip_diff(path.read_text(), lab))
    for path in sorted(docs.rglob("*.md")):
        path.write_text(strip_markdown(path.read_text(), lab))


def marked_parts(lab_dir: Path, lab: int) -> dict[str, list[str]]:
    """Lab `lab`'s marked parts in each Python file of `lab_dir`."""
    found = {}
    for path in sorted(lab_dir.rglob("*.py")):
        _, parts = strip_solutions(path.read_text(), lab)
        if parts:
            found[str(path.relative_to(lab_dir))] = parts
    return found


def write_starter(lab_name: str, destination: Path) -> list[str]:
    """Write the starter of `lab_name` into `destination`; return the parts the student writes."""
    lab = lessons.read(ROOT / lab_name)
    if destination.exists() and any(destination.iterdir()):
        raise SystemExit(f"{destination} is not empty")
    destination.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        shutil.copy2(ROOT / name, destination / name)
    with (destination / "pyproject.toml").open("a") as pyproject:
        pyproject.write(STARTER_LINT)
    shutil.copytree(ROOT / "common", destination / "common", ignore=IGNORED)
    # The walkthrough and the contract, so the lab's README links work; never the model solutions.
    shutil.copytree(ROOT / "docs", destination / "docs", ignore=shutil.ignore_patterns("solutions"))
    strip_docs(destination / "docs", lab.number)
    target = destination / lab.name
    parts: list[str] = []
    for relative in lessons.lab_files(lab.path):
        if lab.is_own(relative):
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        if relative.endswith(".py") and not lessons.GENERATED.search(relative):
            text, stripped = strip_solutions((lab.path / relative).read_text(), lab.number)
            (target / relative).write_text(text)
            parts += [f"{relative}: {part}" for part in stripped]
        else:
            shutil.copy2(lab.path / relative, target / relative)
    (destination / "README.md").write_text(_readme(lab, parts))
    return parts


def _readme(lab: lessons.Lab, parts: list[str]) -> str:
    todo = "\n".join(f"- `{lab.name}/{part.split(':')[0]}`: {part.split(': ', 1)[1]}" for part in parts)
    return (
        f"# Starter: {lab.name}\n\n"
        f"Your job is in [`{lab.name}/README.md`]({lab.name}/README.md) (\"Your job\"); the contract your service\n"
        f"keeps is in [`docs/contract.md`](docs/contract.md). The parts to write raise NotImplementedError:\n\n"
        f"{todo}\n\n"
        f"```console\n$ ./run_all.sh {lab.name}\n$ ./run_all.sh test {lab.name}\n```\n\n"
        f"The first runs your lab and its demo; the second runs its tests. The grader's view of your running\n"
        f"service: `./run_all.sh grade {lab.name} ...` (see docs/contract.md).\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m common.starter", description=__doc__.splitlines()[0])
    parser.add_argument("lab", help="the lab, e.g. lab1_rest")
    parser.add_argument("destination", type=Path, help="an empty or new folder")
    args = parser.parse_args(argv)
    lab_name = next((lab.name for lab in lessons.labs() if args.lab in (lab.name, lab.name.split("_")[0])), None)
    if lab_name is None:
        parser.error(f"no lab called {args.lab!r}")
    parts = write_starter(lab_name, args.destination)
    print(f"wrote the starter of {lab_name} to {args.destination}: {len(parts)} parts to write")
    for part in parts:
        print(f"  {part}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
