"""Every exercise's check fails on the reference lab and passes once the model solution is applied.

Both run the check as a student does, ``python -m common.exercises LAB N`` in its own process: on
the course as it is, and on a copy of the course with the solution's patch applied (and, for a lab
with a .proto, its code generated again), so a check that cannot fail or cannot pass is caught, and
so is a solution that no longer applies to the lab it solves. The solutions of labs 5 to 7 need the
machine's RabbitMQ (RABBITMQ_URL), as those labs' own tests do.
"""

from __future__ import annotations

import os
import re
import shutil
import smtplib
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from common.exercises.surroundings import MailServer
from common.harness import ROOT, port_open
from common.pytest_plugin import in_ci

SOLUTIONS = ROOT / "docs" / "solutions"
CODEGEN_TOOLS = Path(sys.prefix) / "codegen" / "protoletariat"
LABS = ("lab1_rest", "lab2_grpc", "lab3_jwt", "lab4_websocket", "lab5_broker", "lab6_monitoring", "lab7_config")
EXERCISES = [(lab, number) for lab in LABS for number in (1, 2, 3)]
RUN_TIMEOUT = 120
NEEDS_RABBITMQ = {"lab5_broker", "lab6_monitoring", "lab7_config"}  # their pipeline runs through the machine's broker


def exercise_id(value: object) -> str:
    return str(value)


def check(lab: str, number: int, logs: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m common.exercises LAB N`` from `cwd`, as ./run_all.sh check runs it; the lab's log goes to `logs`."""
    command = [sys.executable, "-m", "common.exercises", lab, str(number)]
    env = {**os.environ, "LAB_LOG_DIR": str(logs)}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)


def exercises_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "common.exercises", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)


@pytest.mark.parametrize(("lab", "number"), EXERCISES, ids=exercise_id)
def test_the_check_fails_on_the_reference_lab_with_a_hint(tmp_path: Path, lab: str, number: int):
    result = check(lab, number, logs=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    first, reason, *details = [line.strip() for line in result.stdout.splitlines()]
    assert first.startswith(f"FAIL  {lab.split('_')[0]} {number}  "), result.stdout
    assert reason and not reason.startswith(("sent:", "hint:")), result.stdout
    assert [line for line in details if line.startswith("hint: ")], result.stdout
    assert details[-1] == f"the lab's log: {next(tmp_path.glob(f'{lab}-*.log'))}"
    assert "Traceback" not in result.stdout + result.stderr


def course_copy(folder: Path, lab: str) -> Path:
    """The lab, common/ and the root files in a folder of their own, to change without touching the course."""
    ignored = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".hypothesis")
    folder.mkdir()
    for name in (lab, "common"):
        shutil.copytree(ROOT / name, folder / name, ignore=ignored)
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, folder / name)
    return folder


def rabbitmq_or_skip(lab: str) -> None:
    """Skip (fail, in CI) when the RabbitMQ the lab would use is not there: a solution could not pass."""
    url = urlsplit(os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    host, port = url.hostname or "127.0.0.1", url.port or 5672
    if not port_open(port, host):
        reason = f"RabbitMQ is not running at {host}:{port}: the solutions of {lab} need it"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)


def apply_solution(course: Path, lab: str, number: int) -> None:
    """What docs/solutions/README.md tells an instructor to do: git apply, then regenerate gRPC code."""
    patch = SOLUTIONS / lab / f"{number}.patch"
    assert patch.is_file(), f"{patch.relative_to(ROOT)} is missing"
    applied = subprocess.run(
        ["git", "apply", f"--directory={lab}", str(patch)], cwd=course, capture_output=True, text=True
    )
    assert applied.returncode == 0, f"{patch.relative_to(ROOT)} no longer applies to {lab}:\n{applied.stderr}"
    if (course / lab / "protos").is_dir():
        if not CODEGEN_TOOLS.exists():
            reason = "protoletariat is not installed in .venv/codegen: ./run_all.sh generate lab2 installs it"
            if in_ci():
                pytest.fail(reason)
            pytest.skip(reason)
        generated = subprocess.run(
            [sys.executable, "-m", f"{lab}.generate"], cwd=course, capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
        assert generated.returncode == 0, generated.stdout + generated.stderr


@pytest.mark.parametrize(("lab", "number"), EXERCISES, ids=exercise_id)
def test_the_check_passes_once_the_model_solution_is_applied(tmp_path: Path, lab: str, number: int):
    if lab in NEEDS_RABBITMQ:
        rabbitmq_or_skip(lab)
    course = course_copy(tmp_path / "course", lab)
    apply_solution(course, lab, number)
    logs = tmp_path / "logs"
    result = check(lab, number, logs, cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"PASS  {lab.split('_')[0]} {number}  "), result.stdout
    assert list(logs.iterdir()) == [], "a passing check leaves no log behind"


@pytest.mark.parametrize(("lab", "number"), EXERCISES, ids=exercise_id)
def test_a_solution_holds_no_generated_code(lab: str, number: int):
    """Generated files follow from the .proto: the patch carries the .proto, the instructor regenerates."""
    patch = (SOLUTIONS / lab / f"{number}.patch").read_text()
    changed = re.findall(r"^\+\+\+ b/(\S+)", patch, flags=re.MULTILINE)
    assert changed and not [path for path in changed if "_pb2" in path], changed


@pytest.mark.parametrize("lab", sorted({lab for lab, _ in EXERCISES}))
def test_each_exercise_of_the_readme_has_a_check_and_a_solution(lab: str):
    readme = (ROOT / lab / "README.md").read_text()
    section = readme.split("\n## Exercises\n", 1)[1].split("\n## ", 1)[0]
    numbered = [int(number) for number in re.findall(r"^(\d+)\. \*\*", section, flags=re.MULTILINE)]
    assert numbered == [number for name, number in EXERCISES if name == lab]
    assert f"./run_all.sh check {lab.split('_')[0]} N" in section
    listing = exercises_cli(lab)
    assert listing.returncode == 0, listing.stderr
    assert [line.split()[0] for line in listing.stdout.splitlines()[1:]] == [str(n) for n in numbered]
    assert sorted(path.name for path in (SOLUTIONS / lab).glob("*.patch")) == [f"{n}.patch" for n in numbered]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lab9",), "no lab called 'lab9'"),
        (("lab1", "7"), "lab1_rest has no exercise 7; its exercises: 1, 2, 3"),
        (("lab1", "one"), "invalid int value"),
        ((), "required: LAB"),
    ],
    ids=["unknown lab", "unknown exercise", "not a number", "no lab"],
)
def test_a_usage_error_is_one_line_and_exit_status_2(args: tuple[str, ...], message: str):
    result = exercises_cli(*args)
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1 and message in result.stderr


def test_a_folder_without_the_lab_is_a_usage_error(tmp_path: Path):
    result = exercises_cli("lab1", "1", "--cwd", str(tmp_path))
    assert result.returncode == 2 and "lab1_rest/__main__.py" in result.stderr


def test_the_mail_server_keeps_what_it_takes_and_counts_what_it_refuses():
    """Lab 5's check counts the refused and the taken; lab 6's reads the headers of what was taken."""
    with MailServer() as mail:
        host, port = mail.env["SMTP_HOST"], int(mail.env["SMTP_PORT"])
        with smtplib.SMTP(host, port, timeout=5) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("lab@example.com", ["Ada@example.com"], "Subject: no\r\n\r\nnot now\r\n")
        assert refused.value.recipients["Ada@example.com"][0] == 451
        mail.accept()
        with smtplib.SMTP(host, port, timeout=5) as smtp:
            text = "X-Trace-Id: 4bf92f3577b34da6a3ce929d0e0e4736\r\nSubject: welcome\r\n\r\n.a line with a dot\r\n"
            smtp.sendmail("lab@example.com", ["Ada@example.com"], text)
        assert mail.seen("ada@example.com") == "the mail server refused 1 and took 1 messages to it"
        [message] = mail.messages("Ada@example.com")
        assert message["X-Trace-Id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert message.get_payload().splitlines() == [".a line with a dot"]
