"""The report a person reads: one line per requirement as it finishes, details under failures, scores.

A student sees what to fix (what was sent, what came back, a hint); an instructor sees the scores.
"""

from __future__ import annotations

from .results import RequirementResult, RunResult

LABELS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skipped": "SKIP"}
INDENT = " " * 8
SIDE_NAMES = {"rest": "REST", "grpc": "gRPC", "notifier": "notifier", "start": "start command", "database": "database"}


def header(run: RunResult) -> str:
    addresses = ", ".join(f"{SIDE_NAMES[side]} {run.addresses.of(side)}" for side in run.lab.sides)
    return f"Grading {run.lab.name} at {addresses}"


def result_line(result: RequirementResult) -> str:
    req = result.requirement
    line = f"{LABELS[result.status]:<5} {req.id:<28} {req.kind:<5} {req.weight:>3g}  {req.title}"
    if result.message and result.status != "pass":
        line += "\n" + "\n".join(INDENT + part for part in result.message.splitlines())
    return line


def summary(run: RunResult) -> str:
    counts = {status: sum(1 for r in run.results if r.status == status) for status in LABELS}
    tally = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    return f"core: {run.core}, extras: {run.extras}\n{len(run.results)} requirements: {tally} in {run.duration:.1f} s"
