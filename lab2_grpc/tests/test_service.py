"""This lab's own behaviour beyond the shared contract: its limits, its server, its errors."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import requests

from common import harness
from common.grading import assert_problem, unique_email


def test_body_not_declared_as_json_is_415(http, rest_url):
    response = http.post(f"{rest_url}/users", data='{"name": "Ada", "email": "ada@example.com"}')
    assert_problem(response, 415)


def test_unknown_field_is_422_naming_it(http, rest_url):
    body = {"name": "Ada", "email": unique_email(), "role": "admin"}
    assert_problem(http.post(f"{rest_url}/users", json=body), 422, "role")


def test_wrong_method_is_405_with_allow_header(http, rest_url):
    response = http.patch(f"{rest_url}/users")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_unknown_path_is_a_404_problem(http, rest_url):
    assert_problem(http.get(f"{rest_url}/nowhere"), 404)


def test_sigterm_stops_cleanly_with_status_0(lab):
    assert lab.stop(signal.SIGTERM) == 0
    assert "stopped" in lab.log()


def test_ctrl_c_stops_cleanly_with_status_0(lab):
    assert lab.stop(signal.SIGINT) == 0


def test_sigterm_under_load_answers_or_refuses_but_never_breaks(lab):
    """Requests racing SIGTERM either get a whole, valid answer or a closed connection; nothing in between."""
    outcomes: list[str] = []
    first_answers = threading.Barrier(5)

    def client() -> None:
        with requests.Session() as http:
            for i in range(200):
                try:
                    response = http.post(f"{lab.http_url}/users", json={"name": "Load", "email": unique_email()})
                except requests.ConnectionError:
                    outcomes.append("refused")
                    return
                whole = response.status_code == 201 and response.json()["name"] == "Load"
                outcomes.append("answered" if whole else f"broken: {response.status_code} {response.text}")
                if i == 0:
                    first_answers.wait(10)

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    first_answers.wait(10)
    assert lab.stop(signal.SIGTERM) == 0
    for thread in clients:
        thread.join(10)
    assert "answered" in outcomes
    assert set(outcomes) <= {"answered", "refused"}, [o for o in outcomes if o.startswith("broken")]


def test_a_bad_http_port_stops_the_start_naming_the_variable():
    env = {"HTTP_PORT": "eighty", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "lab2_grpc"], cwd=harness.ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "HTTP_PORT" in result.stderr
