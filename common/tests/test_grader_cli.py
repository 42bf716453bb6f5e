"""The grader as instructors use it: usage errors in one line, the files it writes, class mode,
hidden checks and weights, the GitHub Classroom configurations, and the contract it cites.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from common import harness
from common.grader import grade_lab
from common.grader.addresses import UsageError
from common.grader.labs import LABS
from common.grader.registry import builtin
from common.tests.minimal_service import minimal_lab1

ROOT = harness.ROOT
CLASSROOM = ROOT / "common" / "grader" / "classroom"
CONTRACT = ROOT / "docs" / "contract.md"


def grader(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "common.grader", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def nothing_listens() -> str:
    return f"http://127.0.0.1:{harness.free_port()}"


# --- usage errors: one line, exit 2, before any request ------------------------------------------

REST_AND_GRPC = ["--rest-url", "http://127.0.0.1:1", "--grpc-target", "127.0.0.1:1"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["lab1", "--rest-url", "localhost:8000"], "write it as http://localhost:8000"),
        (["lab2", "--rest-url", "http://127.0.0.1:8000"], "also give --grpc-target"),
        (["lab2", "--grpc-target", "127.0.0.1:50051"], "also give --rest-url"),
        (["lab1", "--rest-url", "http://127.0.0.1:8000", "--grpc-target", "127.0.0.1:1"], "drop --grpc-target"),
        (["lab2", "--rest-url", "http://127.0.0.1:1", "--grpc-target", "http://127.0.0.1:1"], "without a scheme"),
        (["lab9", "--rest-url", "http://127.0.0.1:8000"], "no lab called 'lab9'"),
        (["lab1"], "also give --rest-url"),
        (["lab1", "--rest-url"], "expected one argument"),
        (["lab5", *REST_AND_GRPC], "also give --notifier-url http://127.0.0.1:8001"),
        (["lab4", *REST_AND_GRPC, "--notifier-url", "http://127.0.0.1:1"], "drop --notifier-url"),
        (["lab5", *REST_AND_GRPC, "--notifier-url", "x:8001"], "--notifier-url 'x:8001' is not an http:// or https://"),
        (["lab5", "--start", "true", "--notifier-url", "http://127.0.0.1:1"], "not both"),
    ],
    ids=[
        "no-scheme",
        "lab2-without-grpc",
        "lab2-without-rest",
        "lab1-with-grpc",
        "grpc-scheme",
        "unknown-lab",
        "none",
        "empty",
        "lab5-without-notifier",
        "lab4-with-notifier",
        "notifier-scheme",
        "start-and-notifier",
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(args, says):
    result = grader(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert says in result.stderr


def test_nothing_listening_is_one_line_and_exit_3():
    url = nothing_listens()
    result = grader("lab1", "--rest-url", url)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"python -m common.grader: not graded: nothing answers at {url}: "
        "connection refused, nothing listens on that port"
    )


def test_help_names_every_mode_and_the_exit_statuses():
    result = grader("--help")
    assert result.returncode == 0
    for text in (
        "--rest-url",
        "--grpc-target",
        "--notifier-url",
        "--start",
        "class LAB --students",
        "--hidden",
        "--weights",
        "Exit status",
    ):
        assert text in result.stdout


# --- outputs ------------------------------------------------------------------------------------


def test_a_run_writes_results_json_and_junit_xml_and_a_line_per_requirement(tmp_path: Path):
    lab1 = {req.id for req in builtin(("rest",))}
    with minimal_lab1() as url:
        result = grader("lab1", "--rest-url", url, "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout  # every core requirement passes
    lines = result.stdout.splitlines()
    assert lines[0] == f"Grading lab1_rest at REST {url}"
    assert {line.split()[1] for line in lines if re.match(r"(PASS|FAIL|SKIP|ERROR) ", line)} == lab1
    assert "core: 33/33 (100%), extras: 7/16 (44%)" in result.stdout
    assert "        hint: Add a GET /healthz route" in result.stdout

    document = json.loads((tmp_path / "results.json").read_text())
    assert document["version"] == 3 and document["status"] == "fail" and document["core_passed"] is True
    assert document["scores"]["core"] == {"earned": 33, "possible": 33, "percent": 100.0}
    assert {test["name"] for test in document["tests"]} == lab1
    for test in document["tests"]:
        assert set(test) >= {"name", "status", "message", "weight", "core"}
        assert test["status"] in {"pass", "fail", "error", "skipped"}
        assert (test["message"] is None) == (test["status"] == "pass")
    healthz = next(test for test in document["tests"] if test["name"] == "REST-HEALTHZ")
    assert healthz["status"] == "fail" and healthz["core"] is False
    assert healthz["message"].splitlines()[1:] == [
        "sent: GET /healthz",
        'got:  404; Content-Type: application/json; {"error": "no such page"}',
        'hint: Add a GET /healthz route that answers 200 (a body such as {"status": "ok"} is optional).',
    ]

    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert {case.get("name") for case in cases} == lab1
    assert int(suite.get("tests")) == len(lab1) and int(suite.get("failures")) == 7
    assert {case.get("name") for case in cases if case.find("failure") is not None} == {
        test["name"] for test in document["tests"] if test["status"] == "fail"
    }


def test_an_unreachable_run_still_writes_an_error_result(tmp_path: Path):
    result = grader("lab1", "--rest-url", nothing_listens(), "--out", str(tmp_path))
    assert result.returncode == 3
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["status"] == "error" and "nothing answers" in document["message"]
    assert document["scores"]["core"]["earned"] == 0


def test_class_mode_writes_one_row_per_student(tmp_path: Path):
    students, out = tmp_path / "students.csv", tmp_path / "grades.csv"
    with minimal_lab1() as url:
        students.write_text(
            f"student,rest_url,grpc_target\nada,{url},\nbob,{nothing_listens()},\ncyd,localhost:8000,\n"
        )
        result = grader(
            "class", "lab1", "--students", str(students), "--out", str(out), "--results-dir", str(tmp_path / "runs")
        )
    assert result.returncode == 0, result.stderr
    rows = {row["student"]: row for row in csv.DictReader(out.open())}
    assert list(rows) == ["ada", "bob", "cyd"]
    assert (rows["ada"]["status"], rows["ada"]["core_earned"], rows["ada"]["core_possible"]) == ("fail", "33", "33")
    assert rows["ada"]["core_passed"] == "true" and "REST-HEALTHZ" in rows["ada"]["lost"].split()
    assert rows["bob"]["status"] == "error" and "nothing answers" in rows["bob"]["message"]
    assert rows["cyd"]["status"] == "error" and "http://" in rows["cyd"]["message"]
    assert (tmp_path / "runs" / "ada" / "results.json").exists()


def test_class_mode_for_lab5_wants_each_students_notifier_url(tmp_path: Path):
    students, out = tmp_path / "students.csv", tmp_path / "grades.csv"
    students.write_text("student,rest_url,grpc_target,notifier_url\nada,http://127.0.0.1:1,127.0.0.1:1,\n")
    result = grader("class", "lab5", "--students", str(students), "--out", str(out))
    assert result.returncode == 0, result.stderr
    (row,) = csv.DictReader(out.open())
    assert row["status"] == "error" and "also give --notifier-url" in row["message"]


# --- hidden checks and weights -------------------------------------------------------------------

HIDDEN = """
from common.grader import Context, expect, requirement


@requirement("HIDDEN-LIST-IS-ARRAY", protocol="rest", core=True, weight=2,
             title="GET /users is an array", hint="Answer a JSON array.", depends_on=["REST-LIST"])
def list_is_array(ctx: Context) -> None:
    reply = ctx.rest.get("/users")
    expect(isinstance(reply.json(), list), "not an array", reply.exchange)


@requirement("HIDDEN-HAS-VERSION", protocol="rest", core=False, weight=1,
             title="GET /version answers 200", hint="Add GET /version.")
def has_version(ctx: Context) -> None:
    reply = ctx.rest.get("/version")
    expect(reply.status == 200, f"expected 200, got {reply.status}", reply.exchange)


@requirement("HIDDEN-GRPC-ONLY", protocol="grpc", core=False, weight=1, title="gRPC", hint="-")
def grpc_only(ctx: Context) -> None:
    raise AssertionError("lab 1 has no gRPC side: this must not run")
"""


@pytest.mark.parametrize("weights_file", ["weights.json", "weights.toml"])
def test_hidden_checks_and_weights_from_outside_the_repository(tmp_path: Path, weights_file: str):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "more_checks.py").write_text(HIDDEN)
    weights = tmp_path / weights_file
    if weights_file.endswith(".json"):
        weights.write_text(json.dumps({"REST-CREATE": 10, "HIDDEN-HAS-VERSION": 4}))
    else:
        weights.write_text('REST-CREATE = 10\n"HIDDEN-HAS-VERSION" = 4\n')
    with minimal_lab1() as url:
        run = grade_lab("lab1", rest_url=url, hidden=hidden, weights=weights)
    by_id = {r.id: r for r in run.results}
    assert by_id["HIDDEN-LIST-IS-ARRAY"].status == "pass" and by_id["HIDDEN-LIST-IS-ARRAY"].requirement.hidden
    assert by_id["HIDDEN-HAS-VERSION"].status == "fail" and by_id["HIDDEN-HAS-VERSION"].requirement.weight == 4
    assert "HIDDEN-GRPC-ONLY" not in by_id
    assert by_id["REST-CREATE"].requirement.weight == 10
    assert (run.core.earned, run.core.possible) == (33 - 3 + 10 + 2, 33 - 3 + 10 + 2)
    assert run.extras.possible == 16 + 4
    assert not any(req.hidden for req in builtin(("rest",))), "hidden checks must not leak into later runs"


def test_weights_naming_an_unknown_requirement_are_a_usage_error(tmp_path: Path):
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"REST-NO-SUCH-THING": 1}))
    with pytest.raises(UsageError, match="REST-NO-SUCH-THING"):
        grade_lab("lab1", rest_url="http://127.0.0.1:1", weights=weights)
    result = grader("lab1", "--rest-url", "http://127.0.0.1:1", "--weights", str(weights))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1


def test_a_requirement_that_outlives_its_limit_fails_without_holding_the_run(tmp_path: Path):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "slow.py").write_text(
        "import time\n"
        "from common.grader import requirement\n"
        "@requirement('HIDDEN-SLOW', protocol='rest', core=False, weight=1, title='slow', hint='be quick',"
        " time_limit=1)\n"
        "def slow(ctx):\n"
        "    time.sleep(30)\n"
    )
    with minimal_lab1() as url:
        run = grade_lab("lab1", rest_url=url, hidden=hidden)
    slow = next(r for r in run.results if r.id == "HIDDEN-SLOW")
    assert slow.status == "fail" and slow.message.startswith("did not finish within 1 s")
    assert run.duration < 15


# --- GitHub Classroom ----------------------------------------------------------------------------


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_each_lab_has_a_classroom_autograding_config(lab):
    config = json.loads((CLASSROOM / f"{lab.number}.json").read_text())
    assert set(config) == {"tests"} and len(config["tests"]) == 2
    keys = {"name", "setup", "run", "input", "output", "comparison", "timeout", "points"}
    for test in config["tests"]:
        assert set(test) == keys
        assert all(isinstance(test[key], str) for key in ("name", "setup", "run", "input", "output"))
        assert test["comparison"] in {"included", "exact", "regex"}
        assert isinstance(test["timeout"], int) and 0 < test["timeout"] <= 60  # minutes
        assert isinstance(test["points"], int) and test["points"] > 0
        assert f"-m common.grader {lab.number} --start '.venv/bin/python -m {lab.name}'" in test["run"]
    assert [test["run"].split("--pass-if ")[1].split()[0] for test in config["tests"]] == ["core", "extras"]
    requirements = builtin(lab.protocols, lab.features)
    assert [test["points"] for test in config["tests"]] == [
        sum(req.weight for req in requirements if req.core),
        sum(req.weight for req in requirements if not req.core),
    ]


def test_the_classroom_command_starts_the_lab_grades_it_and_stops_it(tmp_path: Path):
    run = json.loads((CLASSROOM / "lab1.json").read_text())["tests"][0]["run"]
    command = run.replace(".venv/bin/python", sys.executable).replace("grader-results/core", str(tmp_path))
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "core: 33/33 (100%)" in result.stdout
    assert json.loads((tmp_path / "results.json").read_text())["status"] == "pass"
    assert (tmp_path / "service.log").exists()
    port = int(re.search(r"at REST http://127\.0\.0\.1:(\d+)", result.stdout).group(1))
    assert not harness.port_open(port), "the started service should be stopped after grading"


# --- the contract ---------------------------------------------------------------------------------

ROW = re.compile(
    r"^\| `(?P<id>[A-Z][A-Z0-9-]+)` \| (?P<kind>core|extra) \| (?P<weight>[\d.]+) \| (?P<depends>[^|]*) \|"
)


def test_the_contract_lists_every_requirement_with_its_kind_weight_and_dependencies():
    text = CONTRACT.read_text()
    documented = {m["id"]: m for m in (ROW.match(line) for line in text.splitlines()) if m}
    requirements = builtin(("rest", "grpc"), tuple({feature for lab in LABS for feature in lab.features}))
    assert set(documented) == {req.id for req in requirements}
    for req in requirements:
        row = documented[req.id]
        assert (row["kind"], float(row["weight"])) == (req.kind, req.weight), req.id
        depends = re.findall(r"`([A-Z0-9-]+)`", row["depends"])
        assert depends == list(req.depends_on), req.id


def test_the_contract_cites_nothing_outside_the_repository():
    text = CONTRACT.read_text()
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if target.startswith(("http://", "https://", "#")):
            continue
        assert (CONTRACT.parent / target.split("#")[0]).resolve().is_relative_to(ROOT), target
        assert (CONTRACT.parent / target.split("#")[0]).exists(), target


def test_grading_lab1_does_not_need_grpc_installed():
    """A lab 1 student's environment need not hold grpcio: the grader imports it only for gRPC labs."""
    code = (
        "import sys; sys.modules['grpc'] = None\nfrom common.grader.cli import main\nsys.exit(main(['list', 'lab1']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "REST-CREATE" in result.stdout
