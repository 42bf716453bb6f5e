"""``python -m common.exercises LAB [N] [--cwd DIR]``: check exercise N of a lab, or list its exercises.

Exit status: 0 when the check passed (or the list was printed), 1 when it failed, 2 for a usage
error (an unknown lab or exercise number), each said in one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import harness
from common.grader.labs import LABS, Lab, UnknownLab, resolve

from .registry import UnknownExercise, exercises_of, find
from .runner import run

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROG = "python -m common.exercises"
LAB_NAMES = ", ".join(f"{lab.number} / {lab.name}" for lab in LABS)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not the whole usage text."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{PROG}: {message} (see --help)\n")


def parser() -> Parser:
    made = Parser(prog=PROG, description="Check one exercise of a lab's README against the lab in a working tree.")
    made.add_argument("lab", metavar="LAB", help=f"the lab: {LAB_NAMES}")
    made.add_argument("number", metavar="N", type=int, nargs="?", help="the exercise; leave it out to list them")
    made.add_argument(
        "--cwd", type=Path, default=harness.ROOT, metavar="DIR", help="the course folder to start the lab from"
    )
    made.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds per request (default 5)")
    return made


def listing(lab: Lab) -> str:
    lines = [f"{lab.name}: exercise N is checked by ./run_all.sh check {lab.number} N"]
    lines += [f"  {found.number}  {found.title}" for found in exercises_of(lab)] or ["  (no exercises)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        lab = resolve(args.lab)
        if args.number is None:
            print(listing(lab))
            return EXIT_PASSED
        exercise = find(lab, args.number)
    except UnknownLab:
        print(f"{PROG}: no lab called {args.lab!r}; the labs: {LAB_NAMES}", file=sys.stderr)
        return EXIT_USAGE
    except UnknownExercise as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    cwd = args.cwd.resolve()
    if not (cwd / lab.name / "__main__.py").is_file():
        print(f"{PROG}: {cwd} has no {lab.name}/__main__.py: give --cwd the course folder", file=sys.stderr)
        return EXIT_USAGE
    outcome = run(lab, exercise, cwd, args.timeout)
    print(outcome.report(lab))
    return EXIT_PASSED if outcome.passed else EXIT_FAILED


sys.exit(main())
