"""Grade a class: one run per student from a CSV of addresses, one CSV row of scores per student.

A student whose address is malformed or silent still gets a row (status "error" and why), so
one bad entry never stops the class from being graded.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import TextIO

from . import addresses as addr
from . import outputs
from .labs import Lab
from .registry import Requirement
from .runner import Options, grade

COLUMNS = [
    "student",
    "status",
    "core_earned",
    "core_possible",
    "core_percent",
    "extras_earned",
    "extras_possible",
    "extras_percent",
    "core_passed",
    "lost",
    "message",
]


def read_students(path: Path) -> list[dict[str, str]]:
    """Rows of the students file: columns student, rest_url, (labs 2+) grpc_target and (labs 5+) notifier_url."""
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise addr.UsageError(f"--students {path}: {exc.strerror}") from None
    if not rows or "student" not in rows[0] or "rest_url" not in rows[0]:
        raise addr.UsageError(
            f"--students {path}: expected a CSV with a header: student,rest_url,grpc_target (labs 5+: and notifier_url)"
        )
    return rows


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "student"


def _given(row: dict[str, str], column: str) -> str | None:
    """The cell, or None when the column is missing or the cell blank."""
    value = (row.get(column) or "").strip()
    return value or None


def grade_one(
    lab: Lab, row: dict[str, str], requirements: list[Requirement], options: Options, results_dir: Path | None
) -> dict:
    student = row.get("student", "").strip()
    try:
        rest, grpc, notifier = (_given(row, column) for column in ("rest_url", "grpc_target", "notifier_url"))
        found = addr.Addresses(
            rest_url=addr.rest_url(rest) if rest else None,
            grpc_target=addr.grpc_target(grpc) if grpc else None,
            notifier_url=addr.notifier_url(notifier) if notifier else None,
        )
        addr.require(lab.sides, found, lab.name)
    except addr.UsageError as exc:
        return {"student": student, "status": "error", "message": str(exc)}
    run = grade(lab, found, requirements, options)
    if results_dir is not None:
        outputs.write(run, results_dir / _safe(student))
    return {
        "student": student,
        "status": run.status,
        "core_earned": f"{run.core.earned:g}",
        "core_possible": f"{run.core.possible:g}",
        "core_percent": f"{run.core.percent:.0f}",
        "extras_earned": f"{run.extras.earned:g}",
        "extras_possible": f"{run.extras.possible:g}",
        "extras_percent": f"{run.extras.percent:.0f}",
        "core_passed": str(run.core_passed).lower(),
        "lost": " ".join(r.id for r in run.results if not r.passed),
        "message": run.error or "",
    }


def grade_class(
    lab: Lab,
    students: Path,
    out: Path,
    requirements: list[Requirement],
    options: Options,
    results_dir: Path | None = None,
    progress: TextIO = sys.stdout,
) -> list[dict]:
    """Grade every student of `students` in turn and write one row each to `out`."""
    rows = []
    for row in read_students(students):
        graded = grade_one(lab, row, requirements, options, results_dir)
        rows.append(graded)
        score = (
            f"core {graded.get('core_earned', 0)}/{graded.get('core_possible', '?')}" if "core_earned" in graded else ""
        )
        print(
            f"{graded['student']}: {graded['status']} {score} {graded.get('message', '')}".rstrip(),
            file=progress,
            flush=True,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return rows
