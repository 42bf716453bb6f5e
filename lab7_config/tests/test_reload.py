"""Lab 7: SIGHUP applies a new LOG_LEVEL in place; every other setting waits for a restart.

The process tests share one lab (users and the notifier child), started at LOG_LEVEL=WARNING from
a .env file of their own, and run in order: each rewrites the file, sends SIGHUP to the lab's PID
and reads the lab's log from that moment on, polling until a deadline. The variables they write
are kept out of the lab's environment, where they would win over the file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from common import harness

from .. import broker, logs
from ..settings import load
from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LAB, WAIT, register_and_login, require_rabbitmq

WRITTEN = ("ENV_FILE", "LOG_LEVEL", "JWT_TTL_SECONDS", "HTTP_PORT")  # the variables these tests put in a .env file
SERVICES = ("users", "notifier")


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reload") / ".env"
    path.write_text("LOG_LEVEL=WARNING\n")
    return path


@pytest.fixture(scope="module")
def lab(env_file: Path) -> Iterator[harness.LabProcess]:
    """The lab with its notifier child, its LOG_LEVEL from `env_file` alone."""
    require_rabbitmq(load({}, service="notifier"))
    with pytest.MonkeyPatch.context() as environment:
        for name in WRITTEN:
            environment.delenv(name, raising=False)
        chosen = {"ENV_FILE": str(env_file), "ADMIN_EMAIL": ADMIN_EMAIL, "SERVICES": "users,notifier"}
        started = harness.start(LAB, chosen)
    yield started
    assert started.stop() == 0


@pytest.fixture(scope="module")
def user(lab: harness.LabProcess) -> dict:
    """A user registered at the start, before any SIGHUP."""
    body = {"name": "Before", "email": "before-hup@example.com", "password": "a password before the hangup"}
    reply = requests.post(f"{lab.http_url}/users", json=body, timeout=10)
    assert reply.status_code == 201, reply.text
    return reply.json()


def urls(lab: harness.LabProcess) -> dict[str, str]:
    """Each service's /healthz: a request there writes one access line (INFO) of that service."""
    return {
        "users": f"{lab.http_url}/healthz",
        "notifier": f"http://{lab.host}:{lab.env['NOTIFIER_HTTP_PORT']}/healthz",
    }


def hang_up(lab: harness.LabProcess, env_file: Path, text: str) -> int:
    """Rewrite the .env file, send SIGHUP to the lab's PID; where the log stood then."""
    env_file.write_text(text)
    offset = len(lab.log())
    lab.send_signal(signal.SIGHUP)
    return offset


def lines_since(lab: harness.LabProcess, offset: int) -> list[dict]:
    """The complete ECS lines written since `offset` (a line still being written waits for the next look)."""
    text = lab.log()[offset:]
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines() if line.strip()]


def said(lab: harness.LabProcess, offset: int, service: str, message: str, level: str) -> bool:
    return any(
        line["service"]["name"] == service and line["log.level"] == level and message in line["message"]
        for line in lines_since(lab, offset)
    )


def access_logged(lab: harness.LabProcess, offset: int, service: str) -> bool:
    """Ask `service` for /healthz; whether an access line of that service is in the log since `offset`.

    The app writes the line before it answers, so once the answer is in, so is the line.
    """
    assert requests.get(urls(lab)[service], timeout=5).status_code == 200
    return said(lab, offset, service, "GET /healthz 200", "info")


def family(lab: harness.LabProcess) -> list[int]:
    """The lab's processes, by PID: the master, its worker, the worker's notifier child and that one's worker."""
    pids, found = [lab.pid], 0
    while found < len(pids):
        for task in Path(f"/proc/{pids[found]}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):  # a thread that has just ended
                pids += [int(child) for child in (task / "children").read_text().split()]
        found += 1
    return sorted(pids)


def test_at_warning_a_request_writes_no_info_line(lab: harness.LabProcess, user: dict) -> None:
    offset = len(lab.log())
    for service in SERVICES:
        assert not access_logged(lab, offset, service)
    levels = {line["log.level"] for line in lines_since(lab, 0)}
    assert levels <= {"warning", "error", "critical"}, levels


def test_sighup_applies_a_new_log_level_in_the_same_processes(
    lab: harness.LabProcess, env_file: Path, user: dict
) -> None:
    before = family(lab)
    assert len(before) == 4, before
    offset = hang_up(lab, env_file, "LOG_LEVEL=INFO\n")
    for service in SERVICES:
        lab.wait_until(lambda s=service: access_logged(lab, offset, s), WAIT)
        assert said(lab, offset, service, "SIGHUP: LOG_LEVEL is now INFO (was WARNING)", "info")
    assert family(lab) == before, "a process was replaced: a restart, not a reload"
    token = register_and_login(lab.http_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    reply = requests.get(f"{lab.http_url}/users/{user['id']}", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert reply.status_code == 200 and reply.json()["email"] == user["email"], reply.text


def test_a_bad_log_level_is_named_and_the_old_level_kept(lab: harness.LabProcess, env_file: Path) -> None:
    offset = hang_up(lab, env_file, "LOG_LEVEL=loud\n")
    kept = "SIGHUP: settings not reloaded, LOG_LEVEL stays INFO"
    for service in SERVICES:
        lab.wait_until(lambda s=service: said(lab, offset, s, kept, "warning"), WAIT)
        assert said(lab, offset, service, "LOG_LEVEL='loud'", "warning")
        assert access_logged(lab, offset, service)  # still INFO: the access line, and no DEBUG line
    assert lab.process.poll() is None


def test_another_changed_setting_is_named_and_waits_for_a_restart(lab: harness.LabProcess, env_file: Path) -> None:
    offset = hang_up(lab, env_file, "LOG_LEVEL=INFO\nJWT_TTL_SECONDS=60\n")
    for service in SERVICES:
        lab.wait_until(lambda s=service: said(lab, offset, s, "SIGHUP: LOG_LEVEL stays INFO", "info"), WAIT)
        assert said(lab, offset, service, "SIGHUP: JWT_TTL_SECONDS changed: it takes effect on restart", "warning")
    token = register_and_login(lab.http_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 900, "the token lifetime changed without a restart"


def test_the_notifier_alone_follows_sighup(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=WARNING\n")
    with pytest.MonkeyPatch.context() as environment:
        for name in WRITTEN:
            environment.delenv(name, raising=False)
        alone = harness.start(f"{LAB}.notifier", {"ENV_FILE": str(env_file)}, ready_port="NOTIFIER_HTTP_PORT")
    try:
        assert not access_logged(alone, 0, "notifier")
        offset = hang_up(alone, env_file, "LOG_LEVEL=DEBUG\n")
        alone.wait_until(lambda: access_logged(alone, offset, "notifier"), WAIT)
        assert said(alone, offset, "notifier", "SIGHUP: LOG_LEVEL is now DEBUG (was WARNING)", "info")
        assert "debug" in {line["log.level"] for line in lines_since(alone, offset)}  # Gunicorn's, for each request
    finally:
        assert alone.stop() == 0


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Path:
    """A .env file that this process's settings come from; the root logger's level is restored afterwards."""
    for name in WRITTEN:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / ".env"
    path.write_text("LOG_LEVEL=INFO\nHTTP_PORT=9001\n")
    monkeypatch.setenv("ENV_FILE", str(path))
    caplog.set_level(logging.INFO)
    return path


def test_reload_applies_the_level_and_only_names_a_changed_port(
    settings_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    running = load(service="notifier")
    broker.quiet_clients()
    settings_file.write_text("LOG_LEVEL=DEBUG\nHTTP_PORT=9002\n")
    now = logs.reload(running, "notifier")
    assert (now.log_level, now.http_port) == ("DEBUG", 9001)
    assert logging.getLogger().level == logging.DEBUG and logging.getLogger("pika").level == logging.CRITICAL
    assert "SIGHUP: LOG_LEVEL is now DEBUG (was INFO)" in caplog.messages
    assert "SIGHUP: HTTP_PORT changed: it takes effect on restart" in caplog.messages


def test_reload_keeps_the_level_of_a_file_it_cannot_use(settings_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    running = load(service="notifier")
    settings_file.write_text("LOG_LEVEL=loud\n")
    assert logs.reload(running, "notifier", report=False) == running and not caplog.messages  # a worker: silent
    assert logs.reload(running, "notifier") == running
    assert logging.getLogger().level == logging.INFO
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING and "LOG_LEVEL='loud'" in warning.getMessage()
