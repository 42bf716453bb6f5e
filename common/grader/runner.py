"""Run a lab's requirements against one service, each on a hard time limit, within a run budget.

No pytest: a plain loop is easier to bound in time. Every request has its own timeout, every
requirement runs on a worker thread the loop stops waiting for at its limit, and the whole run
stops starting requirements when its budget is spent. So a hung service costs seconds per
requirement it hangs, and a requirement whose dependency failed is skipped without a call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .addresses import Addresses, probe_grpc, probe_notifier, probe_rest
from .context import Context
from .evidence import CheckFailed
from .labs import Lab
from .launch import Launcher
from .registry import Requirement, in_run_order
from .results import RequirementResult, RunResult

PROBES = {"rest": probe_rest, "grpc": probe_grpc, "notifier": probe_notifier}


@dataclass(frozen=True)
class Options:
    timeout: float = 5.0  # seconds, every HTTP request and gRPC call
    budget: float = 600.0  # seconds, the whole run
    requirement_limit: float | None = None  # seconds per requirement; None: six request timeouts

    @property
    def default_limit(self) -> float:
        return self.requirement_limit if self.requirement_limit is not None else 6 * self.timeout


def failure_message(req: Requirement, failure: CheckFailed) -> str:
    lines = [failure.reason]
    if failure.exchange is not None:
        lines += [f"sent: {failure.exchange.sent}", f"got:  {failure.exchange.got}"]
    lines.append(f"hint: {req.hint}")
    return "\n".join(lines)


def probe(lab: Lab, addresses: Addresses, timeout: float) -> dict[str, str]:
    """For each of the lab's sides where nothing answers, one sentence saying so."""
    unreachable = {}
    for side in lab.sides:
        address = addresses.of(side)
        problem = PROBES[side](address, timeout)
        if problem is not None:
            unreachable[side] = f"nothing answers at {address}: {problem}"
    return unreachable


def not_given(lab: Lab, launcher: Launcher | None) -> dict[str, str]:
    """For each of what the lab's requirements may need beside its addresses (Lab.needs) that the grader
    was not given, one sentence saying so (lab 7: the start command, a database)."""
    missing = {}
    if "start" in lab.needs and launcher is None:
        missing["start"] = (
            "the grader did not start the service: these requirements start it again themselves, "
            "in environments of their own; give --start 'COMMAND' instead of the addresses"
        )
    if "database" in lab.needs and launcher is not None and launcher.database_url is None:  # else: start's reason
        missing["database"] = (
            "no PostgreSQL database given: give --database-url postgresql://USER@HOST:PORT/DB, "
            "a database the service may keep its users in (with --start)"
        )
    return missing


def not_reached(req: Requirement, unreachable: dict[str, str]) -> str | None:
    """Why `req` cannot be graded (nothing answers at one of its sides, or the grader was not given
    what it needs), or None when it can."""
    return next((unreachable[side] for side in req.sides if side in unreachable), None)


class Clients:
    """The connections of one run: fresh HTTP sessions per requirement, one gRPC channel for all."""

    def __init__(
        self, lab: Lab, addresses: Addresses, timeout: float, reachable: set[str], launcher: Launcher | None = None
    ) -> None:
        from .rest_client import RestClient

        self._launcher = launcher  # lab 7: starts the command again, for the checks of its configuration
        self._auth = auth = "auth" in lab.features  # lab 3: every requirement calls as a logged-in user
        rest_type: type[RestClient] = RestClient
        if auth:
            from .auth_clients import AuthRestClient

            rest_type = AuthRestClient
        self._rest = rest_type(addresses.rest_url, timeout) if "rest" in reachable else None
        self._grpc = None
        if "grpc" in reachable:
            from .grpc_client import GrpcClient

            if auth:
                from .auth_clients import AuthGrpcClient as GrpcClient

            self._grpc = GrpcClient(addresses.grpc_target, timeout, lab.stubs_package)
        # Lab 5's notifier: a service of its own, whose GET /notifications and /healthz need no token.
        self._notifier = RestClient(addresses.notifier_url, timeout) if "notifier" in reachable else None

    def context(self, timeout: float, deadline: float | None = None) -> Context:
        return Context(
            timeout,
            self._rest.fork() if self._rest else None,
            self._grpc,
            self._auth,
            self._notifier.fork() if self._notifier else None,
            deadline,
            self._launcher,
        )

    def close(self) -> None:
        for client in (self._rest, self._grpc, self._notifier):
            if client:
                client.close()


def run_check(req: Requirement, ctx: Context, limit: float) -> tuple[str, str | None]:
    """Run one check on a daemon thread; stop waiting for it after `limit` seconds."""
    outcome: list[tuple[str, str | None]] = []

    def target() -> None:
        try:
            req.check(ctx)
            outcome.append(("pass", None))
        except CheckFailed as failure:
            outcome.append(("fail", failure_message(req, failure)))
        except AssertionError as failure:  # a hidden check may use plain assert
            outcome.append(("fail", f"{failure or 'assertion failed'}\nhint: {req.hint}"))
        except Exception as exc:
            outcome.append(("error", f"the check could not judge the answer: {type(exc).__name__}: {exc}"))

    worker = threading.Thread(target=target, name=f"requirement {req.id}", daemon=True)
    worker.start()
    worker.join(limit)
    if not outcome:
        return "fail", f"did not finish within {limit:g} s: the service kept calls open\nhint: {req.hint}"
    return outcome[0]


def grade(
    lab: Lab,
    addresses: Addresses,
    requirements: list[Requirement],
    options: Options | None = None,
    on_result: Callable[[RequirementResult], None] | None = None,
    unreachable: dict[str, str] | None = None,
    launcher: Launcher | None = None,
) -> RunResult:
    """Probe every address (unless the caller did), then run each requirement in dependency order.

    `launcher` starts the service again for the requirements that need to (lab 7's configuration);
    without it, they are not graded. Never raises because of the service: whatever it does ends up
    in the results.
    """
    options = options or Options()
    started = time.monotonic()
    run = RunResult(lab, addresses)
    run.unreachable = probe(lab, addresses, options.timeout) if unreachable is None else unreachable
    ordered = in_run_order([req for req in requirements if req.protocol in lab.protocols])
    if len(run.unreachable) == len(lab.sides):
        run.error = "; ".join(run.unreachable.values())
    clients = Clients(lab, addresses, options.timeout, set(lab.sides) - set(run.unreachable), launcher)
    missing = {**run.unreachable, **not_given(lab, launcher)}
    status_of: dict[str, str] = {}
    try:
        for req in ordered:
            result = _run_one(req, run, missing, status_of, clients, options, started)
            status_of[req.id] = result.status
            run.results.append(result)
            if on_result:
                on_result(result)
    finally:
        clients.close()
    run.duration = time.monotonic() - started
    return run


def _run_one(
    req: Requirement,
    run: RunResult,
    missing: dict[str, str],
    status_of: dict[str, str],
    clients: Clients,
    options: Options,
    started: float,
) -> RequirementResult:
    unreached = not_reached(req, missing)
    if unreached is not None:
        return RequirementResult(req, "fail", f"not graded: {unreached}")
    blocked = [dep for dep in req.depends_on if status_of.get(dep) != "pass"]
    if blocked:
        reasons = ", ".join(f"{dep} ({'skipped' if status_of.get(dep) == 'skipped' else 'failed'})" for dep in blocked)
        return RequirementResult(req, "skipped", f"skipped: it depends on {reasons}")
    remaining = options.budget - (time.monotonic() - started)
    if remaining <= 0:
        return RequirementResult(req, "error", f"not run: the run's time budget of {options.budget:g} s ran out")
    limit = min(req.time_limit or options.default_limit, remaining)
    began = time.monotonic()
    ctx = clients.context(options.timeout, began + limit)
    try:
        status, message = run_check(req, ctx, limit)
    finally:
        for client in (ctx.rest_client, ctx.notifier_client):
            if client is not None:
                client.close()
    return RequirementResult(req, status, message, time.monotonic() - began)  # type: ignore[arg-type]
