"""compose.yaml and Dockerfile, checked without a Docker engine.

docker-compose validates the compose file offline and hadolint lints the Dockerfile; the
Dockerfile is read and checked against the lab (what it copies exists, what it runs is the lab);
and the image's recipe is rehearsed: a fresh virtual environment with only the lab's folder and
its requirements.txt runs the lab.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import venv
from pathlib import Path

import pytest
import requests

from common import harness
from common.containers import (
    compose_config,
    copy_sources,
    dockerfile,
    hadolint,
    instruction_values,
    published_ports,
)

LAB_DIR = Path(__file__).resolve().parents[1]
LAB = LAB_DIR.name


@pytest.fixture(scope="module")
def compose() -> dict:
    return compose_config(LAB_DIR / "compose.yaml")


@pytest.fixture(scope="module")
def image() -> object:
    return dockerfile(LAB_DIR / "Dockerfile")


def test_compose_builds_this_lab_and_publishes_its_port(compose):
    service = compose["services"]["users"]
    assert Path(service["build"]["context"]) == harness.ROOT
    assert service["build"]["dockerfile"] == f"{LAB}/Dockerfile"
    assert ("127.0.0.1", 8000, 8000) in published_ports(service)
    assert service["environment"]["HOST"] == "0.0.0.0"


def test_compose_publishes_ports_on_loopback_only(compose):
    for host, published, _ in published_ports(compose["services"]["users"]):
        assert host == "127.0.0.1", f"port {published} is published on every interface"


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = hadolint(LAB_DIR / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_copies_only_what_exists(image):
    for source in copy_sources(image):
        assert (harness.ROOT / source).exists(), f"COPY {source}: no such path in the build context"


def test_dockerfile_runs_the_lab_as_pid_1_on_its_port(image):
    assert re.fullmatch(r"python:3\.11\.\d+-slim", image.baseimage), "pin the base image to a patch release"
    assert json.loads(instruction_values(image, "CMD")[-1]) == ["python", "-m", LAB]
    assert "8000" in " ".join(instruction_values(image, "EXPOSE")).split()
    (healthcheck,) = instruction_values(image, "HEALTHCHECK")
    assert "/healthz" in healthcheck and "HTTP_PORT" in healthcheck, "the check must follow HTTP_PORT"
    assert instruction_values(image, "USER"), "the service should not run as root"


def test_dockerfile_installs_the_labs_own_pins_and_no_build_tools(image):
    runs = " ".join(instruction_values(image, "RUN"))
    assert f"-r {LAB}/requirements.txt" in runs
    pins = (LAB_DIR / "requirements.txt").read_text()
    for tool in ("grpcio-tools", "pytest", "ruff", "gcc"):
        assert tool not in pins, f"{tool} is a build or test tool: it belongs in the course's requirements-dev.txt"


@pytest.mark.slow
def test_the_lab_runs_from_its_folder_and_requirements_alone(tmp_path):
    """What the image does, without Docker: a clean venv, the lab's pins, the lab's folder, python -m."""
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-r", LAB_DIR / "requirements.txt"],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    app_dir = tmp_path / "app"
    shutil.copytree(LAB_DIR, app_dir / LAB, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    lab = harness.start(LAB, {"PYTHONPATH": str(app_dir)}, python=str(python), cwd=app_dir)
    try:
        assert harness.http_ok(f"{lab.http_url}/healthz")
        assert requests.get(f"{lab.http_url}/users", timeout=10).status_code == 401  # lab 3: a token is needed
    finally:
        assert lab.stop() == 0
