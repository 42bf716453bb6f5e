"""Lab 7's deployments, checked offline: one image, its settings from outside it.

compose.yaml gives both services compose.env (env_file) and the secrets from the deployer's shell;
k8s/ gives them a ConfigMap and a Secret. Neither a Docker engine nor a cluster runs here:
docker-compose validates the compose file, and kubernetes-validate each manifest, strictly (a field
the schema does not know is an error), against the schemas of one Kubernetes release that the
package carries. The tests below check what no schema knows: that every variable those files set is
one the lab reads, with a value it accepts; that the ports agree; and that no secret is written in them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from common import harness
from common.containers import compose_config
from common.pytest_plugin import require_tool

from ..settings import ENV_FILE, Settings, SettingsError, load
from .test_container import PROFILES, healthcheck_test, in_profile, lab_services, mounts

LAB_DIR = Path(__file__).resolve().parents[1]
LAB = LAB_DIR.name
K8S = LAB_DIR / "k8s"
# The manifests, in the order kubectl would apply them; the Secret's template is validated too.
MANIFESTS = ("config.yaml", "users.yaml", "notifier.yaml", "secret.example.yaml")
SECRET_TEMPLATE = "secret.example.yaml"
# The release the manifests are validated against: the oldest of the three the Kubernetes project
# supports when kubernetes-validate 1.37.0 came out (1.35 to 1.37), so that they use nothing newer.
KUBERNETES_VERSION = "1.35.0"
COMPOSE_ENV = LAB_DIR / "compose.env"
# Every variable lab 7 reads: a field of Settings, in capitals, and the one that names a .env file.
KNOWN = {field.name.upper() for field in dataclasses.fields(Settings)} | {ENV_FILE}
# The variables that hold a secret (the URLs: their password): never in a ConfigMap or compose.env.
SECRET_VARIABLES = {"JWT_SECRET", "DATABASE_URL", "RABBITMQ_URL"}
PLACEHOLDER = "CHANGE_ME"
# What a generated key or password looks like: a long run of letters, digits and base64's symbols.
KEY_LIKE = re.compile(r"[A-Za-z0-9+/=_-]{20,}")
# A settings file the lab reads as empty: load() then ignores any .env where the tests run.
NO_ENV_FILE = {ENV_FILE: os.devnull}


def validate_command() -> list[str]:
    """The README's command: every manifest, strictly, against one Kubernetes release (run from the root)."""
    tool = require_tool("kubernetes-validate", "pip install -r requirements-test.txt")
    files = [f"{LAB}/k8s/{name}" for name in MANIFESTS]
    return [tool, "--strict", "--kubernetes-version", KUBERNETES_VERSION, *files]


def documents(name: str) -> list[dict]:
    return [document for document in yaml.safe_load_all((K8S / name).read_text()) if document]


@pytest.fixture(scope="module")
def resources() -> dict[tuple[str, str], dict]:
    """(kind, name) → the resource, from every manifest."""
    found = {}
    for name in MANIFESTS:
        for resource in documents(name):
            key = (resource["kind"], resource["metadata"]["name"])
            assert key not in found, f"{name}: {key} is defined twice"
            found[key] = resource
    return found


def one(resources: dict, kind: str) -> dict:
    (resource,) = [resource for (k, _), resource in resources.items() if k == kind]
    return resource


@pytest.fixture(scope="module")
def config(resources) -> dict[str, str]:
    return one(resources, "ConfigMap")["data"]


@pytest.fixture(scope="module")
def secret(resources) -> dict:
    return one(resources, "Secret")


@pytest.fixture(scope="module")
def deployments(resources) -> dict[str, dict]:
    """name → the Deployment's one container, with its pod spec under "pod"."""
    found = {}
    for (kind, name), deployment in resources.items():
        if kind == "Deployment":
            pod = deployment["spec"]["template"]["spec"]
            (container,) = pod["containers"]
            found[name] = {**container, "pod": pod}
    assert set(found) == {"users", "notifier"}
    return found


@pytest.fixture(scope="module")
def compose() -> dict:
    """compose.yaml as docker-compose resolves it (validated on the way): env_file merged into environment."""
    return compose_config(LAB_DIR / "compose.yaml")


@pytest.fixture(scope="module")
def raw_compose() -> dict:
    """compose.yaml as written: ${...} not yet replaced, env_file not yet read."""
    return yaml.safe_load((LAB_DIR / "compose.yaml").read_text())


def env_file(path: Path) -> dict[str, str]:
    """VARIABLE=value lines, in the plain form that compose's env_file and `docker run --env-file` agree on."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(\S*)", line)
        assert match, f"{path.name}:{number}: write VARIABLE=value, no spaces, no comment after it: {line!r}"
        name, value = match.groups()
        assert not value.startswith(("'", '"')), f"{path.name}:{number}: no quotes (docker run --env-file keeps them)"
        assert name not in values, f"{path.name}:{number}: {name} is set twice"
        values[name] = value
    return values


def secret_refs(container: dict) -> dict[str, tuple[str, str]]:
    """variable → (Secret, key) of each variable a container takes from a Secret."""
    return {
        entry["name"]: (entry["valueFrom"]["secretKeyRef"]["name"], entry["valueFrom"]["secretKeyRef"]["key"])
        for entry in container.get("env", [])
        if "secretKeyRef" in entry.get("valueFrom", {})
    }


def port_number(container: dict, port: int | str) -> int:
    """A probe's or a Service's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    return number


# --- the files are valid ---


def test_every_manifest_passes_kubernetes_validate_strictly():
    check = subprocess.run(validate_command(), cwd=harness.ROOT, capture_output=True, text=True, timeout=60)
    output = check.stdout + check.stderr
    assert check.returncode == 0, output
    # A kind it has no schema for is only a warning: here it fails, as nothing would have been checked.
    problems = [line for line in output.splitlines() if not line.startswith("INFO ")]
    assert not problems, output
    count = sum(len(documents(name)) for name in MANIFESTS)
    assert output.count(" passed for resource ") == count, output


def test_the_kustomization_applies_every_manifest_but_the_secret_template():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    assert set(kustomization) <= {"apiVersion", "kind", "resources", "images", "namespace", "labels"}
    assert kustomization["resources"] == [name for name in MANIFESTS if name != SECRET_TEMPLATE], (
        "list every manifest but the Secret's template: an apply would replace the real Secret with placeholders"
    )
    on_disk = {path.name for path in K8S.iterdir()} - {"kustomization.yaml"}
    assert on_disk == set(MANIFESTS), f"{sorted(on_disk - set(MANIFESTS))}: add it to MANIFESTS, so it is validated"


def test_the_compose_file_validates_with_its_settings_file(compose, raw_compose):
    """compose_config has run docker-compose config -q; and both lab services read compose.env."""
    for profile in PROFILES:
        for service in lab_services(compose, profile):
            assert service["image"] == f"microlabs/{LAB}"
    for name, service in raw_compose["services"].items():
        if "build" in service:
            assert service.get("env_file") == "compose.env", f"{name}: read the settings from compose.env"
    assert COMPOSE_ENV.is_file(), "docker-compose refuses to start without its env_file"


# --- every variable is one the lab reads, with a value it accepts ---


def test_every_variable_the_deployments_set_is_one_the_lab_reads(compose, config, secret, deployments):
    sets = {
        "compose.env": set(env_file(COMPOSE_ENV)),
        "k8s/config.yaml": set(config),
        f"k8s/{SECRET_TEMPLATE}": set(secret["stringData"]),
    }
    for name, container in deployments.items():
        sets[f"the {name} Deployment's env"] = {entry["name"] for entry in container.get("env", [])}
    for profile in PROFILES:
        for role, service in zip(("users", "notifier"), lab_services(compose, profile), strict=True):
            sets[f"compose.yaml's {role} service, profile {profile}"] = set(service["environment"])
    for where, names in sets.items():
        unknown = sorted(names - KNOWN)
        assert not unknown, f"{where} sets {unknown}: no variable of {LAB}/settings.py (a typo?)"


def literal_env(container: dict) -> dict[str, str]:
    return {entry["name"]: entry["value"] for entry in container.get("env", []) if "value" in entry}


def test_the_kubernetes_settings_are_accepted_by_each_service(config, secret, deployments):
    urls = {name: value for name, value in secret["stringData"].items() if name != "JWT_SECRET"}
    own = {name: literal_env(container) for name, container in deployments.items()}
    users = load({**config, **urls, **own["users"], "JWT_SECRET": secrets.token_hex(32), **NO_ENV_FILE})
    notifier = load({**config, **urls, **own["notifier"], **NO_ENV_FILE}, service="notifier")
    assert users.host == notifier.host == "0.0.0.0", "in a pod, listen on every interface: the probes come from outside"
    assert users.services == ("users",), "SERVICES=users: the notifier runs in a Deployment of its own"
    assert users.database_url.startswith("postgresql://"), "more than the pod's memory: DATABASE_URL in the Secret"
    assert notifier.notifier_db.startswith("/data/"), "the notifier's record belongs on its volume"
    mounted = [mount["mountPath"] for mount in deployments["notifier"]["volumeMounts"]]
    assert str(Path(notifier.notifier_db).parent) in mounted


@pytest.mark.parametrize("profile", PROFILES)
def test_the_compose_settings_are_accepted_by_each_service(compose, profile):
    users, notifier = lab_services(compose, profile)
    users_settings = load({**users["environment"], **NO_ENV_FILE})
    notifier_settings = load({**notifier["environment"], **NO_ENV_FILE}, service="notifier")
    assert users_settings.broker == notifier_settings.broker == profile
    assert users_settings.broker_prefix == notifier_settings.broker_prefix, "the two services must meet on one broker"


# --- the ports agree ---


def test_the_deployments_ports_and_probes_are_the_configmaps(config, deployments):
    wanted = {
        "users": {"HTTP_PORT": int(config["HTTP_PORT"]), "GRPC_PORT": int(config["GRPC_PORT"])},
        "notifier": {"NOTIFIER_HTTP_PORT": int(config["NOTIFIER_HTTP_PORT"])},
    }
    for name, container in deployments.items():
        declared = sorted(port["containerPort"] for port in container["ports"])
        assert declared == sorted(wanted[name].values()), f"{name}: ports {declared}, the ConfigMap's {wanted[name]}"
        http = next(iter(wanted[name].values()))  # HTTP_PORT, or NOTIFIER_HTTP_PORT
        for kind in ("readinessProbe", "livenessProbe"):
            probe = container[kind]["httpGet"]
            assert probe["path"] == "/healthz", f"{name}: {kind} asks {probe['path']}"
            assert port_number(container, probe["port"]) == http, f"{name}: {kind} asks another port than {http}"


def test_each_service_reaches_its_deployments_ports(resources, deployments):
    for (kind, name), service in resources.items():
        if kind != "Service":
            continue
        (deployment,) = [d for (k, _), d in resources.items() if k == "Deployment" and d["metadata"]["name"] == name]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert service["spec"]["selector"].items() <= pod_labels.items(), f"Service {name} selects no pod"
        container = deployments[name]
        for port in service["spec"]["ports"]:
            target = port_number(container, port["targetPort"])
            assert target in [p["containerPort"] for p in container["ports"]], f"Service {name}: {target}"
            assert port["port"] == target, f"Service {name}: the same port number outside as inside, as in compose"


# --- one image, the settings and the secrets from outside it ---


def test_the_deployments_run_the_compose_image_with_the_configmap(compose, resources, deployments):
    (image,) = {service["image"] for service in compose["services"].values() if "build" in service}
    config_name = one(resources, "ConfigMap")["metadata"]["name"]
    for name, container in deployments.items():
        assert container["image"] == image, f"{name}: run the image compose.yaml builds"
        assert {"configMapRef": {"name": config_name}} in container["envFrom"], f"{name}: envFrom the ConfigMap"
        assert container["pod"].get("enableServiceLinks") is False, (
            f"{name}: no variables from Kubernetes for every Service: the environment is the ConfigMap and the Secret"
        )
    assert "command" not in deployments["users"], "the users service runs the image's CMD (python -m the lab)"
    assert deployments["notifier"]["command"] == ["python", "-m", f"{LAB}.notifier"]


def test_each_deployment_takes_only_the_secrets_it_needs_from_the_secret(secret, deployments):
    for name, container in deployments.items():
        literal = set(literal_env(container))
        assert not literal & SECRET_VARIABLES, f"{name}: {sorted(literal)} written in the manifest: use the Secret"
        for variable, (secret_name, key) in secret_refs(container).items():
            assert secret_name == secret["metadata"]["name"], f"{name}: {variable} from Secret {secret_name}"
            assert key in secret["stringData"], f"{name}: {variable} from key {key}, which the Secret has not"
    assert set(secret_refs(deployments["users"])) == {"JWT_SECRET", "DATABASE_URL", "RABBITMQ_URL"}
    assert set(secret_refs(deployments["notifier"])) == {"RABBITMQ_URL"}, "the notifier signs no token, has no database"


def test_no_secret_is_written_in_the_settings_files(config):
    for where, values in {"k8s/config.yaml": config, "compose.env": env_file(COMPOSE_ENV)}.items():
        written = sorted(set(values) & SECRET_VARIABLES)
        assert not written, f"{where} holds {written}: secrets go into the Secret, or compose's ${{...}} from the shell"
        for variable, value in values.items():
            assert not urlsplit(value).password, f"{where}: {variable} holds a password"
            assert not KEY_LIKE.search(value), f"{where}: {variable}'s value looks like a key"


def test_the_secret_template_holds_placeholders_that_cannot_run(config, secret):
    assert "data" not in secret, "stringData only: base64 in data would hide what the template holds"
    for variable, value in secret["stringData"].items():
        if "://" in value:
            assert urlsplit(value).password == PLACEHOLDER, f"{variable}: its password must be {PLACEHOLDER}"
        else:
            assert value == PLACEHOLDER, f"{variable}: a template holds {PLACEHOLDER}, never a value"
        assert not KEY_LIKE.search(value.replace(PLACEHOLDER, "")), f"{variable} looks like a real secret"
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load({**config, **secret["stringData"], **NO_ENV_FILE})  # applied by mistake, it refuses to start


def test_compose_takes_the_secrets_from_the_deployers_shell(compose, raw_compose):
    """Required (${NAME:?...}): compose refuses to start without them, rather than run with a known value."""
    for name, service in raw_compose["services"].items():
        environment = service.get("environment") or {}
        if environment.get("SERVICES") == "users" or "JWT_SECRET" in environment:
            assert environment["JWT_SECRET"].startswith("${JWT_SECRET:?"), name
            assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"], name
        if str(service.get("image", "")).startswith("postgres:"):
            assert environment["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?"), name
    for profile in PROFILES:
        _, notifier = lab_services(compose, profile)
        assert not {"JWT_SECRET", "DATABASE_URL"} & set(notifier["environment"]), "the notifier needs neither"


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_gives_the_users_service_its_postgres_database(compose, profile):
    services = in_profile(compose, profile)
    users, _ = lab_services(compose, profile)
    url = urlsplit(users["environment"]["DATABASE_URL"])
    assert url.scheme == "postgresql" and url.hostname in services, f"{url.hostname}: no service of profile {profile}"
    postgres = services[url.hostname]
    environment = postgres["environment"]
    assert postgres["image"].startswith("postgres:") and (url.port or 5432) == 5432
    assert (url.username, url.password, url.path) == (
        environment["POSTGRES_USER"],
        environment["POSTGRES_PASSWORD"],
        f"/{environment['POSTGRES_DB']}",
    ), "DATABASE_URL must name the user, password and database the postgres service creates"
    assert users["depends_on"][url.hostname]["condition"] == "service_healthy"
    assert "pg_isready" in healthcheck_test(postgres)
    data = [source for source, target, _ in mounts(postgres) if target == "/var/lib/postgresql/data"]
    assert data and data[0] in compose["volumes"], "the users belong in a named volume, not in the container"


def test_a_dot_env_file_stays_out_of_the_image_and_the_repository():
    patterns = (harness.ROOT / ".dockerignore").read_text().split()
    assert "**/.env" in patterns, ".dockerignore: a .env at any depth would be copied into the image"
    git = shutil.which("git")
    if git and (harness.ROOT / ".git").exists():
        for path in (".env", f"{LAB}/.env"):
            check = subprocess.run([git, "check-ignore", "-q", path], cwd=harness.ROOT)
            assert check.returncode == 0, f"{path} is not ignored by git: it would be committed"
