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
