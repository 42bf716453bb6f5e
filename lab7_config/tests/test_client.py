"""The command-line client: deadlines, unreachable servers, paging, readable errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from common.grading import unique_email
from common.harness import ROOT, free_port

LAB = Path(__file__).resolve().parents[1].name


def client(*args: str, target: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", f"{LAB}.client", "--target", target, *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


PASSWORD = "client test password"


def test_create_then_page_through_with_the_token(grpc_target):
    emails = [unique_email() for _ in range(3)]
    for n, email in enumerate(emails):
        created = client("create", "--name", f"Paged {n}", "--email", email, "--password", PASSWORD, target=grpc_target)
        assert created.returncode == 0, created.stderr
    me = ("--email", emails[0], "--password", PASSWORD)  # lab 3: log in, then list
    first = json.loads(client(*me, "list", "--page-size", "1", target=grpc_target).stdout)
    token = first["next_page_token"]
    second = json.loads(client(*me, "list", "--page-size", "1", "--page-token", token, target=grpc_target).stdout)
    assert len(first["users"]) == len(second["users"]) == 1
    assert first["users"][0]["id"] != second["users"][0]["id"]


def test_a_server_that_never_answers_ends_in_deadline_exceeded():
    """A socket that accepts connections but never speaks HTTP/2: only the deadline ends the call."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        target = f"127.0.0.1:{silent.getsockname()[1]}"
        result = client("--timeout", "0.5", "get", "1", target=target)
    assert result.returncode == 1
    assert result.stderr.startswith("error: DEADLINE_EXCEEDED:"), result.stderr


def test_no_server_is_unavailable_on_one_line():
    result = client("--timeout", "5", "list", target=f"127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert result.stderr.startswith("error: UNAVAILABLE: cannot reach the server"), result.stderr
    assert result.stderr.count("\n") == 1


def test_usage_errors_exit_2_with_argparse_help():
    result = client("create", "--name", "Ada", target="127.0.0.1:1")
    assert result.returncode == 2
    assert "--email" in result.stderr


def test_login_prints_a_token_that_the_other_commands_take(grpc_target):
    email = unique_email()
    assert (
        client("create", "--name", "Tok", "--email", email, "--password", PASSWORD, target=grpc_target).returncode == 0
    )
    logged_in = client("login", "--email", email, "--password", PASSWORD, target=grpc_target)
    token = logged_in.stdout.strip()
    assert logged_in.returncode == 0 and token.count(".") == 2, logged_in.stderr
    assert client("--token", token, "list", target=grpc_target).returncode == 0


def test_without_a_token_the_client_says_not_logged_in(grpc_target):
    result = client("list", target=grpc_target)
    assert result.returncode == 1
    assert result.stderr.startswith("error: UNAUTHENTICATED: not logged in:"), result.stderr
