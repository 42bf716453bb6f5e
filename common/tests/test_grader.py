"""The grader grades: full marks for the reference labs, full core marks for an independent minimal
service, and each broken variant loses exactly the requirements it breaks, in bounded time.
"""

from __future__ import annotations

import pytest

from common import harness
from common.grader import grade_lab
from common.grader.registry import builtin
from common.tests.minimal_service import Flaws, minimal_lab1, minimal_lab2

# What the minimal service leaves out on purpose: extras only.
MINIMAL_REST_LOST = {
    "REST-HEALTHZ",
    "REST-PROBLEM-JSON",
    "REST-INVALID-422",
    "REST-VALIDATION-RULES",
    "REST-BODY-413",
    "REST-PAGING",
    "REST-PAGING-422",
}
MINIMAL_GRPC_LOST = {
    "GRPC-BAD-REQUEST",
    "GRPC-VALIDATION-RULES",
    "GRPC-EMPTY-ID",
    "GRPC-PAGING",
    "GRPC-PAGING-INVALID",
    "GRPC-CORRUPT-BYTES",
    "GRPC-MESSAGE-LIMIT",
    "GRPC-HEALTH",
    "GRPC-REFLECTION",
}


def ids(protocol: str) -> set[str]:
    return {req.id for req in builtin((protocol,)) if req.protocol == protocol}


def describe(run) -> str:
    """The lost requirements with their messages, for an assertion that fails."""
    return "\n".join(f"{r.status} {r.id}: {r.message}" for r in run.results if not r.passed)


def test_the_minimal_service_gets_full_core_marks_in_lab1():
    with minimal_lab1() as url:
        run = grade_lab("lab1", rest_url=url)
    assert run.core_passed, describe(run)
    assert run.lost() == MINIMAL_REST_LOST, describe(run)
    assert all(not r.requirement.core for r in run.results if not r.passed)


def test_the_minimal_service_gets_full_core_marks_in_lab2_over_both_transports():
    with minimal_lab2() as (url, target):
        run = grade_lab("lab2", rest_url=url, grpc_target=target)
    assert run.core_passed, describe(run)
    assert run.lost() == MINIMAL_REST_LOST | MINIMAL_GRPC_LOST, describe(run)


# Each variant breaks one thing; it must lose exactly these requirements on top of the minimal
# service's missing extras (failed, or skipped because one it depends on failed).
VARIANTS = {
    "200-on-create": (Flaws(create_status=200), {"REST-CREATE-201"}),
    "no-location": (Flaws(location=False), {"REST-LOCATION"}),
    "case-sensitive-create": (Flaws(create_case_sensitive=True), {"REST-CREATE-409-CASE"}),
    "case-sensitive-update": (Flaws(update_case_sensitive=True), {"REST-UPDATE-409-CASE"}),
    "500-on-malformed-json": (
        Flaws(malformed_json_500=True),
        {"REST-BAD-JSON-4XX", "REST-BAD-JSON-400", "REST-UPDATE-INVALID"},
    ),
    "newest-first": (Flaws(order="newest"), {"REST-LIST-ORDER"}),
    "sorted-by-name": (Flaws(order="name"), {"REST-LIST-ORDER"}),
    "create-race": (Flaws(create_race=True), {"REST-RACE-CREATE-ONE-EMAIL"}),
    "lost-update": (Flaws(lost_update=True), {"REST-RACE-UPDATE-MANY"}),
    "unlocked-id-counter": (Flaws(unlocked_ids=True), {"REST-RACE-CREATE-MANY"}),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_broken_variant_loses_exactly_what_it_breaks(variant):
    flaws, broken = VARIANTS[variant]
    with minimal_lab1(flaws) as url:
        run = grade_lab("lab1", rest_url=url)
    assert run.lost() - MINIMAL_REST_LOST == broken, describe(run)
    assert run.lost() >= MINIMAL_REST_LOST
    assert run.duration < 30


def test_a_hung_endpoint_fails_its_requirements_skips_their_dependents_and_ends_on_time():
    """GET /users/{id} sleeps 60 s: two requirements time out after 5 s, the rest run or are skipped."""
    with minimal_lab1(Flaws(hang_get_by_id=60)) as url:
        run = grade_lab("lab1", rest_url=url)
    assert run.by_status("fail") - MINIMAL_REST_LOST == {"REST-GET", "REST-GET-404"}, describe(run)
    assert run.by_status("skipped") == {
        "REST-UPDATE",
        "REST-UPDATE-OWN-EMAIL",
        "REST-UPDATE-409",
        "REST-UPDATE-409-CASE",
        "REST-UPDATE-INVALID",
        "REST-UPDATE-TIMESTAMPS",
        "REST-DELETE",
        "REST-EMAIL-REUSE",
        "REST-RACE-UPDATE-MANY",
        "REST-RACE-UPDATE-ONE",
        "REST-RACE-DELETE",
        "REST-LOCATION",
        "REST-PROBLEM-JSON",
    }, describe(run)
    timed_out = next(r for r in run.results if r.id == "REST-GET")
    assert "no answer within 5 s" in timed_out.message and "sent: GET /users/" in timed_out.message
    assert run.duration < 30, f"the run took {run.duration:.0f} s"


def test_a_rest_only_lab2_loses_every_grpc_requirement_fast_and_keeps_its_rest_marks():
    with minimal_lab1() as url:
        run = grade_lab("lab2", rest_url=url, grpc_target=f"127.0.0.1:{harness.free_port()}")
    assert run.lost() == MINIMAL_REST_LOST | ids("grpc"), describe(run)
    assert set(run.unreachable) == {"grpc"}
    assert all("not graded: nothing answers at 127.0.0.1:" in r.message for r in run.results if r.id.startswith("GRPC"))
    assert run.duration < 15
    assert not run.core_passed and run.error is None
