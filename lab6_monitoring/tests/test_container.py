"""compose.yaml and Dockerfile, checked without a Docker engine.

docker-compose validates the compose file offline and hadolint lints the Dockerfile; the
Dockerfile is read and checked against the lab (what it copies exists, what it runs is the lab);
and the image's recipe is rehearsed: a fresh virtual environment with only the lab's folder and
its requirements.txt runs the lab.

Lab 5: compose.yaml has a profile per broker, each with the broker, the users service and the
notifier wired to it. docker-compose 1.x validates a profile but lists every service whatever the
profile, so which services a profile starts is worked out here from their `profiles`.

Lab 6: each profile also brings the observability stack. Prometheus, Grafana, Elasticsearch, Kibana
and Filebeat cannot run here either, so their files are checked against each other instead: what
compose mounts exists, Prometheus scrapes names each profile resolves, Grafana reads its dashboards
where they are mounted, and Filebeat's configuration (there is no filebeat binary to ask) selects
the lab's containers by the label they carry, decodes their JSON lines and writes to Elasticsearch.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import venv
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import requests
import yaml

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
# Lab 6: what each profile runs beside its broker and the two services.
STACK = ("prometheus", "grafana", "elasticsearch", "kibana", "filebeat", "mailpit")
# Host paths outside the repository that a service may mount: Docker's own, for Filebeat alone.
DOCKER_HOST_PATHS = {"/var/lib/docker/containers": "filebeat", "/var/run/docker.sock": "filebeat"}
FILEBEAT_CONFIG = "/usr/share/filebeat/filebeat.yml"
PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml"


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


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_brings_the_observability_stack(compose, profile):
    services = in_profile(compose, profile)
    missing = [name for name in STACK if name not in services]
    assert not missing, f"profile {profile} does not start {missing}"


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


# --- lab 6: the observability stack, its files checked against each other ---


def mounts(service: dict) -> list[tuple[str, str, bool]]:
    """(source, target, read-only) of each volume of a service; a bind's source is absolute once resolved."""
    found = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found.append((volume.get("source", ""), volume["target"], bool(volume.get("read_only"))))
            continue
        source, target, *mode = volume.split(":")
        found.append((source, target, "ro" in ",".join(mode).split(",")))
    return found


def mounted_source(service: dict, target: str) -> Path:
    """The host path mounted at `target`, or at the folder holding it."""
    for source, mount_target, _ in mounts(service):
        if target == mount_target or target.startswith(mount_target.rstrip("/") + "/"):
            return Path(source) / PurePosixPath(target).relative_to(mount_target)
    raise AssertionError(f"nothing is mounted at {target}")


def names_in_profile(compose: dict, profile: str) -> dict[str, str]:
    """Every name a container of the profile answers to on the compose network → its service."""
    names = {}
    for name, service in in_profile(compose, profile).items():
        names[name] = name
        for network in (service.get("networks") or {}).values():
            for alias in (network or {}).get("aliases", []):
                names[alias] = name
    return names


def load_yaml(path: Path) -> object:
    assert path.is_file(), f"{path.relative_to(harness.ROOT)} does not exist"
    return yaml.safe_load(path.read_text())


def test_every_mounted_host_path_exists_and_configuration_is_read_only(compose):
    declared = compose.get("volumes") or {}
    for name, service in compose["services"].items():
        for source, target, read_only in mounts(service):
            if not source.startswith("/"):
                assert source in declared, f"{name}: volume {source} is not declared under volumes:"
                continue
            if Path(source).is_relative_to(harness.ROOT):
                assert Path(source).exists(), f"{name} mounts {Path(source).relative_to(harness.ROOT)}: no such path"
                assert read_only, f"{name}: mount {target} read-only (:ro): the container has no business changing it"
            else:
                assert DOCKER_HOST_PATHS.get(source) == name, f"{name} mounts {source} from the Docker host"
                assert read_only, f"{name}: mount {source} read-only"


@pytest.mark.parametrize("profile", PROFILES)
def test_prometheus_scrapes_both_services_by_names_the_profile_resolves(compose, profile):
    prometheus = compose["services"]["prometheus"]
    config = load_yaml(mounted_source(prometheus, PROMETHEUS_CONFIG))
    names = names_in_profile(compose, profile)
    users, notifier = lab_services(compose, profile)
    ports = {}  # service name → the port its /metrics is on
    for name, service in in_profile(compose, profile).items():
        if service is users or service is notifier:
            ports[name] = service["environment"]["HTTP_PORT" if service is users else "NOTIFIER_HTTP_PORT"]
    scraped = set()
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                assert host in names, f"job {job['job_name']}: {host} is no service or alias of profile {profile}"
                assert ports.get(names[host]) == port, f"job {job['job_name']}: {target} is not a lab service's port"
                scraped.add(names[host])
    assert scraped == set(ports), f"profile {profile}: Prometheus must scrape both the users service and the notifier"
    folder = PurePosixPath(PROMETHEUS_CONFIG).parent
    for rules in config.get("rule_files", []):
        assert mounted_source(prometheus, str(folder / rules)).is_file(), f"rule file {rules} is not mounted"


@pytest.mark.parametrize("profile", PROFILES)
def test_grafana_reads_its_dashboards_where_they_are_mounted_from_prometheus(compose, profile):
    grafana = compose["services"]["grafana"]
    names = names_in_profile(compose, profile)
    providers = mounted_source(grafana, "/etc/grafana/provisioning/dashboards")
    paths = [provider["options"]["path"] for f in providers.glob("*.y*ml") for provider in load_yaml(f)["providers"]]
    assert paths, "no dashboard provider is provisioned"
    for path in paths:
        assert list(mounted_source(grafana, path).glob("*.json")), f"no dashboard JSON is mounted at {path}"
    sources = mounted_source(grafana, "/etc/grafana/provisioning/datasources")
    urls = [source["url"] for f in sources.glob("*.y*ml") for source in load_yaml(f)["datasources"]]
    assert urls, "no data source is provisioned"
    for url in map(urlsplit, urls):
        assert names.get(url.hostname) == "prometheus" and url.port == 9090, f"{url.geturl()}: not Prometheus here"
    assert "prometheus" in grafana.get("depends_on", {})


# Filebeat's configuration, as far as it can be checked without Filebeat: its settings are dotted paths,
# so `output.elasticsearch: {hosts: ...}` and `output: {elasticsearch: {hosts: ...}}` are the same.
FILEBEAT_SECTIONS = {"filebeat", "output", "setup", "processors", "logging", "http", "path", "name", "tags", "fields"}
FILESTREAM_OPTIONS = {"type", "id", "enabled", "paths", "parsers", "processors", "prospector", "close", "ignore_older"}
PARSER_OPTIONS = {
    "container": {"stream", "format"},
    "ndjson": {
        *("target", "overwrite_keys", "expand_keys", "add_error_key"),
        *("message_key", "document_id", "ignore_decoding_error"),
    },
    "multiline": {"type", "pattern", "negate", "match", "max_lines", "timeout"},
}
CONTAINER_LOGS = "/var/lib/docker/containers"


def expand(value: object) -> object:
    """A Beats configuration with its dotted keys made into nested ones, as Filebeat reads it."""
    if isinstance(value, list):
        return [expand(item) for item in value]
    if not isinstance(value, dict):
        return value
    nested: dict = {}
    for key, item in value.items():
        *parents, last = str(key).split(".")
        here = nested
        for part in parents:
            here = here.setdefault(part, {})
            assert isinstance(here, dict), f"{key} clashes with a value set elsewhere"
        item = expand(item)
        if isinstance(here.get(last), dict) and isinstance(item, dict):
            here[last].update(item)
        else:
            assert last not in here, f"{key} is set twice"
            here[last] = item
    return nested


def flatten(value: dict, prefix: str = "") -> dict[str, object]:
    flat = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update(flatten(item, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = item
    return flat


@pytest.fixture(scope="module")
def filebeat(compose) -> dict:
    return expand(load_yaml(mounted_source(compose["services"]["filebeat"], FILEBEAT_CONFIG)))


def filebeat_label(filebeat: dict) -> tuple[str, str]:
    """(label, value): what the autodiscover template asks of a container."""
    (provider,) = filebeat["filebeat"]["autodiscover"]["providers"]
    (template,) = provider["templates"]
    (kind, fields), *others = template["condition"].items()
    assert kind == "equals" and not others, "select the lab's containers by one label: condition.equals"
    ((field, value),) = flatten(fields).items()
    prefix = "docker.container.labels."
    assert field.startswith(prefix), f"{field}: not a container label"
    label = field.removeprefix(prefix)
    # Filebeat nests a label's dotted name (a.b → a: {b: ...}): a name without dots is found the same either way.
    assert "." not in label, f"label {label}: use a name without dots"
    return label, str(value)


def test_filebeat_configuration_has_only_known_sections_and_options(filebeat):
    assert set(filebeat) <= FILEBEAT_SECTIONS, f"unknown settings: {set(filebeat) - FILEBEAT_SECTIONS}"
    (provider,) = filebeat["filebeat"]["autodiscover"]["providers"]
    assert provider["type"] == "docker", "autodiscover through Docker's socket"
    for template in provider["templates"]:
        ids = set()
        for stream in template["config"]:
            assert stream["type"] == "filestream", "the log and container inputs are deprecated: use filestream"
            assert set(stream) <= FILESTREAM_OPTIONS, f"unknown filestream options: {set(stream) - FILESTREAM_OPTIONS}"
            assert "${data.docker.container.id}" in stream["id"], "every filestream input needs an id of its own"
            assert stream["id"] not in ids
            ids.add(stream["id"])
            for parser in stream["parsers"]:
                ((kind, options),) = parser.items()
                assert kind in PARSER_OPTIONS, f"unknown parser {kind}"
                unknown = set(options or {}) - PARSER_OPTIONS[kind]
                assert not unknown, f"unknown {kind} options: {unknown}"
    variables = re.findall(r"\$\{([^}]*)\}", json.dumps(filebeat))
    assert all(name.startswith("data.") for name in variables), f"only autodiscover's data.* is known: {variables}"


def test_filebeat_decodes_each_line_of_the_labs_containers_as_json(compose, filebeat):
    (provider,) = filebeat["filebeat"]["autodiscover"]["providers"]
    (template,) = provider["templates"]
    (stream,) = template["config"]
    for path in stream["paths"]:
        folder = PurePosixPath(path).parent
        own = PurePosixPath(CONTAINER_LOGS, "${data.docker.container.id}")
        assert folder == own, f"{path}: read the container's own logs, in {own}"
        mounted_source(compose["services"]["filebeat"], str(folder.parent))  # mounted into Filebeat
    kinds = [next(iter(parser)) for parser in stream["parsers"]]
    assert kinds[:2] == ["container", "ndjson"], "unwrap Docker's envelope first, then decode the line"
    container, ndjson = (stream["parsers"][0]["container"] or {}), stream["parsers"][1]["ndjson"]
    assert container.get("format", "auto") in ("auto", "docker")
    assert ndjson["target"] == "", "the ECS fields belong at the event's root: target ''"
    assert ndjson["overwrite_keys"] is True, "the line's @timestamp and message must replace Filebeat's"
    assert ndjson.get("expand_keys") is True, "ECS lines mix dotted keys (log.level) and objects (log.logger)"


def test_filebeat_writes_to_the_elasticsearch_service_in_every_profile(compose, filebeat):
    outputs = filebeat["output"]
    assert list(outputs) == ["elasticsearch"], "Filebeat takes exactly one output"
    output = outputs["elasticsearch"]
    for profile in PROFILES:
        names = names_in_profile(compose, profile)
        for host in output["hosts"]:
            url = urlsplit(host if "://" in host else f"http://{host}")
            assert names.get(url.hostname) == "elasticsearch", f"{host}: not the elasticsearch service"
            assert (url.port or 9200) == 9200
    index = output.get("index")
    if index:
        template = filebeat["setup"]["template"]
        assert template["name"] and fnmatchcase(index, template["pattern"]), (
            "a custom index needs setup.template.name and a setup.template.pattern that matches it"
        )
        assert "%{+" not in index, "a data stream is one name: no date in it"


@pytest.mark.parametrize("profile", PROFILES)
def test_the_lab_services_carry_the_label_filebeat_selects(compose, filebeat, profile):
    label, value = filebeat_label(filebeat)
    lab = lab_services(compose, profile)
    for service in lab:
        assert str(service.get("labels", {}).get(label)) == value, f"label the lab's services {label}={value}"
        assert service.get("logging", {}).get("driver", "json-file") == "json-file", "Filebeat reads json-file's files"
        assert service["environment"].get("LOG_FORMAT", "ecs") == "ecs", "Filebeat decodes ECS JSON lines"
    others = [
        name
        for name, service in in_profile(compose, profile).items()
        if service not in lab and str(service.get("labels", {}).get(label)) == value
    ]
    assert not others, f"{others} would ship their logs too"


def test_filebeat_runs_with_what_it_reads(compose):
    filebeat = compose["services"]["filebeat"]
    targets = {target: read_only for _, target, read_only in mounts(filebeat)}
    assert targets.get(FILEBEAT_CONFIG) is True
    assert CONTAINER_LOGS in targets, "Filebeat reads the containers' logs"
    assert "/var/run/docker.sock" in targets, "Filebeat asks Docker's socket which containers run (autodiscover)"
    assert filebeat.get("user") in ("root", "0"), "Docker's log files and socket belong to root"
    command = filebeat.get("command", [])
    command = command.split() if isinstance(command, str) else command
    assert "--strict.perms=false" in command, "the mounted file is not root's: Filebeat refuses it otherwise"
    assert filebeat["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert compose["services"]["kibana"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"


def heap_bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)b?", str(size).lower()).groups()
    return int(number) * 1024 ** " kmg".index(unit or " ")


def test_elasticsearch_is_one_node_with_its_heap_inside_its_memory_limit(compose):
    elasticsearch = compose["services"]["elasticsearch"]
    environment = elasticsearch["environment"]
    assert environment["discovery.type"] == "single-node"
    assert str(environment["xpack.security.enabled"]).lower() == "false", "a local lab without logins"
    heap = dict(re.findall(r"-Xm([sx])(\S+)", environment["ES_JAVA_OPTS"]))
    assert heap.get("s") == heap.get("x") is not None, "ES_JAVA_OPTS: a fixed heap, -Xms equal to -Xmx"
    assert heap_bytes(elasticsearch["mem_limit"]) > heap_bytes(heap["x"]), "the heap must fit inside mem_limit"
    assert "_cluster/health" in healthcheck_test(elasticsearch)
    kibana_hosts = json.loads(compose["services"]["kibana"]["environment"]["ELASTICSEARCH_HOSTS"])
    assert [urlsplit(host).hostname for host in kibana_hosts] == ["elasticsearch"]
