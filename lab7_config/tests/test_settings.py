"""Lab 7's settings: every variable read, checked and documented; the environment wins over .env.

The unit tests call `load` with an environment of their own and a .env file in a temporary folder;
the last tests start the lab itself, as a deployment would, and read what it prints.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common import harness

from ..settings import FIELDS, MASK, Settings, SettingsError, load, read, shown

SECRET = "a-secret-key-that-is-long-enough-for-hs256"
EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"

# A value of each variable that is not its default and is accepted, and one that is refused.
GOOD = {
    "HOST": "0.0.0.0",
    "HTTP_PORT": "8080",
    "HTTP_THREADS": "16",
    "GRACE_SECONDS": "2.5",
    "MAX_BODY_BYTES": "131072",
    "GRPC_PORT": "50052",
    "GRPC_THREADS": "32",
    "GRPC_HEALTH_THREADS": "2",
    "GRPC_WATCH_THREADS": "1",
    "JWT_SECRET": SECRET,
    "JWT_TTL_SECONDS": "60",
    "ADMIN_EMAIL": "root@example.com",
    "WS_MAX_CONNECTIONS": "100",
    "WS_CONNECTIONS_PER_USER": "4",
    "WS_MAX_MESSAGE_BYTES": "4096",
    "WS_QUEUE_MESSAGES": "16",
    "WS_QUEUE_BYTES": "65536",
    "WS_MESSAGES_PER_SECOND": "5",
    "WS_FRAMES_PER_SECOND": "50",
    "WS_PING_SECONDS": "10",
    "BROKER": "kafka",
    "RABBITMQ_URL": "amqps://user:pw@rabbit.example:5671/prod",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9092,kafka-2:9092",
    "BROKER_PREFIX": "staging",
    "NOTIFIER_HTTP_PORT": "9001",
    "SMTP_HOST": "mail.example",
    "SMTP_PORT": "587",
    "SMTP_FROM": "noreply@example.com",
    "NOTIFIER_DB": "/var/lib/notifier/record.sqlite3",
    "SERVICES": "users",
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "DEBUG",
    "DATABASE_URL": "postgresql://app:pw@db.example:5432/users",
    "DATABASE_POOL_SIZE": "4",
}
BAD = {
    "HOST": "",
    "HTTP_PORT": "eighty",
    "HTTP_THREADS": "0",
    "GRACE_SECONDS": "-1",
    "MAX_BODY_BYTES": "1e9",
    "GRPC_PORT": "70000",
    "GRPC_THREADS": "many",
    "GRPC_HEALTH_THREADS": "0",
    "GRPC_WATCH_THREADS": "100",
    "JWT_SECRET": "short-secret",
    "JWT_TTL_SECONDS": "0",
    "ADMIN_EMAIL": None,  # any text: an email nobody registers with makes nobody admin
    "WS_MAX_CONNECTIONS": "-5",
    "WS_CONNECTIONS_PER_USER": "0",
    "WS_MAX_MESSAGE_BYTES": "10",
    "WS_QUEUE_MESSAGES": "0",
    "WS_QUEUE_BYTES": "lots",
    "WS_MESSAGES_PER_SECOND": "0",
    "WS_FRAMES_PER_SECOND": "fast",
    "WS_PING_SECONDS": "86401",
    "BROKER": "nats",
    "RABBITMQ_URL": "http://user:pw@rabbit.example/",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka-1",
    "BROKER_PREFIX": "two words",
    "NOTIFIER_HTTP_PORT": "0",
    "SMTP_HOST": None,  # any text: a host name is checked when the notifier connects
    "SMTP_PORT": "smtp",
    "SMTP_FROM": "not an address",
    "NOTIFIER_DB": "",
    "SERVICES": "notifier",
    "LOG_FORMAT": "xml",
    "LOG_LEVEL": "LOUD",
    "DATABASE_URL": "mysql://app:pw@db.example/users",
    "DATABASE_POOL_SIZE": "1000",
}


@pytest.fixture
def no_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory: no .env unless the test writes one."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_tables_name_every_variable():
    assert GOOD.keys() == BAD.keys() == FIELDS.keys()


def test_the_defaults_need_only_a_secret(no_env_file):
    assert load({"JWT_SECRET": SECRET}) == Settings(jwt_secret=SECRET)


@pytest.mark.parametrize("variable", sorted(GOOD))
def test_each_variable_sets_its_setting(no_env_file, variable):
    settings = load({"JWT_SECRET": SECRET, variable: GOOD[variable]})
    value = getattr(settings, FIELDS[variable])
    assert value != getattr(Settings(), FIELDS[variable])
    shown = ",".join(value) if isinstance(value, tuple) else str(value)
    assert shown.lower() == GOOD[variable].lower() or float(shown) == float(GOOD[variable])


@pytest.mark.parametrize("variable", sorted(name for name, value in BAD.items() if value is not None))
def test_each_bad_value_is_refused_naming_its_variable(no_env_file, variable):
    with pytest.raises(SettingsError) as refused:
        load({"JWT_SECRET": SECRET, variable: BAD[variable]})
    (line,) = refused.value.problems
    assert line.startswith(f"{variable}=" if variable != "JWT_SECRET" else "JWT_SECRET is too short")


def test_every_problem_is_reported_at_once(no_env_file):
    with pytest.raises(SettingsError) as refused:
        load({"HTTP_PORT": "eighty", "BROKER": "nats", "LOG_LEVEL": "LOUD"})
    assert [line.split("=")[0].split()[0] for line in refused.value.problems] == [
        "JWT_SECRET",
        "HTTP_PORT",
        "BROKER",
        "LOG_LEVEL",
    ]


def test_a_problem_says_what_the_variable_accepts(no_env_file):
    with pytest.raises(SettingsError) as refused:
        load({"JWT_SECRET": SECRET, "HTTP_PORT": "eighty", "BROKER": "nats"})
    port, broker = refused.value.problems
    assert "HTTP_PORT='eighty'" in port and "1 to 65535" in port
    assert "BROKER='nats'" in broker and "'rabbitmq' or 'kafka'" in broker


def test_secrets_are_never_shown(no_env_file):
    short = "hunter2-is-my-password"
    with pytest.raises(SettingsError) as refused:
        load({"JWT_SECRET": short, "RABBITMQ_URL": "http://u:pw-rabbit@rabbit/", "DATABASE_URL": "mysql://a:pw-db@db/"})
    text = str(refused.value)
    assert short not in text and "pw-rabbit" not in text and "pw-db" not in text
    assert "JWT_SECRET is too short" in text and f"u:{MASK}@rabbit" in text and f"a:{MASK}@db" in text
    assert SECRET not in repr(load({"JWT_SECRET": SECRET})) and "pw" not in repr(Settings(rabbitmq_url="amqp://u:pw@h/"))


@pytest.mark.parametrize("password", ["pw", "p/w?x#y", "p@ss:word"])
def test_a_urls_password_is_masked_even_when_it_should_have_been_encoded(password):
    url = f"postgresql://app:{password}@db.example:5432/users"
    assert shown("DATABASE_URL", url) == f"postgresql://app:{MASK}@db.example:5432/users"


def test_a_password_elsewhere_in_a_url_setting_is_not_shown_either():
    assert shown("DATABASE_URL", "postgresql://app@db/users?password=pw&sslmode=require") == (
        f"postgresql://app@db/users?password={MASK}&sslmode=require"
    )
    assert shown("DATABASE_URL", "host=db password=pw") == MASK  # not a URL: not shown at all
    assert shown("RABBITMQ_URL", "amqp//u:pw@rabbit") == MASK


def test_an_env_file_that_is_not_text_is_a_problem_not_a_crash(no_env_file):
    (no_env_file / ".env").write_bytes(b"LOG_LEVEL=INFO\n\xff\xfe\n")
    with pytest.raises(SettingsError, match=r"cannot read it \(it is not UTF-8 text\)"):
        load({"JWT_SECRET": SECRET})


def test_a_line_of_env_that_is_no_name_is_not_quoted(no_env_file):
    (no_env_file / ".env").write_text("postgresql://app:pasted-password@db/users\n")
    with pytest.raises(SettingsError) as refused:
        load({"JWT_SECRET": SECRET})
    assert "pasted-password" not in str(refused.value) and "not NAME=value" in str(refused.value)


def test_the_notifier_and_the_clients_need_no_secret(no_env_file):
    assert load({}, service="notifier").jwt_secret == ""
    assert load({"JWT_SECRET": "short"}, service="notifier").jwt_secret == ""
    assert load({}, service="client").jwt_secret == ""  # grpc_address and ws_url, for the clients
    with pytest.raises(SettingsError, match="JWT_SECRET is not set"):
        load({}, service="users")


def test_the_environment_wins_over_env_which_wins_over_the_default(no_env_file):
    (no_env_file / ".env").write_text(f"JWT_SECRET={SECRET}\nHTTP_PORT=9000\nGRPC_PORT=9001\n")
    settings = load({"HTTP_PORT": "9100"})
    assert (settings.http_port, settings.grpc_port, settings.notifier_http_port) == (9100, 9001, 8001)
    origins = read({"HTTP_PORT": "9100"}).origins
    env_file = str(no_env_file / ".env")
    assert origins == {"HTTP_PORT": "environment", "GRPC_PORT": env_file, "JWT_SECRET": env_file}


def test_env_file_names_another_file(no_env_file, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("deploy") / "staging.env"
    elsewhere.write_text("# staging\nLOG_LEVEL=debug\nBROKER=kafka\n")
    (no_env_file / ".env").write_text("LOG_LEVEL=ERROR\n")  # not read: ENV_FILE names another
    settings = load({"JWT_SECRET": SECRET, "ENV_FILE": str(elsewhere)})
    assert (settings.log_level, settings.broker) == ("DEBUG", "kafka")


def test_a_missing_env_file_named_by_env_file_is_a_problem(no_env_file):
    with pytest.raises(SettingsError, match=r"ENV_FILE='nowhere.env': no such file"):
        load({"JWT_SECRET": SECRET, "ENV_FILE": "nowhere.env"})


def test_a_misspelt_name_in_env_is_a_problem_not_ignored(no_env_file):
    (no_env_file / ".env").write_text("HTTP_PROT=9000\nLOG_LEVEL\n")
    with pytest.raises(SettingsError) as refused:
        load({"JWT_SECRET": SECRET})
    misspelt, empty = refused.value.problems
    assert "HTTP_PROT" in misspelt and "did you mean HTTP_PORT?" in misspelt
    assert empty.startswith("LOG_LEVEL in ")


def test_env_syntax_quotes_and_comments(no_env_file):
    (no_env_file / ".env").write_text(
        f"export JWT_SECRET='{SECRET}'\n"
        'SMTP_FROM="Lab Seven <lab7@example.com>"\n'
        "ADMIN_EMAIL=root@example.com # the first admin\n"
    )
    settings = load({})
    assert (settings.jwt_secret, settings.admin_email) == (SECRET, "root@example.com")
    assert settings.smtp_from == "Lab Seven <lab7@example.com>"


# --- .env.example: every variable, documented with its default ------------------------------------


def example_values() -> dict[str, str]:
    """The example's variables, commented out or not: `# HTTP_PORT=8000` is HTTP_PORT's documented default."""
    found = re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$", EXAMPLE.read_text(), re.MULTILINE)
    return dict(found)


def test_env_example_documents_every_variable_and_nothing_else():
    assert example_values().keys() == FIELDS.keys()


def test_env_example_gives_the_true_defaults(no_env_file):
    documented = {name: value for name, value in example_values().items() if value}
    assert load({**documented, "JWT_SECRET": SECRET}) == Settings(jwt_secret=SECRET)


def test_env_example_documents_each_variable_in_a_comment_above_it():
    lines = EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^(# )?[A-Z][A-Z0-9_]*=", line) and not re.match(r"^(# )?[A-Z][A-Z0-9_]*=", lines[number - 1]):
            assert lines[number - 1].startswith("# ") and len(lines[number - 1]) > 10, line


def test_env_is_never_committed():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=harness.ROOT)
    assert ignored.returncode == 0


# --- the lab itself ---------------------------------------------------------------------------------



def test_bad_settings_stop_the_start_with_status_2_and_a_line_each(lab_name):
    short = "not-long-enough"
    result = harness.run_to_exit(lab_name, {"JWT_SECRET": short, "HTTP_PORT": "eighty", "BROKER": "nats"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ")[1].split("=")[0].split()[0] for line in lines] == ["HTTP_PORT", "JWT_SECRET", "BROKER"]
    assert short not in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


def test_print_config_shows_each_value_and_where_it_came_from(lab_name, tmp_path):
    (tmp_path / ".env").write_text(f"JWT_SECRET={SECRET}\nHTTP_PORT=9000\nRABBITMQ_URL=amqp://app:pw-rabbit@rabbit/\n")
    result = harness.run_to_exit(lab_name, {"HTTP_PORT": "9100"}, args=("--print-config",), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = {line.split("=")[0]: line for line in result.stdout.splitlines()}
    assert lines.keys() == FIELDS.keys()
    assert re.fullmatch(r"HTTP_PORT=9100 +# environment", lines["HTTP_PORT"])
    assert re.fullmatch(rf"JWT_SECRET={re.escape(MASK)} +# {re.escape(str(tmp_path / '.env'))}", lines["JWT_SECRET"])
    assert f"amqp://app:{MASK}@rabbit/" in lines["RABBITMQ_URL"] and "pw-rabbit" not in result.stdout
    assert re.fullmatch(r"GRPC_PORT=50051 +# default", lines["GRPC_PORT"])


def test_print_config_refuses_bad_settings_as_a_start_would(lab_name, tmp_path):
    result = harness.run_to_exit(
        lab_name, {"JWT_SECRET": SECRET, "LOG_LEVEL": "LOUD"}, args=("--print-config",), cwd=tmp_path
    )
    assert result.returncode == 2 and "LOG_LEVEL='LOUD'" in result.stderr and result.stdout == ""


def test_the_lab_starts_with_its_settings_from_env_file(lab_name, tmp_path):
    ports = {name: str(harness.free_port()) for name in ("HTTP_PORT", "GRPC_PORT")}
    env_file = tmp_path / "lab.env"
    env_file.write_text("".join(f"{name}={port}\n" for name, port in ports.items()) + "SERVICES=users\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(harness.ROOT), "ENV_FILE": str(env_file), "JWT_SECRET": SECRET}
    lab = subprocess.Popen([sys.executable, "-m", lab_name], cwd=harness.ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        harness.wait_until(lab, lambda: harness.http_ok(f"http://127.0.0.1:{ports['HTTP_PORT']}/healthz"), lab_name)
        assert harness.port_open(int(ports["GRPC_PORT"]))
    finally:
        assert harness.stop_process(lab) == 0


def test_dataclass_replace_still_checks_values():
    with pytest.raises(ValueError, match="http_port"):
        dataclasses.replace(Settings(), http_port=0)
