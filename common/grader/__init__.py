"""The course's grader: checks one running implementation of a lab against its contract.

The contract is docs/contract.md; every requirement there has an id, is core (what the
assignment's task asks) or extra (the course's quality bar), and has a weight. This package
holds one Python function per requirement, a runner that bounds every request and requirement
in time, and the outputs (a report, results.json, JUnit XML, a CSV row per student).

    python -m common.grader lab2 --rest-url http://127.0.0.1:8000 --grpc-target 127.0.0.1:50051
    python -m common.grader lab5 --rest-url http://127.0.0.1:8000 --grpc-target 127.0.0.1:50051 \
        --notifier-url http://127.0.0.1:8001
    python -m common.grader lab7 --start '.venv/bin/python -m lab7_config' \
        --database-url postgresql://127.0.0.1:5432/grading

Run ``python -m common.grader --help`` for every mode and option.

Hidden checks: ``--hidden DIR`` imports every DIR/*.py, and each registers requirements with
the decorator below, exactly as the built-in ones in ``checks/`` do::

    from common.grader import Context, expect, requirement

    @requirement("HIDDEN-LIST-AFTER-DELETE", protocol="rest", core=False, weight=1,
                 title="...", hint="...", depends_on=["REST-DELETE"])
    def list_after_delete(ctx: Context) -> None:
        reply = ctx.rest.get("/users")
        expect(reply.status == 200, "GET /users should answer 200", reply.exchange)

A check passes unless it raises: CheckFailed (via ``expect``) or AssertionError fail it, any
other exception marks it "error". ``ctx.rest`` and ``ctx.grpc`` call the service with the run's
timeout, ``ctx.notifier`` the notifier of labs 5-7 (for checks declared with ``feature="notifications"``),
``ctx.launch`` starts the service again in an environment of the check's own (lab 7, ``feature="config"``,
graded only with ``--start``); ``ctx.email()`` gives an address nobody used. Weights change with ``--weights FILE``
(JSON or TOML mapping requirement ids to numbers).
"""

from .api import grade_lab
from .context import Context
from .evidence import CheckFailed, Exchange, expect
from .registry import Requirement, requirement
from .results import RunResult
from .runner import Options

__all__ = [
    "CheckFailed",
    "Context",
    "Exchange",
    "Options",
    "Requirement",
    "RunResult",
    "expect",
    "grade_lab",
    "requirement",
]
