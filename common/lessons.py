"""Each lab is the previous lab plus one lesson: copy a lab, check the copy, write the lesson's diff.

A lab's ``lesson.toml`` names the lab it starts from and lists, core first, the files its lesson
adds or changes. Every other file must be the previous lab's, with the lab's name changed where a
file spells it out (a Dockerfile, a compose file). Files under ``own`` belong to the lab alone
(lab 2's REST vs gRPC study): they are neither compared nor copied into the next lab.

    python -m common.lessons new lab3_jwt     # make lab 3 from the last lab, renamed
    python -m common.lessons check [LAB ...]  # every unlisted file is the previous lab's
    python -m common.lessons diffs            # write docs/diffs/<lab>.diff, the lessons as diffs
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIFFS = ROOT / "docs" / "diffs"
MANIFEST = "lesson.toml"
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}
GENERATED = re.compile(r"_pb2(_grpc)?\.pyi?$")  # protoc's output: in the lab, never in a diff
LAB_NAME = re.compile(r"^lab(\d+)_[a-z0-9]+$")


@dataclass(frozen=True)
class Lab:
    path: Path
    previous: str
    files: tuple[str, ...]
    own: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def number(self) -> int:
        match = LAB_NAME.match(self.name)
        assert match, self.name
        return int(match[1])

    def is_lesson_file(self, relative: str) -> bool:
        return any(relative == entry or relative.startswith(entry.rstrip("/") + "/") for entry in self.files)

    def is_own(self, relative: str) -> bool:
        return any(relative.startswith(entry.rstrip("/") + "/") or relative == entry for entry in self.own)


def labs(root: Path = ROOT) -> list[Lab]:
    """Every lab folder with a lesson.toml, in course order."""
    found = [read(path) for path in root.iterdir() if LAB_NAME.match(path.name) and (path / MANIFEST).exists()]
    return sorted(found, key=lambda lab: lab.number)


def read(path: Path) -> Lab:
    data = tomllib.loads((path / MANIFEST).read_text())
    return Lab(path, data.get("previous", ""), tuple(data.get("files", ())), tuple(data.get("own", ())))


def lab_files(lab_dir: Path) -> list[str]:
    """The lab's files, relative to its folder, without caches."""
    return sorted(
        str(path.relative_to(lab_dir))
        for path in lab_dir.rglob("*")
        if path.is_file() and not SKIPPED_PARTS.intersection(path.relative_to(lab_dir).parts) and path.suffix != ".pyc"
    )


def renamed(text: str, old: str, new: str) -> str:
    """The previous lab's text as this lab would spell it: its package name, and its number in a first line.

    Only a first line ("# Lab 2 as a container image", a package's docstring) names the lab it is in;
    a "Lab 3:" further down says which lab introduced what, and stays true in every later lab.
    """
    old_number, new_number = old.split("_")[0][3:], new.split("_")[0][3:]
    first, newline, rest = text.replace(old, new).partition("\n")
    return first.replace(f"Lab {old_number}", f"Lab {new_number}") + newline + rest


def differences(lab: Lab) -> list[str]:
    """Files outside the lesson that differ from the previous lab's (or exist in only one of the two)."""
    if not lab.previous:
        return []
    previous = read(lab.path.parent / lab.previous)
    ours = {f for f in lab_files(lab.path) if not lab.is_lesson_file(f) and not lab.is_own(f)}
    theirs = {f for f in lab_files(previous.path) if not lab.is_lesson_file(f) and not previous.is_own(f)}
    problems = [f"{f}: only in {lab.name}" for f in sorted(ours - theirs)]
    problems += [f"{f}: only in {previous.name}" for f in sorted(theirs - ours)]
    for relative in sorted(ours & theirs):
        expected = renamed((previous.path / relative).read_bytes().decode(errors="replace"), previous.name, lab.name)
        if (lab.path / relative).read_bytes().decode(errors="replace") != expected:
            problems.append(f"{relative}: differs from {previous.name}'s")
    return problems


def new_lab(name: str, root: Path = ROOT, source: Lab | None = None) -> Path:
    """Copy the last lab (or `source`) to `name`, renamed, with a manifest that lists no lesson file yet."""
    if not LAB_NAME.match(name):
        raise SystemExit(f"{name!r} is not a lab name like lab3_jwt")
    source = source or labs(root)[-1]
    target = root / name
    if target.exists():
        raise SystemExit(f"{target} exists already")
    for relative in lab_files(source.path):
        if source.is_own(relative) or relative == MANIFEST:
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        data = (source.path / relative).read_bytes()
        if GENERATED.search(relative):
            destination.write_bytes(data)
        else:
            destination.write_bytes(renamed(data.decode(), source.name, name).encode())
    (target / MANIFEST).write_text(
        f"# {name}'s lesson: the files it adds or changes, relative to {source.name}, core first.\n"
        f"# Every other file must stay {source.name}'s (python -m common.lessons check).\n"
        f'previous = "{source.name}"\n'
        f'files = ["README.md", "{MANIFEST}"]\n'
    )
    return target


def lesson_diff(lab: Lab) -> str:
    """The lesson as one unified diff: the listed files in the manifest's order, generated code left out."""
    previous = lab.path.parent / lab.previous
    chunks: list[str] = []
    for entry in lab.files:
        for relative in _expand(lab.path, previous, entry):
            if GENERATED.search(relative) or relative == MANIFEST:
                continue
            old = _lines(previous / relative, lab.previous, lab.name)
            new = _lines(lab.path / relative, lab.name, lab.name)
            chunks.extend(difflib.unified_diff(old, new, f"a/{relative}", f"b/{relative}"))
    return "".join(chunks)


def _expand(lab_dir: Path, previous: Path, entry: str) -> list[str]:
    if entry.endswith("/"):
        found = {f for f in lab_files(lab_dir) if f.startswith(entry)}
        found |= {f for f in lab_files(previous) if f.startswith(entry)}
        return sorted(found)
    return [entry]


def _lines(path: Path, name: str, new_name: str) -> list[str]:
    if not path.exists():
        return []
    return renamed(path.read_text(), name, new_name).splitlines(keepends=True)


def expected_diffs(root: Path = ROOT) -> dict[Path, str]:
    return {DIFFS / f"{lab.name}.diff": lesson_diff(lab) for lab in labs(root) if lab.previous}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m common.lessons", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("new", help="make a lab from the last one").add_argument("name")
    commands.add_parser("check", help="unlisted files equal the previous lab's").add_argument("labs", nargs="*")
    commands.add_parser("diffs", help="write docs/diffs/<lab>.diff")
    args = parser.parse_args(argv)
    if args.command == "new":
        print(f"made {new_lab(args.name).relative_to(ROOT)}/: list the files its lesson changes in its {MANIFEST}")
        return 0
    if args.command == "diffs":
        DIFFS.mkdir(parents=True, exist_ok=True)
        for path, diff in expected_diffs().items():
            path.write_text(diff)
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    wanted = [lab for lab in labs() if not args.labs or lab.name in args.labs or lab.name.split("_")[0] in args.labs]
    failed = False
    for lab in wanted:
        problems = differences(lab)
        failed |= bool(problems)
        print(f"{lab.name}: " + ("ok" if not problems else "files outside its lesson changed:"))
        for problem in problems:
            print(f"  {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
