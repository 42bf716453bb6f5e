"""The committed generated code matches the .proto, and imports from inside the lab package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common.harness import ROOT

from .. import generate

LAB_DIR = Path(__file__).resolve().parents[1]
LAB = LAB_DIR.name


def test_committed_code_matches_a_fresh_generation(tmp_path: Path):
    """Fails after a .proto edit without regenerating, or after a hand edit of generated code."""
    command = [sys.executable, "-m", f"{LAB}.generate", "--out", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    fresh = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    assert fresh, "the generator wrote nothing"
    committed = sorted(path.relative_to(LAB_DIR) for path in (LAB_DIR / "users").rglob("*") if path.is_file())
    assert [p for p in committed if "__pycache__" not in p.parts] == fresh
    stale = [str(p) for p in fresh if (tmp_path / p).read_bytes() != (LAB_DIR / p).read_bytes()]
    assert stale == [], f"run `./run_all.sh generate {LAB}` and commit the result"


def test_generated_imports_stay_inside_the_lab():
    grpc_module = (LAB_DIR / "users" / "v1" / "users_pb2_grpc.py").read_text()
    assert "from ...users.v1 import users_pb2" in grpc_module
    assert "\nfrom users.v1" not in grpc_module


def test_the_generated_package_imports_in_a_clean_interpreter():
    """No sys.path tricks: only the repository root on the path, as with ``python -m``."""
    code = f"from {LAB}.users.v1 import users_pb2_grpc, users_pb2\nprint(users_pb2.User.DESCRIPTOR.full_name)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "users.v1.User"


def test_every_proto_is_generated():
    assert generate.proto_files() == ["users/v1/users.proto"]
