"""The HTTP server and the lab's lifecycle, through a real port: limits, idle and slow clients, signals, errors."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from common import harness, rawhttp
from common.grading import PROBLEM_JSON, assert_problem, unique_email

from .conftest import ADMIN

LIMIT = 64 * 1024
THREADS = 8  # the HTTP server's worker threads (settings.py)


def post_head(length: int, *extra: str, path: str = "/users") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: lab", "Content-Type: application/json", f"Content-Length: {length}"]
    return ("\r\n".join([*lines, *extra]) + "\r\n\r\n").encode()


def assert_raw_problem(response: rawhttp.RawResponse, status: int) -> dict:
    assert response.status == status, response
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"], problem
    return problem


# --- limits, enforced before the body is read ---------------------------------------------------


def test_a_body_declared_too_large_is_refused_before_it_is_read(rest_url):
    with rawhttp.connect(rest_url) as sock:
        sock.sendall(post_head(300_000_000))  # and not one byte of the body
        problem = assert_raw_problem(rawhttp.read_response(sock), 413)
        assert str(LIMIT) in problem["detail"]
        assert rawhttp.closed_by_peer(sock), "the server should close, not wait for 300 MB"


def test_expect_100_continue_over_the_limit_gets_413_and_no_100(rest_url):
    with rawhttp.connect(rest_url) as sock:
        sock.sendall(post_head(500_000_000, "Expect: 100-continue"))
        assert_raw_problem(rawhttp.read_response(sock), 413)


def test_expect_100_continue_within_the_limit_gets_100_then_the_answer(rest_url):
    body = f'{{"name": "Patient", "email": "{unique_email()}"}}'.encode()
    with rawhttp.connect(rest_url) as sock:
        sock.sendall(post_head(len(body), "Expect: 100-continue"))
        assert rawhttp.read_response(sock).status == 100
        sock.sendall(body)
        assert rawhttp.read_response(sock).status == 201


def test_a_chunked_body_over_the_limit_is_413_and_stores_nothing(rest_url, http):
    email = unique_email("chunked")
    body = f'{{"name": "{"x" * LIMIT}", "email": "{email}"}}'.encode()
    pieces = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    chunks = b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces)
    head = b"POST /users HTTP/1.1\r\nHost: lab\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert_raw_problem(rawhttp.request(rest_url, head + chunks + b"0\r\n\r\n"), 413)
    assert email not in [user["email"] for user in http.get(f"{rest_url}/users").json()]


def test_json_nested_a_thousand_deep_is_400(http, rest_url):
    body = "[" * 1000 + "]" * 1000
    response = http.post(f"{rest_url}/users", data=body, headers={"Content-Type": "application/json"})
    assert "nested too deeply" in assert_problem(response, 400)["detail"]


def test_a_number_of_thousands_of_digits_is_400_in_the_apis_own_words(http, rest_url):
    body = '{"name": ' + "9" * 5000 + ', "email": "n@example.com"}'
    response = http.post(f"{rest_url}/users", data=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 400)
    assert "digits" in problem["detail"] and "sys." not in problem["detail"], problem


def test_a_404_quotes_a_long_id_only_in_part(http, rest_url):
    problem = assert_problem(http.get(f"{rest_url}/users/{'7' * 3000}"), 404)
    assert len(problem["detail"]) < 200, problem["detail"]


# --- many clients, idle or slow ------------------------------------------------------------------


def answers_within(url: str, seconds: float) -> float:
    started = time.monotonic()
    response = requests.get(f"{url}/healthz", timeout=seconds)
    assert response.status_code == 200
    return time.monotonic() - started


def test_250_idle_connections_leave_the_service_answering_within_a_second(lab):
    idle = [socket.create_connection((lab.host, int(lab.env["HTTP_PORT"]))) for _ in range(250)]
    try:
        for _ in range(5):
            assert answers_within(lab.http_url, 1.0) < 1.0
    finally:
        for sock in idle:
            sock.close()


def test_clients_trickling_their_headers_hold_no_thread(lab):
    """Twice as many tricklers as threads: each holds a small buffer, and REST keeps answering."""
    head = b"GET /healthz HTTP/1.1\r\nHost: lab\r\n\r\n"
    tricklers = [socket.create_connection((lab.host, int(lab.env["HTTP_PORT"]))) for _ in range(2 * THREADS)]
    try:
        for byte in range(len(head) - 1):
            for sock in tricklers:
                sock.send(head[byte : byte + 1])
            if byte % 8 == 0:
                assert answers_within(lab.http_url, 1.0) < 1.0
            time.sleep(0.02)
        for sock in tricklers:  # the last byte: each head is complete, each request is answered
            sock.send(head[-1:])
        assert {rawhttp.read_response(sock).status for sock in tricklers} == {200}
    finally:
        for sock in tricklers:
            sock.close()


def test_clients_trickling_a_body_hold_a_thread_each_as_the_readme_says(lab):
    """The limit the README states: a request whose body trickles in holds a thread until it is whole.

    With one trickler fewer than the threads, the service still answers; with one per thread, it
    does not until a body completes. A reverse proxy in front, which reads whole requests, removes it.
    """
    body = f'{{"name": "Trickle", "email": "{unique_email()}"}}'.encode()
    tricklers = []
    try:
        for _ in range(THREADS - 1):
            sock = socket.create_connection((lab.host, int(lab.env["HTTP_PORT"])), timeout=15)
            sock.sendall(post_head(len(body)) + body[:5])
            tricklers.append(sock)
        time.sleep(0.5)
        assert answers_within(lab.http_url, 1.0) < 1.0, "one thread is still free"
        last = socket.create_connection((lab.host, int(lab.env["HTTP_PORT"])), timeout=15)
        last.sendall(post_head(len(body)) + body[:5])
        tricklers.append(last)
        time.sleep(0.5)
        try:
            requests.get(f"{lab.http_url}/healthz", timeout=1.0)
            held = False
        except requests.Timeout:
            held = True
        assert held, "with every thread reading a body, a new request waits"
        last.sendall(body[5:])
        assert rawhttp.read_response(last).status == 201
        assert answers_within(lab.http_url, 2.0) < 2.0, "a finished body gives its thread back"
    finally:
        for sock in tricklers:
            sock.close()


@pytest.mark.slow
def test_stalled_bodies_give_their_threads_back_with_a_408(lab):
    """A body that stops arriving holds its thread for 10 s at most, then the client gets a 408."""
    stalled = []
    try:
        for _ in range(THREADS):
            sock = socket.create_connection((lab.host, int(lab.env["HTTP_PORT"])), timeout=30)
            sock.sendall(post_head(100) + b"{")
            stalled.append(sock)
        started = time.monotonic()
        answers = [rawhttp.read_response(sock) for sock in stalled]
        assert {answer.status for answer in answers} == {408}, answers[0]
        assert time.monotonic() - started < 15
        assert answers_within(lab.http_url, 1.0) < 1.0
    finally:
        for sock in stalled:
            sock.close()


def test_a_request_head_over_64_kib_is_a_431(rest_url):
    headers = "".join(f"X-Filler-{i}: {'a' * 8000}\r\n" for i in range(9))
    raw = f"GET /healthz HTTP/1.1\r\nHost: lab\r\n{headers}\r\n".encode()
    assert_raw_problem(rawhttp.request(rest_url, raw), 431)


def test_errors_the_server_writes_quote_the_request_only_in_part(rest_url):
    problem = assert_raw_problem(rawhttp.request(rest_url, b"G" * 3000 + b" / HTTP/1.1\r\n\r\n"), 400)
    assert len(problem["detail"]) < 300, problem["detail"]


# --- answers the server frames itself ------------------------------------------------------------


def test_delete_answers_204_with_no_content_type_and_keeps_the_connection(http, rest_url):
    user = http.post(f"{rest_url}/users", json={"name": "Gone", "email": unique_email()}).json()
    bearer = f"Authorization: Bearer {ADMIN.token(rest_url)}\r\n"  # lab 3
    with rawhttp.connect(rest_url) as sock:
        sock.sendall(f"DELETE /users/{user['id']} HTTP/1.1\r\nHost: lab\r\n{bearer}\r\n".encode())
        deleted = rawhttp.read_response(sock)
        assert deleted.status == 204 and deleted.body == b""
        assert "content-type" not in deleted.headers, deleted.headers
        assert deleted.headers.get("connection", "").lower() != "close"
        sock.sendall(f"GET /users/{user['id']} HTTP/1.1\r\nHost: lab\r\n{bearer}\r\n".encode())
        assert rawhttp.read_response(sock).status == 404  # the same connection answered again


def test_a_bad_request_line_is_a_problem(rest_url):
    assert_raw_problem(rawhttp.request(rest_url, b"HELLO THERE\r\n\r\n"), 400)


def test_a_header_too_large_is_a_problem(rest_url):
    raw = b"GET /healthz HTTP/1.1\r\nHost: lab\r\nX-Big: " + b"a" * 10_000 + b"\r\n\r\n"
    assert rawhttp.request(rest_url, raw).headers["content-type"].startswith(PROBLEM_JSON)


def test_a_bad_chunk_is_a_problem(rest_url):
    head = b"POST /users HTTP/1.1\r\nHost: lab\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    response = rawhttp.request(rest_url, head + b"ZZ\r\n{}\r\n0\r\n\r\n")
    assert_raw_problem(response, 400)


# --- starting and stopping ------------------------------------------------------------------------


def start_with(lab_name: str, **env: str) -> subprocess.CompletedProcess[str]:
    return harness.run_to_exit(lab_name, {"JWT_SECRET": "s" * 32, **env})


def test_a_bad_http_port_stops_the_start_in_one_line_with_status_2(lab_name):
    result = start_with(lab_name, HTTP_PORT="eighty")
    assert result.returncode == 2
    assert "HTTP_PORT" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_taken_http_port_stops_the_start_in_one_line(lab_name):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = start_with(lab_name, HTTP_PORT=str(taken.getsockname()[1]), GRPC_PORT=str(harness.free_port()))
    assert result.returncode == 1
    assert "HTTP_PORT" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_sigterm_stops_cleanly_with_status_0(lab):
    assert lab.stop(signal.SIGTERM) == 0


def test_ctrl_c_stops_cleanly_with_status_0(lab):
    assert lab.stop(signal.SIGINT) == 0


def half_sent_request(lab: harness.LabProcess) -> tuple[socket.socket, bytes]:
    """A request in progress: its head and half its body are sent, the rest is returned to send later."""
    body = f'{{"name": "Slow", "email": "{unique_email()}"}}'.encode()
    sock = socket.create_connection((lab.host, int(lab.env["HTTP_PORT"])), timeout=15)
    sock.sendall(post_head(len(body)) + body[:10])
    time.sleep(0.3)  # the server's thread is now reading the body
    return sock, body[10:]


def test_a_second_sigterm_during_the_drain_changes_nothing(lab):
    sock, rest = half_sent_request(lab)
    with sock:
        lab.send_signal(signal.SIGTERM)
        lab.wait_until(lambda: "Handling signal: term" in lab.log(), timeout=10)
        lab.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        sock.sendall(rest)
        assert rawhttp.read_response(sock).status == 201, "the request in progress should finish"
    assert lab.process.wait(timeout=20) == 0


def test_a_second_ctrl_c_during_the_drain_stops_at_once_with_status_1(lab):
    sock, _ = half_sent_request(lab)
    with sock:
        lab.send_signal(signal.SIGINT)
        lab.wait_until(lambda: "stopping gracefully" in lab.log(), timeout=10)
        started = time.monotonic()
        lab.send_signal(signal.SIGINT)
        assert lab.process.wait(timeout=10) == 1
        assert time.monotonic() - started < 5
        assert rawhttp.closed_by_peer(sock), "the request in progress is abandoned"


def test_requests_racing_sigterm_are_answered_whole_or_refused(lab):
    """Requests racing SIGTERM either get a whole, valid answer or a refused connection; nothing in between."""
    outcomes: list[str] = []
    errors: list[BaseException] = []
    first_answers = threading.Barrier(5)

    def client() -> None:
        try:
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
        except BaseException as exc:
            errors.append(exc)

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    first_answers.wait(10)
    assert lab.stop(signal.SIGTERM) == 0
    for thread in clients:
        thread.join(20)
        assert not thread.is_alive()
    assert not errors, errors
    assert "answered" in outcomes
    assert set(outcomes) <= {"answered", "refused"}, [o for o in outcomes if o.startswith("broken")]
