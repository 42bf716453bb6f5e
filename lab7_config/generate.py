"""Generate the Python code for the lab's .proto files: ``python -m lab7_config.generate``.

protoc (bundled in grpcio-tools) writes, for ``protos/users/v1/users.proto``:

- ``users/v1/users_pb2.py``: the messages (User, CreateUserRequest, ...);
- ``users/v1/users_pb2.pyi``: their types, for editors and type checkers;
- ``users/v1/users_pb2_grpc.py``: the client stub and the servicer base class.

protoc names the module that ``users_pb2_grpc.py`` imports after the proto's path, as the absolute
``from users.v1 import users_pb2``, which only works with ``users`` at the top of sys.path. The
generated code lives inside the lab's package, so protoletariat rewrites such imports to relative
ones. The generated files are committed, and a test regenerates them and fails if they differ:
after editing a .proto, run this and commit its output with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

LAB_DIR = Path(__file__).resolve().parent
PROTO_ROOT = LAB_DIR / "protos"
# Where ./run_all.sh installs protoletariat, apart from the labs' newer protobuf.
CODEGEN_TOOLS = Path(sys.prefix) / "codegen"


def proto_files(root: Path = PROTO_ROOT) -> list[str]:
    """Every .proto under `root`, relative to it: the names protoc registers them by."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.proto"))


def generate(out_dir: Path) -> list[Path]:
    """Write the generated package tree under `out_dir`; return the files written, relative to it."""
    with tempfile.TemporaryDirectory() as raw:
        work = Path(raw)
        descriptors = work / "descriptors.bin"
        well_known = resources.files("grpc_tools") / "_proto"  # google/protobuf/*.proto
        args = [f"-I{PROTO_ROOT}", f"-I{well_known}", f"--python_out={work}", f"--pyi_out={work}"]
        args += [f"--grpc_python_out={work}", "--include_imports", f"--descriptor_set_out={descriptors}"]
        if protoc.main(["grpc_tools.protoc", *args, *proto_files()]) != 0:
            raise SystemExit("protoc failed; its message is above")
        _relative_imports(work, descriptors)
        descriptors.unlink()
        written = sorted(path.relative_to(work) for path in work.rglob("*.py*") if _ours(path.relative_to(work)))
        for path in written:
            (out_dir / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / path, out_dir / path)
    return written


def _ours(path: Path) -> bool:
    """Generated modules and their packages' __init__.py, but not one for the lab's own folder."""
    return path.name != "__init__.pyi" and path.parent != Path(".")


def _relative_imports(work: Path, descriptors: Path) -> None:
    if not (CODEGEN_TOOLS / "protoletariat").exists():
        raise SystemExit(f"protoletariat is not in {CODEGEN_TOOLS}: run ./run_all.sh generate once, which installs it")
    command = [sys.executable, "-m", "protoletariat", "--python-out", str(work), "--in-place", "--create-package"]
    command += ["--exclude-google-imports", "raw", str(descriptors)]
    subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(CODEGEN_TOOLS)})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=LAB_DIR, help="where to write (default: the lab package)")
    out_dir = parser.parse_args(argv).out
    for path in generate(out_dir):
        print(out_dir / path)


if __name__ == "__main__":
    main(sys.argv[1:])
