"""common/prometheus.py against a real Prometheus: it starts, scrapes, answers, refuses, and stops.

Prometheus scrapes itself here, so that these tests need no lab; lab 6's tests rely on the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common import harness, prometheus
from common.pytest_plugin import require_tool

HINT = "Debian/Ubuntu: sudo apt-get install prometheus"


@pytest.fixture
def binary() -> str:
    return require_tool("prometheus", HINT)


def self_scraping_config(folder: Path, port: int) -> Path:
    """A configuration whose only target is the Prometheus that reads it, scraped every second."""
    config = folder / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        f"scrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
    )
    return config


def test_a_started_prometheus_scrapes_answers_queries_and_stops(binary: str, tmp_path: Path) -> None:
    port = harness.free_port()
    with prometheus.running(self_scraping_config(tmp_path, port), tmp_path, binary, port) as server:
        server.wait_for(lambda: server.query('up{job="self"} == 1') != [], "its own target up")
        [scalar] = server.query("1 + 1")
        assert scalar["value"][1] == "2"
        with pytest.raises(prometheus.PrometheusError, match="bad_data"):
            server.query("rate(up[")
    assert server.process.poll() is not None, "Prometheus still runs after the block"


def test_a_prometheus_that_cannot_start_fails_at_once_with_its_log(binary: str, tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs: [this is not a scrape config]\n")
    with (
        pytest.raises(prometheus.PrometheusError, match=r"exited(.|\n)*prometheus\.yml"),
        prometheus.running(config, tmp_path, binary),
    ):
        pass
