"""The grader gives this lab full marks: every requirement in docs/contract.md, checked through the lab's ports.

The requirements themselves live in common/grader/checks/, so that the same checks grade a
student's service in any language (``./run_all.sh grade``) and this reference lab. Lab 7 is graded
as GitHub Classroom grades it (common/grader/classroom/lab7.json): the grader starts the lab itself
(``--start``), grades lab 6's requirements at its three addresses, and starts it again for each of
its configuration's, in environments of their own, one with a PostgreSQL database (``--database-url``),
which CONFIG-DATABASE reaches over gRPC alone and then looks into for the user it registered.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from common import harness
from common.postgres import scratch_database


def test_the_grader_gives_this_lab_full_marks(lab_name: str, tmp_path: Path):
    prefix = f"test-{secrets.token_hex(4)}"
    # Run from a folder of its own: no .env of a developer's in the working directory changes what is graded.
    env = {
        **os.environ,
        "PYTHONPATH": str(harness.ROOT),
        "JWT_SECRET": secrets.token_urlsafe(48),
        "BROKER_PREFIX": prefix,
    }
    out = tmp_path / "out"
    command = [sys.executable, "-m", "common.grader", lab_name, "--start", f"{sys.executable} -m {lab_name}"]
    try:
        with scratch_database() as url:
            command += ["--database-url", url, "--pass-if", "all", "--out", str(out)]
            graded = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    finally:
        harness.delete_broker_names(lab_name, {"BROKER_PREFIX": prefix})
    assert (out / "results.json").exists(), graded.stdout + graded.stderr
    results = json.loads((out / "results.json").read_text())
    lost = "\n".join(f"{t['status']} {t['name']}: {t['message']}" for t in results["tests"] if t["status"] != "pass")
    assert graded.returncode == 0 and results["status"] == "pass", lost or graded.stdout + graded.stderr
    assert results["scores"]["core"]["percent"] == results["scores"]["extras"]["percent"] == 100.0
    graded_ids = {t["name"] for t in results["tests"]}
    assert {"METRICS-HTTP", "NOTIFY-REGISTERED", "TRACE-ID"} <= graded_ids, "lab 7 is graded on lab 6's too"
    assert {"CONFIG-ENV-FILE", "CONFIG-INVALID", "CONFIG-DATABASE", "CONFIG-NO-TRACEBACK"} <= graded_ids
    assert (out / "service.log").exists() and any((out / "starts").glob("start-*-database-after.log"))
    assert any((out / "starts").glob("start-*-traceback-secret.log")), "the short secret's refusal is judged too"
