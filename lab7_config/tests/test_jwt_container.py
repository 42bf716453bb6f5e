"""The container of the lab with tokens: JWT_SECRET comes from the environment at run time, never from the image."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from common.containers import compose_config, dockerfile, instruction_values
from common.pytest_plugin import require_tool

LAB_DIR = Path(__file__).resolve().parents[1]
SECRET_WORDS = re.compile(r"JWT_SECRET|SECRET|PASSWORD|TOKEN", re.IGNORECASE)


def test_compose_passes_jwt_secret_through_from_the_environment():
    """Lab 5: to the users service of each broker profile, and to no other (the notifier checks no token)."""
    services = compose_config(LAB_DIR / "compose.yaml")["services"]
    users = {name: s for name, s in services.items() if s.get("environment", {}).get("SERVICES") == "users"}
    assert len(users) == 2, f"expected a users service per broker profile, found {sorted(users)}"
    for name, service in users.items():
        assert service["environment"]["JWT_SECRET"] == os.environ["JWT_SECRET"], name
    for name, service in services.items():
        if name not in users:
            assert os.environ["JWT_SECRET"] not in str(service), f"{name} has no use for the signing key"


def test_compose_refuses_to_start_without_jwt_secret():
    tool = require_tool("docker-compose", "Debian/Ubuntu: sudo apt-get install docker-compose")
    env = {name: value for name, value in os.environ.items() if name != "JWT_SECRET"}
    result = subprocess.run(
        [tool, "-f", str(LAB_DIR / "compose.yaml"), "config", "-q"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "set JWT_SECRET to at least 32 random bytes" in result.stderr


def test_the_image_holds_no_secret():
    image = dockerfile(LAB_DIR / "Dockerfile")
    for instruction in ("ENV", "ARG", "LABEL"):
        for value in instruction_values(image, instruction):
            assert not SECRET_WORDS.search(value), f"{instruction} {value}: a secret does not belong in the image"
    copied = " ".join(instruction_values(image, "COPY"))
    assert ".env" not in copied.split(), "COPY .env would bake the secret into a layer"
