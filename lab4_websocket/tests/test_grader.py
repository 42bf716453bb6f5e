"""The grader gives this lab full marks: every requirement in docs/contract.md, checked through the lab's ports.

The requirements themselves live in common/grader/checks/, so that the same checks grade a
student's service in any language (``./run_all.sh grade``) and this reference lab.
"""

from __future__ import annotations

from common.grader import grade_lab
from common.grader.labs import resolve


def test_the_grader_gives_this_lab_full_marks(lab, lab_name):
    grpc = "grpc" in resolve(lab_name).protocols
    run = grade_lab(lab_name, rest_url=lab.http_url, grpc_target=lab.grpc_target if grpc else None)
    lost = "\n".join(f"{r.status} {r.id}: {r.message}" for r in run.results if not r.passed)
    assert run.lost() == set(), lost
    assert run.core.percent == run.extras.percent == 100.0
