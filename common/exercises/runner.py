"""Run one exercise's check against the lab as it is in a working tree, and say how it went.

The lab is started exactly as a student starts it (``python -m LAB`` from the course folder) on
free ports, so the check sees the student's current code, and stopped by its PID afterwards.

A check talks to the lab through the lab's own addresses: REST, gRPC and, from lab 5, the
notifier's HTTP port (NOTIFIER_HTTP_PORT). A few checks also need something around the lab that
the lab talks to (surroundings.py): the mail server the notifier sends to, or the broker behind a
connection the check can cut. Such a check is marked with `surrounded_by`: its surroundings start
before the lab (their environment variables point the lab at them), the check receives them as a
second argument, and they stop after the lab. Lab 7's checks also start the lab again themselves,
in environments of their own (surroundings.LabStarts): surroundings that need to know which lab, and
from which folder, have a `place` method, and those that write logs of their own list them in `logs`,
deleted when the check passes and named beside the lab's log when it fails.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self

from common import harness
from common.grader import CheckFailed, Context
from common.grader.labs import Lab
from common.grader.rest_client import RestClient

from .registry import Exercise

if TYPE_CHECKING:
    from common.grader.grpc_client import GrpcClient

INDENT = " " * 6
LOG_TAIL_LINES = 20


class Surroundings(Protocol):
    """What a check needs around the lab beside its ports, entered before the lab starts and left after it stops."""

    env: dict[str, str]  # added to the lab's environment: where to find them (or what to run with)

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def surrounded_by(make: Callable[[], Surroundings]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a check (below its @exercise) as run inside `make()`; it is called with (ctx, surroundings)."""

    def mark(check: Callable[..., None]) -> Callable[..., None]:
        check.surroundings = make  # type: ignore[attr-defined]
        return check

    return mark


def surroundings_of(exercise: Exercise, lab: Lab, cwd: Path) -> contextlib.AbstractContextManager[Any]:
    make = getattr(exercise.check, "surroundings", None)
    if make is None:
        return contextlib.nullcontext()
    around = make()
    if hasattr(around, "place"):  # it starts the lab itself (lab 7): which one, from which folder
        around.place(lab.name, cwd)
    return around


@dataclass(frozen=True)
class Outcome:
    exercise: Exercise
    passed: bool
    details: tuple[str, ...] = ()  # why it failed: the reason, what was sent and got, the hint

    def report(self, lab: Lab) -> str:
        line = f"{'PASS' if self.passed else 'FAIL'}  {lab.number} {self.exercise.number}  {self.exercise.title}"
        return "\n".join([line, *(INDENT + detail for detail in self.details)])


def failed(exercise: Exercise, reason: str, *evidence: str) -> Outcome:
    return Outcome(exercise, False, (reason, *evidence, f"hint: {exercise.hint}"))


def run(lab: Lab, exercise: Exercise, cwd: Path, timeout: float = 5.0) -> Outcome:
    """Start the lab from `cwd` (inside the check's surroundings, if it has any), run the check, stop the lab."""
    with surroundings_of(exercise, lab, cwd) as around:
        try:
            process = harness.start(lab.name, around.env if around is not None else None, cwd=cwd)
        except harness.LabFailedToStart as exc:
            head, _, log = str(exc).partition("\n")
            tail = log.strip().splitlines()[-LOG_TAIL_LINES:]
            return failed(exercise, f"the lab did not start ({head.rstrip(':')}); the end of its log:", *tail)
        try:
            if "grpc" in lab.protocols:
                process.wait_until(lambda: harness.port_open(int(process.env["GRPC_PORT"])))
            outcome = _check(lab, exercise, process, cwd, timeout, around)
        finally:
            process.stop()
    own_logs = list(getattr(around, "logs", ()))  # the output of the lab's starts by the check (lab 7)
    if outcome.passed:
        for log in (process.log_path, *own_logs):
            log.unlink(missing_ok=True)
        return outcome
    # A failure may be a crash inside the lab (a 500, an INTERNAL): its traceback is in the log.
    logs = [f"the log of a start by the check: {log}" for log in own_logs if log.exists()]
    return replace(outcome, details=(*outcome.details, *logs, f"the lab's log: {process.log_path}"))


def _check(
    lab: Lab, exercise: Exercise, process: harness.LabProcess, cwd: Path, timeout: float, around: Surroundings | None
) -> Outcome:
    ctx = Context(timeout, RestClient(process.http_url, timeout))
    try:
        if "grpc" in lab.protocols:
            ctx.grpc_client = _grpc_client(lab, process, cwd, timeout)
        if "notifier" in lab.sides:  # lab 5: the notifier's own HTTP port
            ctx.notifier_client = RestClient(f"http://{process.host}:{process.env['NOTIFIER_HTTP_PORT']}", timeout)
        if around is None:
            exercise.check(ctx)
        else:
            exercise.check(ctx, around)
    except CheckFailed as failure:
        evidence = [f"sent: {failure.exchange.sent}", f"got:  {failure.exchange.got}"] if failure.exchange else []
        return failed(exercise, failure.reason, *evidence)
    except AssertionError as failure:
        return failed(exercise, str(failure) or "an assertion of the check failed")
    except Exception as exc:  # the check could not judge: say what stopped it rather than print a traceback
        return failed(exercise, f"the check stopped: {type(exc).__name__}: {exc}")
    finally:
        ctx.rest.close()
        if ctx.grpc_client is not None:
            ctx.grpc_client.close()
        if ctx.notifier_client is not None:
            ctx.notifier_client.close()
    return Outcome(exercise, True)


def _grpc_client(lab: Lab, process: harness.LabProcess, cwd: Path, timeout: float) -> GrpcClient:
    """The grader's gRPC client on the generated code of the lab in `cwd`: the student's .proto, as built."""
    from common.grader.grpc_client import GrpcClient  # grpc is imported only for a lab that has it

    if str(cwd) not in sys.path:
        sys.path.insert(0, str(cwd))
    return GrpcClient(process.grpc_target, timeout, lab.stubs_package)
