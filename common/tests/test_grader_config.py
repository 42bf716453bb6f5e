"""Lab 7's configuration is graded: each CONFIG requirement catches the flaw it is about and nothing else,
only when the grader starts the service itself (--start), every wait bounded, every start stopped.

The service under test is TinyConfig, a script of a few dozen lines written apart from the reference
lab (the standard library, grpcio with lab 3's generated stubs, and psycopg for PostgreSQL): it reads
its settings from the environment and a .env file, refuses bad values, and serves registration,
login and a user's record over gRPC only, lab 3's core (its HTTP port answers /healthz alone). The
grader starts it as a student's command, `python tiny.py FLAW`; each FLAW breaks one thing, as a
student's configuration might.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common import harness
from common.grader.addresses import Addresses
from common.grader.checks import config
from common.grader.labs import LABS, Lab, resolve
from common.grader.launch import Launcher, accepts
from common.grader.registry import Requirement, builtin
from common.grader.results import RunResult
from common.grader.runner import Options, grade

LAB = "lab7_config"
TIMEOUT = 2.0  # seconds per request here
TINY = Lab(LAB, ("rest", "grpc"), stubs_package="lab3_jwt", features=("config",))
# The grader imports lab 3's stubs for a gRPC side, and this process (common's tests) already holds lab 2's:
# two labs' generated code cannot share a Python. So the requirements without gRPC are graded here with
# TinyConfig seen as REST only, and CONFIG-DATABASE (gRPC) in a Python of its own (`in_a_python_of_its_own`).
TINY_REST = Lab(LAB, ("rest",), features=("config",))
NOWHERE = Addresses("http://127.0.0.1:9", "127.0.0.1:9")  # the config checks never call the service graded at

TINY_SERVICE = r'''
"""TinyConfig: settings from the environment and ENV_FILE (or ./.env), validated; users in memory or PostgreSQL."""
import json, os, sys
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc

sys.path.insert(0, os.environ["TINY_ROOT"])  # for lab 3's generated users.v1 stubs
from lab3_jwt.users.v1 import users_pb2 as pb, users_pb2_grpc as rpc

FLAW = sys.argv[1] if len(sys.argv) > 1 else ""
DEFAULTS = {"HOST": "127.0.0.1", "HTTP_PORT": "8000", "GRPC_PORT": "50051", "NOTIFIER_HTTP_PORT": "8001",
            "BROKER": "rabbitmq", "JWT_SECRET": "", "DATABASE_URL": "memory://"}
# names-another: a message names a longer variable holding the refused one's name, never the refused one itself
ANOTHER = {"HTTP_PORT": "NOTIFIER_HTTP_PORT", "BROKER": "BROKER_PREFIX", "JWT_SECRET": "JWT_SECRET_FILE"}


def env_file():
    try:
        lines = open(os.environ.get("ENV_FILE") or ".env").read().splitlines()
    except FileNotFoundError:
        return {}
    pairs = [line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#")]
    return {name.strip(): value.strip().strip('"') for name, value in pairs}


def settings():
    found = {} if FLAW == "ignores-env-file" else env_file()
    chosen = {**found, **os.environ} if FLAW != "env-file-wins" else {**os.environ, **found}
    return {name: chosen.get(name, default) for name, default in DEFAULTS.items()}


def named(name):
    return ANOTHER.get(name, name) if FLAW == "names-another" else name


def problems(s):
    found = []
    for name in ("HTTP_PORT", "GRPC_PORT", "NOTIFIER_HTTP_PORT"):
        if not (s[name].isdigit() and 0 < int(s[name]) < 65536):
            found.append(f"{named(name)}={s[name]!r}: not a port (a whole number from 1 to 65535)")
    if s["BROKER"] not in ("rabbitmq", "kafka"):
        found.append(f"{named('BROKER')}={s['BROKER']!r}: use rabbitmq or kafka")
    if s["JWT_SECRET"] and len(s["JWT_SECRET"]) < 32 and FLAW != "accepts-short-secret":
        if FLAW == "secret-traceback":
            raise ValueError("JWT_SECRET is too short")
        shown = s["JWT_SECRET"] if FLAW == "prints-secret" else "****"
        found.append(f"{named('JWT_SECRET')}={shown!r}: too short (at least 32 bytes)")
    return found


class Users:
    """In memory; in PostgreSQL for a postgresql:// URL; or (file-store) in the file TINY_FILE: durable, no database."""

    def __init__(self, url):
        self.rows, self.db, self.file = {}, None, None
        if url.startswith("postgresql://") and FLAW == "file-store":
            self.file = os.environ["TINY_FILE"]
            if os.path.exists(self.file):
                self.rows = json.load(open(self.file))
        elif url.startswith("postgresql://") and FLAW != "forgets-users":
            import psycopg

            self.db = psycopg.connect(url, autocommit=True)
            self.db.execute("CREATE TABLE IF NOT EXISTS tiny_users"
                            " (id SERIAL PRIMARY KEY, name TEXT, email TEXT UNIQUE, password TEXT)")

    def add(self, name, email, password):
        if self.db is None:
            self.rows[str(len(self.rows) + 1)] = (name, email, password)
            if self.file:
                json.dump(self.rows, open(self.file, "w"))
            return str(len(self.rows))
        query = "INSERT INTO tiny_users (name, email, password) VALUES (%s, %s, %s) RETURNING id"
        return str(self.db.execute(query, (name, email, password)).fetchone()[0])

    def all(self):
        if self.db is None:
            return dict(self.rows)
        return {str(row[0]): row[1:] for row in self.db.execute("SELECT id, name, email, password FROM tiny_users")}


def serve(s):
    users = Users(s["DATABASE_URL"])

    class UserService(rpc.UserServiceServicer):
        def CreateUser(self, request, context):
            user_id = users.add(request.name, request.email, request.password)
            return pb.User(id=user_id, name=request.name, email=request.email)

        def GetUser(self, request, context):
            if dict(context.invocation_metadata()).get("authorization") != f"Bearer tiny-{request.id}":
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "no token, or another user's")
            found = users.all().get(request.id)
            if found is None:
                context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
            return pb.User(id=request.id, name=found[0], email=found[1])

    class AuthService(rpc.AuthServiceServicer):
        def Login(self, request, context):
            matches = [i for i, u in users.all().items() if (u[1], u[2]) == (request.email, request.password)]
            if not matches:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "wrong credentials")
            return pb.LoginResponse(access_token=f"tiny-{matches[0]}", token_type="Bearer", expires_in=900)

    server = grpc.server(futures.ThreadPoolExecutor(4))
    rpc.add_UserServiceServicer_to_server(UserService(), server)
    rpc.add_AuthServiceServicer_to_server(AuthService(), server)
    server.add_insecure_port(f"{s['HOST']}:{s['GRPC_PORT']}")
    server.start()

    class Handler(BaseHTTPRequestHandler):  # HTTP serves /healthz alone: the users are gRPC's (lab 3's core)
        def do_GET(self):
            data = json.dumps({"status": "ok"}).encode()
            self.send_response(200 if self.path == "/healthz" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer((s["HOST"], int(s["HTTP_PORT"])), Handler).serve_forever()


s = settings()
bad = problems(s)
if bad and FLAW == "starts-anyway":
    s.update({name: "0" for name in ("HTTP_PORT", "GRPC_PORT") if not s[name].isdigit()})
elif bad and FLAW == "traceback":
    raise ValueError("; ".join(bad))
elif bad:
    print("tiny: invalid settings" if FLAW == "unnamed" else "\n".join(f"tiny: {line}" for line in bad),
          file=sys.stderr)
    sys.exit(0 if FLAW == "exits-zero" else 2)
serve(s)
'''


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """TinyConfig starts in a fraction of a second: a start that is not ready, or has not exited, in 3 s never will.
    (TINY_ROOT: where it finds lab 3's stubs; its starts inherit the environment, as a student's do.)"""
    monkeypatch.setattr(config, "READY_WITHIN", 3.0)
    monkeypatch.setattr(config, "EXIT_WITHIN", 3.0)
    monkeypatch.setenv("TINY_ROOT", str(harness.ROOT))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    script = tmp_path_factory.mktemp("tiny") / "tiny.py"
    script.write_text(TINY_SERVICE)
    return script


def config_requirements(lab: Lab = TINY) -> list[Requirement]:
    return [req for req in builtin(lab.protocols, lab.features) if req.feature == "config"]


def describe(run: RunResult) -> str:
    return "\n".join(f"{r.status} {r.id}: {r.message}" for r in run.results if not r.passed)


def launcher_for(tiny: Path, logs: Path, flaw: str = "", database_url: str | None = None) -> Launcher:
    return Launcher(f"{sys.executable} {tiny} {flaw}".strip(), TINY, logs, database_url)


def grade_tiny(launcher: Launcher | None, only: set[str] | None = None, lab: Lab = TINY_REST) -> RunResult:
    """The config requirements (or `only` these) of TinyConfig, started by `launcher`: each check stops its starts."""
    chosen = [req for req in config_requirements(lab) if only is None or req.id in only]
    try:
        run = grade(lab, NOWHERE, chosen, Options(timeout=TIMEOUT), unreachable={}, launcher=launcher)
        assert launcher is None or launcher.unstopped() == 0, "a check left a start of its own running"
        return run
    finally:
        if launcher is not None:
            launcher.close()


# --- which labs, which sides, what is not graded and why --------------------------------------------

EVERY = {req.id for req in config_requirements()}
WITHOUT_DATABASE = EVERY - {"CONFIG-DATABASE"}


def grade_over_grpc(tiny: str, logs: str, flaw: str, database_url: str, only: str) -> dict[str, object]:
    """(In a Python of its own) `grade_tiny` with TinyConfig's gRPC side: each result, and the run's duration."""
    config.READY_WITHIN = config.EXIT_WITHIN = 3.0  # as short_waits sets them: no fixture runs here
    launcher = launcher_for(Path(tiny), Path(logs), flaw, database_url or None) if tiny else None
    run = grade_tiny(launcher, set(only.split(",")) if only else None, TINY)
    return {"results": [[r.id, r.status, r.message, r.duration] for r in run.results], "duration": run.duration}


def in_a_python_of_its_own(*args: str) -> dict[str, Any]:
    """`grade_over_grpc(*args)` in a new Python (for lab 3's gRPC stubs); what it returns."""
    call = "print(json.dumps(grade_over_grpc(*sys.argv[1:])))"
    code = f"import json, sys\nfrom {__name__} import grade_over_grpc\n{call}"
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=harness.ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_lab7_alone_is_graded_on_its_configuration_and_on_every_earlier_requirement():
    assert len(EVERY) == 6
    lab6 = {req.id for req in builtin(resolve("lab6").protocols, resolve("lab6").features)}
    lab7 = {req.id for req in builtin(resolve("lab7").protocols, resolve("lab7").features)}
    assert lab7 == lab6 | EVERY
    for lab in LABS:
        graded = {req.id for req in builtin(lab.protocols, lab.features)}
        assert EVERY & graded == (EVERY if lab.name == LAB else set()), lab.name


def test_the_config_checks_need_the_start_command_and_one_a_database():
    sides = {req.id: req.sides for req in config_requirements(resolve(LAB))}
    assert sides.pop("CONFIG-DATABASE") == ("grpc", "start", "database"), "lab 3's core auth is gRPC's"
    assert set(sides.values()) == {("rest", "start")}
    assert resolve(LAB).sides == ("rest", "grpc", "notifier"), "the start command is no address"
    assert resolve(LAB).needs == ("start", "database") and resolve("lab6").needs == ()


def test_without_start_the_config_requirements_are_not_graded_and_the_report_says_why():
    results = in_a_python_of_its_own("", "", "", "", "")["results"]
    assert {(id_, status) for id_, status, _, _ in results} == {(id_, "fail") for id_ in EVERY}, results
    for _, _, message, duration in results:
        assert message.startswith("not graded: the grader did not start the service"), message
        assert "give --start 'COMMAND'" in message
        assert duration == 0.0


def test_without_a_database_the_database_requirement_alone_is_not_graded(tiny: Path, tmp_path: Path):
    results = in_a_python_of_its_own(str(tiny), str(tmp_path), "", "", "")["results"]
    assert {id_ for id_, status, _, _ in results if status == "pass"} == WITHOUT_DATABASE, results
    message = next(message for id_, _, message, _ in results if id_ == "CONFIG-DATABASE")
    assert message.startswith("not graded: no PostgreSQL database given: give --database-url postgresql://")


def test_list_shows_the_config_requirements_of_lab7():
    result = subprocess.run(
        [sys.executable, "-m", "common.grader", "list", "lab7"], cwd=harness.ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for known in (*EVERY, "METRICS-HTTP", "NOTIFY-REGISTERED", "WS-TEXT", "AUTH-GRPC-LOGIN", "REST-CREATE"):
        assert known in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["lab7", "--rest-url", "http://127.0.0.1:1", "--database-url", "postgresql://127.0.0.1/x"], "give --start"),
        (["lab6", "--start", "true", "--database-url", "postgresql://127.0.0.1/x"], "drop --database-url"),
        (["lab7", "--start", "true", "--database-url", "mysql://root:hunter22@127.0.0.1/x"], "not a PostgreSQL URL"),
        (["lab7", "--start", "true", "--database-url", "postgresql://127.0.0.1:port/x"], "port that is not a number"),
    ],
)
def test_a_database_url_is_given_with_start_to_lab7_as_a_postgresql_url(args, says):
    result = subprocess.run(
        [sys.executable, "-m", "common.grader", *args], cwd=harness.ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stdout == "", result.stdout + result.stderr
    assert says in result.stderr and len(result.stderr.splitlines()) == 1
    assert "hunter22" not in result.stderr, "a password in the URL is never repeated"


def test_a_url_in_a_report_has_its_password_masked():
    assert config.masked("postgresql://app:s3cret@db:5432/users") == "postgresql://app:****@db:5432/users"
    assert config.masked("postgresql://127.0.0.1:5432/users") == "postgresql://127.0.0.1:5432/users"


@pytest.mark.parametrize(
    "trace",
    [
        'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: HTTP_PORT',
        'Exception in thread "main" java.lang.NumberFormatException\n\tat java.lang.Integer.parseInt(Integer.java:652)',
        "Error: HTTP_PORT\n    at Object.<anonymous> (/app/server.js:3:9)\n    at node:internal/main:1:2",
        "Unhandled exception. System.FormatException\n   at Program.Main() in /app/Program.cs:line 5",
        "panic: HTTP_PORT\n\ngoroutine 1 [running]:\nmain.main()",
        "thread 'main' panicked at src/main.rs:4:5:\nHTTP_PORT",
    ],
)
def test_a_stack_trace_is_recognised_in_the_languages_a_student_may_use(trace):
    assert any(pattern.search(trace) for _, pattern in config.STACK_TRACES)


@pytest.mark.parametrize(
    ("output", "named"),
    [
        ("lab7_config: HTTP_PORT='abc': not a port", True),
        ("HTTP_PORT must be a number", True),
        ("error: $HTTP_PORT (env.HTTP_PORT) is bad", True),
        ("NOTIFIER_HTTP_PORT='not-a-port': not a port", False),
        ("MY_HTTP_PORT2 is bad", False),
        ("http_port is not a port", False),
        ("Http_Port is not a port", False),
        ("HTTP PORT is not a port", False),
    ],
)
def test_a_message_names_the_variable_by_its_exact_name_case_sensitive(output, named):
    assert config.names(output, "HTTP_PORT") is named


def test_a_longer_name_holding_the_variable_does_not_name_it():
    assert not config.names("BROKER_PREFIX='x': unknown", "BROKER") and config.names("BROKER='x'", "BROKER")
    assert not config.names("JWT_SECRET_FILE is too short", "JWT_SECRET")
    assert config.names("lab7_config: JWT_SECRET is too short: use a random key of at least 32 bytes", "JWT_SECRET")


def test_a_message_per_problem_is_no_stack_trace():
    message = "lab7_config: HTTP_PORT='not-a-port': Input should be a valid integer (a whole number from 1 to 65535)\n"
    assert not any(pattern.search(message) for _, pattern in config.STACK_TRACES)


# --- TinyConfig keeps the contract, and each flaw fails what it breaks ----------------------------------


def test_tiny_config_keeps_the_contract_and_passes_every_config_requirement(tiny: Path, tmp_path: Path):
    run = grade_tiny(launcher_for(tiny, tmp_path), WITHOUT_DATABASE)
    assert run.by_status("pass") == WITHOUT_DATABASE, describe(run)
    assert run.duration < 10, "a service that starts and stops at once is graded without waiting"
    logs = sorted(path.name for path in tmp_path.glob("start-*.log"))
    assert len(logs) == 8 and logs[0] == "start-01-env-file.log", logs


VARIANTS = {
    "ignores-env-file": ({"CONFIG-ENV-FILE"}, " at HTTP_PORT ", {"CONFIG-PRECEDENCE"}),
    "env-file-wins": ({"CONFIG-PRECEDENCE"}, "it listens at the .env file's HTTP_PORT", set()),
    "starts-anyway": (
        {"CONFIG-INVALID", "CONFIG-SECRET-MASKED"},
        "it was still running 3 s after the start",
        {"CONFIG-NO-TRACEBACK"},
    ),
    "unnamed": ({"CONFIG-INVALID", "CONFIG-SECRET-MASKED"}, "its output should name", {"CONFIG-NO-TRACEBACK"}),
    "names-another": (
        {"CONFIG-INVALID", "CONFIG-SECRET-MASKED"},
        "its output should name",
        {"CONFIG-NO-TRACEBACK"},
    ),
    "exits-zero": ({"CONFIG-INVALID", "CONFIG-SECRET-MASKED"}, "it exited with status 0", {"CONFIG-NO-TRACEBACK"}),
    "accepts-short-secret": ({"CONFIG-SECRET-MASKED"}, "it was still running", set()),
    "prints-secret": ({"CONFIG-SECRET-MASKED"}, "its output shows the secret", set()),
    "traceback": ({"CONFIG-NO-TRACEBACK"}, "it printed a Python traceback", set()),
    "secret-traceback": ({"CONFIG-NO-TRACEBACK"}, "refusing JWT_SECRET=", set()),
}


@pytest.mark.parametrize("flaw", VARIANTS)
def test_a_broken_configuration_loses_exactly_what_it_breaks(flaw, tiny: Path, tmp_path: Path):
    failed, says, skipped = VARIANTS[flaw]
    launcher = launcher_for(tiny, tmp_path, flaw)
    run = grade_tiny(launcher, WITHOUT_DATABASE)
    assert run.by_status("fail") == failed, describe(run)
    for result in run.results:
        assert result.id not in failed or says in result.message, describe(run)
    assert run.by_status("skipped") == skipped, describe(run)
    assert run.by_status("error") == set(), describe(run)
    assert run.duration < 15


def test_a_failure_shows_the_start_and_what_it_printed(tiny: Path, tmp_path: Path):
    run = grade_tiny(launcher_for(tiny, tmp_path, "unnamed"), {"CONFIG-INVALID"})
    _, sent, got, hint = run.results[0].message.splitlines()
    assert sent == f"sent: started `{sys.executable} {tiny} unnamed` with HTTP_PORT='not-a-port' (and free ports)"
    assert got == "got:  exit status 2; its output ends: tiny: invalid settings"
    assert hint.startswith("hint: validate every setting before starting anything")


def test_a_start_a_check_left_running_is_stopped_at_the_end_of_the_run(tiny: Path, tmp_path: Path):
    launcher = launcher_for(tiny, tmp_path)
    ports = launcher.ports()
    start = launcher.start("left", config.on_ports(ports), ports)
    harness.wait_until(start.process, lambda: launcher.ready(start), "tiny", timeout=10)
    assert launcher.unstopped() == 1
    launcher.close()
    assert start.exited is not None and not accepts(ports["HTTP_PORT"])
    with pytest.raises(RuntimeError, match="the run is over"):
        launcher.start("late", config.on_ports(ports), ports)


# --- the database: users kept across a restart ------------------------------------------------------


@pytest.fixture
def database_url() -> Iterator[str]:
    from common.postgres import scratch_database

    with scratch_database() as url:
        yield url


@pytest.mark.parametrize(("flaw", "status"), [("", "pass"), ("forgets-users", "fail")])
def test_users_kept_in_the_database_survive_a_restart_and_users_kept_in_memory_do_not(
    flaw, status, tiny: Path, tmp_path: Path, database_url: str
):
    graded = in_a_python_of_its_own(str(tiny), str(tmp_path), flaw, database_url, "CONFIG-DATABASE")
    [[_, got, message, _]] = graded["results"]
    assert got == status, message
    assert graded["duration"] < 10
    if status == "fail":
        assert "the user registered before the restart should log in after it (OK), got UNAUTHENTICATED" in message
        assert "CreateUser registered config-" in message and "AuthService/Login(LoginRequest" in message
        assert "stopped it with SIGTERM; started it again with the same DATABASE_URL" in message


def test_users_that_outlive_a_restart_outside_the_database_fail_it(
    tiny: Path, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    """Kept in a file, the users log in after the restart: only a look into the database tells it from PostgreSQL."""
    monkeypatch.setenv("TINY_FILE", str(tmp_path / "users.json"))
    graded = in_a_python_of_its_own(str(tiny), str(tmp_path), "file-store", database_url, "CONFIG-DATABASE")
    [[_, status, message, _]] = graded["results"]
    assert status == "fail", message
    assert "no table of the database DATABASE_URL names holds config-" in message, message
    assert "got:  the database has no table" in message, message
    assert (tmp_path / "users.json").exists(), "the users were kept, in the file"


def test_the_grader_finds_an_email_in_a_text_or_json_column_of_any_schema(database_url: str):
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("CREATE SCHEMA app")
        db.execute("CREATE TABLE app.accounts (id bigint, profile jsonb)")
        db.execute("CREATE TABLE counters (n integer)")
        db.execute("INSERT INTO app.accounts VALUES (1, %s)", ('{"email": "Ada@Example.com"}',))
    tables, holding = config.tables_holding(database_url, "ada@example.com")
    assert tables == ["app.accounts", "public.counters"] and holding == ["app.accounts"]
    assert config.tables_holding(database_url, "bob@example.com") == (tables, [])
