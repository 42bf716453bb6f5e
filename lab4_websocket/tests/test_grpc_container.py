"""The container files publish the gRPC port too (checked without a Docker engine, like test_container)."""

from __future__ import annotations

from pathlib import Path

from common.containers import compose_config, dockerfile, instruction_values, published_ports

LAB_DIR = Path(__file__).resolve().parents[1]


def test_compose_publishes_the_grpc_port_on_loopback():
    service = compose_config(LAB_DIR / "compose.yaml")["services"]["users"]
    assert ("127.0.0.1", 50051, 50051) in published_ports(service)
    assert service["environment"]["GRPC_PORT"] == "50051"


def test_dockerfile_exposes_the_grpc_port():
    exposed = " ".join(instruction_values(dockerfile(LAB_DIR / "Dockerfile"), "EXPOSE")).split()
    assert "50051" in exposed
