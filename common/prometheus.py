"""Start a real Prometheus on a free port, wait until it is ready, ask its HTTP API, stop it by PID.

Test harness, not a lesson: lab 6's tests check its dashboard and alerting rules against what a
real Prometheus scraped from the running lab, so that its query parser, its rule engine and its
scrape of the lab's /metrics are the ones a deployment has, not a mock of them.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import harness

LOG_TAIL_CHARS = 4000


class PrometheusError(RuntimeError):
    """Prometheus refused a request (its own message is included), exited, or never got there."""


@dataclass
class Prometheus:
    """One running Prometheus: its address, its process and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>: its `data`; a PrometheusError with Prometheus's `error` when it is not a success.

        Prometheus answers a bad query 400 or 422 with a JSON body that says what is wrong: that body is read too.
        """
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as refused:
            body = json.load(refused)
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The series `expr` evaluates to now (an instant query); a scalar or a string is one series without labels."""
        data = self.api("query", query=expr)
        if data["resultType"] in ("vector", "matrix"):
            return data["result"]
        return [{"metric": {}, "value": data["result"]}]

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        """Poll `condition` until it holds; fail at once, with Prometheus's log, if Prometheus exits meanwhile."""
        try:
            harness.wait_until(self.process, condition, f"Prometheus ({what})", timeout)
        except harness.LabFailedToStart as exc:
            raise PrometheusError(f"{exc}; the end of its log:\n{self.log()[-LOG_TAIL_CHARS:]}") from None

    def stop(self) -> int:
        """SIGTERM to our PID, and wait: Prometheus closes its storage cleanly."""
        return harness.stop_process(self.process)


def start(config: Path, workdir: Path, binary: str = "prometheus", port: int | None = None) -> Prometheus:
    """Start Prometheus with `config` on 127.0.0.1 (a free port unless `port`), its data and log in `workdir`.

    Not waited for: `running` waits, and stops it whatever happens.
    """
    port = port or harness.free_port()
    log_path = workdir / "prometheus.log"
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with open(log_path, "wb") as log_file:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, cwd=workdir, stdout=log_file, stderr=subprocess.STDOUT)
    return Prometheus(f"http://127.0.0.1:{port}", process, log_path)


@contextmanager
def running(
    config: Path, workdir: Path, binary: str = "prometheus", port: int | None = None, timeout: float = 30.0
) -> Iterator[Prometheus]:
    """A Prometheus for the duration of a ``with`` block, ready (its /-/ready answers 200); stopped by PID after."""
    prometheus = start(config, workdir, binary, port)
    try:
        prometheus.wait_for(lambda: harness.http_ok(f"{prometheus.url}/-/ready"), "ready", timeout)
        yield prometheus
    finally:
        prometheus.stop()
