"""The container files publish the gRPC port too (checked without a Docker engine, like test_container).

Lab 5: compose.yaml runs the users service once per broker profile; each publishes the gRPC port.
"""

from __future__ import annotations

from pathlib import Path

from common.containers import compose_config, dockerfile, instruction_values, published_ports

LAB_DIR = Path(__file__).resolve().parents[1]


def users_services(compose: dict) -> dict[str, dict]:
    """The services that run the users service (SERVICES=users): one per broker profile."""
    found = {n: s for n, s in compose["services"].items() if s.get("environment", {}).get("SERVICES") == "users"}
    assert len(found) == 2, f"expected a users service per broker profile, found {sorted(found)}"
    return found


def test_compose_publishes_the_grpc_port_on_loopback():
    for name, service in users_services(compose_config(LAB_DIR / "compose.yaml")).items():
        assert ("127.0.0.1", 50051, 50051) in published_ports(service), name
        assert service["environment"]["GRPC_PORT"] == "50051", name


def test_dockerfile_exposes_the_grpc_port():
    exposed = " ".join(instruction_values(dockerfile(LAB_DIR / "Dockerfile"), "EXPOSE")).split()
    assert "50051" in exposed
