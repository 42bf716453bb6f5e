"""Write a lab's starter: the lab with the parts a student writes replaced by TODOs.

The reference code marks each such part between two comments:

    # >>> lab 1 · store.create: under the lock, refuse a taken email, else store and return a new User
    ...the reference solution...
    # <<< lab 1

A starter for lab N keeps lab N's marked parts as TODOs that say what to do, and raises
NotImplementedError there (REST answers 501, gRPC UNIMPLEMENTED), so the starter runs and answers
/healthz from the first minute, and the grader shows what is left. Parts marked for an earlier lab
stay written: lab N starts from a finished lab N - 1.

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
END = re.compile(r"^[ \t]*# <<< lab (?P<lab>\d+)$")
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
                indent, part, todo = open_part["indent"], open_part["part"].strip(), open_part["todo"].strip()
                out.append(f"{indent}# TODO (lab {lab} · {part}): {todo}\n")
                out.append(f'{indent}raise NotImplementedError("lab {lab} · {part}: not written yet")\n')
                parts.append(part)
            else:
                out.append(line)
            open_part = None
            continue
        if not open_part or int(open_part["lab"]) != lab:
            out.append(line)
    if open_part:
        raise MarkerError(f"the part {open_part['part']!r} is never closed")
    return "".join(out), parts


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
