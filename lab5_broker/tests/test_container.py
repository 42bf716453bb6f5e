"""compose.yaml and Dockerfile, checked without a Docker engine.

docker-compose validates the compose file offline and hadolint lints the Dockerfile; the
Dockerfile is read and checked against the lab (what it copies exists, what it runs is the lab);
and the image's recipe is rehearsed: a fresh virtual environment with only the lab's folder and
its requirements.txt runs the lab.

Lab 5: compose.yaml has a profile per broker, each with the broker, the users service and the
notifier wired to it. docker-compose 1.x validates a profile but lists every service whatever the
profile, so which services a profile starts is worked out here from their `profiles`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import venv
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import requests

from common import harness
from common.containers import (
    compose_config,
    copy_sources,
    dockerfile,
    hadolint,
    instruction_values,
    published_ports,
)
from common.pytest_plugin import require_tool

LAB_DIR = Path(__file__).resolve().parents[1]
LAB = LAB_DIR.name
PROFILES = ("rabbitmq", "kafka")
NOTIFIER_COMMAND = ["python", "-m", f"{LAB}.notifier"]
# A pinned tag names a release down to its patch: rabbitmq:4.2.5-management, apache/kafka:4.1.1, mailpit:v1.28.2.
PINNED_TAG = re.compile(r"v?\d+\.\d+\.\d+([-.][\w.-]+)?")


@pytest.fixture(scope="module")
def compose() -> dict:
    return compose_config(LAB_DIR / "compose.yaml")


@pytest.fixture(scope="module")
def image() -> object:
    return dockerfile(LAB_DIR / "Dockerfile")


def in_profile(compose: dict, profile: str) -> dict[str, dict]:
    """The services `--profile PROFILE` starts: those in that profile and those in none."""
    return {
        name: service
        for name, service in compose["services"].items()
        if not service.get("profiles") or profile in service["profiles"]
    }


def lab_services(compose: dict, profile: str) -> tuple[dict, dict]:
    """(users, notifier): the profile's two services built from this lab, told apart by what they run."""
    built = [service for service in in_profile(compose, profile).values() if "build" in service]
    users = [s for s in built if s.get("environment", {}).get("SERVICES") == "users"]
    notifiers = [s for s in built if s.get("command") == NOTIFIER_COMMAND]
    assert len(users) == 1, f"profile {profile}: {len(users)} services run the users service alone (SERVICES=users)"
    assert len(notifiers) == 1, f"profile {profile}: {len(notifiers)} services run {' '.join(NOTIFIER_COMMAND)}"
    assert len(built) == 2, f"profile {profile}: {len(built)} services built from the lab, expected users and notifier"
    return users[0], notifiers[0]


def healthcheck_test(service: dict) -> str:
    test = service.get("healthcheck", {}).get("test", [])
    return " ".join(test) if isinstance(test, list) else str(test)


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_resolves_on_its_own(profile):
    tool = require_tool("docker-compose", "Debian/Ubuntu: sudo apt-get install docker-compose")
    check = subprocess.run(
        [tool, "-f", str(LAB_DIR / "compose.yaml"), "--profile", profile, "config", "-q"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, f"--profile {profile} is not valid:\n{check.stderr}"


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_starts_its_broker_and_both_services(compose, profile):
    services = in_profile(compose, profile)
    assert profile in services, f"profile {profile} does not start the {profile} service"
    for other in PROFILES:
        if other != profile:
            assert other not in services, f"profile {profile} starts {other} too"
    lab_services(compose, profile)  # exactly one users service and one notifier
    host_ports = [published for service in services.values() for _, published, _ in published_ports(service)]
    clashes = sorted({port for port in host_ports if host_ports.count(port) > 1})
    assert not clashes, f"profile {profile} publishes port(s) {clashes} twice"


def test_no_service_runs_without_a_profile(compose):
    """`up` without --profile starts nothing, instead of a lab without its broker."""
    unprofiled = [name for name, service in compose["services"].items() if not service.get("profiles")]
    assert not unprofiled, f"{unprofiled} would start in every profile, and without one"


def test_compose_builds_this_lab_and_publishes_its_ports(compose):
    for profile in PROFILES:
        users, notifier = lab_services(compose, profile)
        for service in (users, notifier):
            assert Path(service["build"]["context"]) == harness.ROOT
            assert service["build"]["dockerfile"] == f"{LAB}/Dockerfile"
            assert service["environment"]["HOST"] == "0.0.0.0"
            assert service["stop_signal"] == "SIGTERM" and service.get("restart"), "stop cleanly, restart on failure"
        assert ("127.0.0.1", 8000, 8000) in published_ports(users)
        assert users["environment"]["HTTP_PORT"] == "8000"
        assert "command" not in users, "the users service runs the image's CMD (python -m the lab)"


@pytest.mark.parametrize("profile", PROFILES)
def test_the_notifier_has_its_port_and_its_record_in_a_volume(compose, image, profile):
    _, notifier = lab_services(compose, profile)
    environment = notifier["environment"]
    port = int(environment["NOTIFIER_HTTP_PORT"])
    assert ("127.0.0.1", port, port) in published_ports(notifier)
    assert "NOTIFIER_HTTP_PORT" in healthcheck_test(notifier) and "/healthz" in healthcheck_test(notifier), (
        "the image's check asks HTTP_PORT, which the notifier does not serve: give it one that asks its own port"
    )
    folder = str(PurePosixPath(environment["NOTIFIER_DB"]).parent)
    mounts = [volume.split(":") for volume in notifier.get("volumes", [])]
    named = [source for source, target, *_ in mounts if target == folder and source in compose.get("volumes", {})]
    assert named, f"NOTIFIER_DB is in {folder}: mount a named volume there, or the record dies with the container"
    assert folder in image_volumes(image), f"{folder} must be a folder the image prepares for uid 10001 (VOLUME)"


@pytest.mark.parametrize("profile", PROFILES)
def test_both_services_use_their_profiles_broker_by_its_service_name(compose, profile):
    services = in_profile(compose, profile)
    broker = services[profile]
    for service in lab_services(compose, profile):
        environment = service["environment"]
        assert environment["BROKER"] == profile
        if profile == "rabbitmq":
            url = urlsplit(environment["RABBITMQ_URL"])
            assert url.scheme == "amqp" and url.hostname in services, f"{url.hostname}: no service of this name"
            assert (url.port or 5672) == 5672
            assert url.username == broker["environment"]["RABBITMQ_DEFAULT_USER"] != "guest", (
                "guest may only connect from inside RabbitMQ's own container: create a user of the lab's"
            )
            assert url.password == broker["environment"]["RABBITMQ_DEFAULT_PASS"]
        else:
            host, port = environment["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)
            assert host in services, f"KAFKA_BOOTSTRAP_SERVERS {host}: no service of this name"
            # The bootstrap server answers with the advertised address: the services must be able to reach it too.
            advertised = listeners(broker["environment"]["KAFKA_ADVERTISED_LISTENERS"])
            assert (host, port) in advertised.values(), f"Kafka advertises no listener at {host}:{port}"
            (name,) = [name for name, address in advertised.items() if address == (host, port)]
            assert listeners(broker["environment"]["KAFKA_LISTENERS"])[name][1] == port


def listeners(spec: str) -> dict[str, tuple[str, str]]:
    """'NAME://host:port,...' → {NAME: (host, port)}."""
    found = {}
    for listener in spec.split(","):
        name, address = listener.split("://")
        host, port = address.rsplit(":", 1)
        found[name] = (host, port)
    return found


def test_kafka_runs_one_node_in_kraft_mode(compose):
    environment = compose["services"]["kafka"]["environment"]
    assert set(environment["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", environment["CLUSTER_ID"]), "CLUSTER_ID: a base64 UUID, 22 characters"
    (controller,) = environment["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")
    voter = environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    node, address = voter.split("@")
    assert node == str(environment["KAFKA_NODE_ID"]) and "," not in voter, "one node, voting for itself"
    assert address.rsplit(":", 1)[1] == listeners(environment["KAFKA_LISTENERS"])[controller][1]
    assert environment["KAFKA_INTER_BROKER_LISTENER_NAME"] in listeners(environment["KAFKA_ADVERTISED_LISTENERS"])
    for name in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
        assert str(environment[name]) == "1", f"{name}: one node holds one replica"


def test_rabbitmq_shows_its_management_ui(compose):
    rabbitmq = compose["services"]["rabbitmq"]
    assert rabbitmq["image"].startswith("rabbitmq:") and rabbitmq["image"].endswith("-management")
    assert ("127.0.0.1", 15672, 15672) in published_ports(rabbitmq)
    assert ("127.0.0.1", 5672, 5672) in published_ports(rabbitmq)


@pytest.mark.parametrize("profile", PROFILES)
def test_services_wait_for_healthy_dependencies_in_their_profile(compose, profile):
    services = in_profile(compose, profile)
    for service in lab_services(compose, profile):
        assert profile in service.get("depends_on", {}), f"a lab service of profile {profile} must wait for {profile}"
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on {dependency}, which profile {profile} does not start"
            assert how.get("condition") == "service_healthy", f"{name} starts before {dependency} is ready"
            assert healthcheck_test(services[dependency]), f"{dependency} has no healthcheck: it never gets healthy"


def test_the_brokers_health_checks_ask_the_broker(compose):
    assert "rabbitmq-diagnostics" in healthcheck_test(compose["services"]["rabbitmq"])
    kafka_check = healthcheck_test(compose["services"]["kafka"])
    assert "kafka-broker-api-versions" in kafka_check
    _, notifier = lab_services(compose, "kafka")
    bootstrap = notifier["environment"]["KAFKA_BOOTSTRAP_SERVERS"]
    assert bootstrap in kafka_check.split(), "check the listener the services use"


def test_compose_publishes_ports_on_loopback_only(compose):
    for name, service in compose["services"].items():
        for host, published, _ in published_ports(service):
            assert host == "127.0.0.1", f"{name}: port {published} is published on every interface"


def test_every_image_is_pinned(compose):
    for name, service in compose["services"].items():
        if "build" in service:
            continue  # built here: its base image is checked in the Dockerfile
        reference = service["image"]
        last = reference.rsplit("/", 1)[-1]  # a registry's host:port is not a tag
        tag = last.split(":", 1)[1] if ":" in last else ""
        assert "@sha256:" in reference or PINNED_TAG.fullmatch(tag), (
            f"{name}: {reference} is not pinned to a release (latest, or no tag, changes under you)"
        )


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = hadolint(LAB_DIR / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_copies_only_what_exists(image):
    for source in copy_sources(image):
        assert (harness.ROOT / source).exists(), f"COPY {source}: no such path in the build context"


def test_dockerfile_runs_the_lab_as_pid_1_on_its_port(image):
    assert re.fullmatch(r"python:3\.11\.\d+-slim", image.baseimage), "pin the base image to a patch release"
    assert json.loads(instruction_values(image, "CMD")[-1]) == ["python", "-m", LAB]
    exposed = " ".join(instruction_values(image, "EXPOSE")).split()
    assert "8000" in exposed
    assert image.envs["NOTIFIER_HTTP_PORT"] in exposed, "python -m the lab starts the notifier on NOTIFIER_HTTP_PORT"
    (healthcheck,) = instruction_values(image, "HEALTHCHECK")
    assert "/healthz" in healthcheck and "HTTP_PORT" in healthcheck, "the check must follow HTTP_PORT"
    assert instruction_values(image, "USER"), "the service should not run as root"


def image_volumes(image) -> list[str]:
    volumes = []
    for value in instruction_values(image, "VOLUME"):
        volumes.extend(json.loads(value) if value.startswith("[") else value.split())
    return volumes


def test_dockerfile_gives_the_notifiers_record_a_writable_volume(image):
    """WORKDIR /app belongs to root: the record needs a folder of its own, owned by the service's user."""
    folder = str(PurePosixPath(image.envs["NOTIFIER_DB"]).parent)
    assert folder in image_volumes(image), f"NOTIFIER_DB is in {folder}: declare it a VOLUME"
    (user,) = instruction_values(image, "USER")
    steps = [(i["instruction"], i["value"]) for i in image.structure]
    owned = re.compile(rf"chown\s+(-\S+\s+)*{re.escape(user)}(:\S+)?\s+{re.escape(folder)}\b")
    chown = [n for n, (kind, value) in enumerate(steps) if kind == "RUN" and owned.search(value)]
    volume = [n for n, (kind, value) in enumerate(steps) if kind == "VOLUME" and folder in value]
    assert chown, f"{folder} must belong to the user the service runs as ({user}): chown {user} {folder}"
    assert chown[0] < volume[0], "a change to a folder after its VOLUME instruction is thrown away: chown it first"


def test_dockerfile_installs_the_labs_own_pins_and_no_build_tools(image):
    runs = " ".join(instruction_values(image, "RUN"))
    assert f"-r {LAB}/requirements.txt" in runs
    pins = (LAB_DIR / "requirements.txt").read_text()
    for tool in ("grpcio-tools", "pytest", "ruff", "gcc"):
        assert tool not in pins, f"{tool} is a build or test tool: it belongs in the course's requirements-dev.txt"


@pytest.mark.slow
def test_the_lab_runs_from_its_folder_and_requirements_alone(tmp_path):
    """What the image does, without Docker: a clean venv, the lab's pins, the lab's folder, python -m."""
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-r", LAB_DIR / "requirements.txt"],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    app_dir = tmp_path / "app"
    shutil.copytree(LAB_DIR, app_dir / LAB, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    lab = harness.start(LAB, {"PYTHONPATH": str(app_dir)}, python=str(python), cwd=app_dir)
    try:
        assert harness.http_ok(f"{lab.http_url}/healthz")
        assert requests.get(f"{lab.http_url}/users", timeout=10).status_code == 401  # lab 3: a token is needed
    finally:
        assert lab.stop() == 0
