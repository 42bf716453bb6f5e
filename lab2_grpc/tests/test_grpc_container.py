"""The container files publish the gRPC port too (checked without a Docker engine, like test_container)."""

from __future__ import annotations

from pathlib import Path

from common.containers import compose_config, dockerfile, instruction_values

LAB_DIR = Path(__file__).resolve().parents[1]


def test_compose_publishes_the_grpc_port():
    service = compose_config(LAB_DIR / "compose.yaml")["services"]["users"]
    assert {"published": 50051, "target": 50051} in service["ports"]
    assert service["environment"]["GRPC_PORT"] == "50051"


def test_dockerfile_exposes_the_grpc_port():
    assert "50051" in instruction_values(dockerfile(LAB_DIR / "Dockerfile"), "EXPOSE")
