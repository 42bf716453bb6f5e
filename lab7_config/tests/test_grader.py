"""The grader gives this lab full marks: every requirement in docs/contract.md, checked through the lab's ports.

The requirements themselves live in common/grader/checks/, so that the same checks grade a
student's service in any language (``./run_all.sh grade``) and this reference lab. Lab 6 is graded
at lab 5's three addresses: the users service's HTTP and gRPC ports, and the notifier's own HTTP
port; its metrics are read at the two HTTP ports (GET /metrics), its trace ids in the answers and
in the notifier's record.
"""

from __future__ import annotations

from common.grader import grade_lab


def test_the_grader_gives_this_lab_full_marks(lab, lab_name):
    notifier_url = f"http://{lab.host}:{lab.env['NOTIFIER_HTTP_PORT']}"
    run = grade_lab(lab_name, rest_url=lab.http_url, grpc_target=lab.grpc_target, notifier_url=notifier_url)
    lost = "\n".join(f"{r.status} {r.id}: {r.message}" for r in run.results if not r.passed)
    assert run.lost() == set(), lost
    assert run.core.percent == run.extras.percent == 100.0
    assert any(r.id.startswith("NOTIFY-") for r in run.results), "lab 6 is graded on its notifier too"
    graded = {r.id for r in run.results}
    assert {"METRICS-HTTP", "METRICS-NOTIFIER", "TRACE-ID"} <= graded, "lab 6 is graded on its metrics and traces"
