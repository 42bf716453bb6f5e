"""The helpers the labs' benchmarks share (common/bench.py): each lab's smoke test runs them whole,
these say which one broke when one does.

Not named test_bench.py: the pytest plugin would make every test here wait for the pinned cores,
which only test_wrk_returns_the_summary_its_script_writes needs (it takes them itself).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from common import bench
from common.pytest_plugin import require_tool

# Starts a child with "<argv[1]>.notifier" in its command line, as a lab's users service starts its notifier
# (the name is put together in the child's, not written whole in this one's).
USERS_SERVICE = """
import subprocess, sys
subprocess.run([sys.executable, "-c", "import time; time.sleep(60)", sys.argv[1] + ".notifier"])
"""
SUMMARY = """done = function(summary, latency, requests)
    io.write(string.format('{"requests": %d}\\n', summary.requests))
end
"""


def test_median_range_shows_the_median_then_min_and_max():
    assert bench.median_range([3.0, 1.0, 2.0], "{:.1f}") == "2.0 (1.0-3.0)"
    assert bench.median_range([-3.0, 0.5, -1.0], "{:.1f}", "\N{EN DASH}") == "-1.0 (-3.0\N{EN DASH}0.5)"


def test_cpu_seconds_count_what_a_process_spends():
    before = bench.cpu_seconds([os.getpid()])
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert bench.cpu_seconds([os.getpid()]) - before >= 0.1


def test_split_services_tells_the_notifier_from_the_users_service():
    users = subprocess.Popen([sys.executable, "-c", USERS_SERVICE, "demo"])
    try:
        deadline = time.monotonic() + 10
        while not bench.children(users.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        [notifier] = bench.children(users.pid)
        assert bench.split_services(users.pid, "demo") == {"users": [users.pid], "notifier": [notifier]}
        os.kill(notifier, signal.SIGTERM)  # its parent then exits
    finally:
        users.terminate()
        users.wait(10)


class Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a line per request would fill the test's output."""


@contextmanager
def serving() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_wrk_returns_the_summary_its_script_writes(tmp_path: Path):
    require_tool("taskset", "Debian/Ubuntu: sudo apt-get install util-linux")
    require_tool("wrk", "Debian/Ubuntu: sudo apt-get install wrk")
    if not bench.wrk_runs_here():
        pytest.skip(bench.WRK_NEEDS)
    script = tmp_path / "summary.lua"
    script.write_text(SUMMARY)
    with bench.cores_to_ourselves(), serving() as url:
        summary = bench.wrk(url, script, seconds=1, connections=2)
    assert summary["requests"] > 0
