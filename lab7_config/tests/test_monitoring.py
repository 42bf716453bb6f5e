"""Lab 7's monitoring files (monitoring/), checked by what reads them: promtool, a real Prometheus, the JSON.

- promtool validates prometheus.yml and alerts.yml, and runs the alerts' unit tests (alerts_test.yml).
- The dashboard and Grafana's provisioning files are read for what Grafana needs of them.
- The live tests start the lab (users service and notifier, on RabbitMQ), put a little of every kind
  of traffic on it, and let a real Prometheus scrape both services with the lab's own configuration
  and rules: then every panel's query must return data, every rule must load and evaluate, and every
  metric the lab promises (METRICS below) must be there, each in the service that owns it.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import requests
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc
from websockets.sync.client import connect

from common import harness, prometheus
from common.pytest_plugin import require_tool

from ..settings import load
from ..users.v1 import users_pb2, users_pb2_grpc
from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LAB, publish_raw, register_and_login, require_rabbitmq

MONITORING = Path(__file__).resolve().parents[1] / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "microlabs.json"
PROVISIONING = MONITORING / "grafana" / "provisioning"
COMPOSE = MONITORING.parent / "compose.yaml"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
HINT = "Debian/Ubuntu: sudo apt-get install prometheus, which brings promtool"
RATE_INTERVAL = "30s"  # what $__rate_interval stands for in the live tests: many 1 s scrapes
WAIT = 60.0  # seconds for Prometheus to see what the lab did

# What the lab promises to expose (its contract), by the job that scrapes it. Histograms by their _bucket,
# _sum and _count series. DECLARED_ONLY have no series until their first event (an exception in a route),
# so their target's metadata (the # TYPE line Prometheus read) proves they are exposed.
BOTH = (
    "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
    "process_start_time_seconds", "process_virtual_memory_bytes", "python_info",
    "python_gc_objects_collected_total", "python_gc_objects_uncollectable_total", "python_gc_collections_total",
    "flask_http_request_duration_seconds_bucket", "flask_http_request_duration_seconds_sum",
    "flask_http_request_duration_seconds_count", "flask_http_request_total", "flask_exporter_info",
)  # fmt: skip
METRICS = {
    "users": (
        *BOTH,
        "grpc_server_started_total", "grpc_server_handled_total", "grpc_server_handling_seconds_bucket",
        "grpc_server_handling_seconds_sum", "grpc_server_handling_seconds_count",
        "microlabs_websocket_connections", "microlabs_websocket_messages_total",
        "microlabs_events_published_total", "microlabs_outbox_events",
    ),
    "notifier": (
        *BOTH,
        "microlabs_events_consumed_total", "microlabs_events_failed_total", "microlabs_events_retried_total",
        "microlabs_events_dead_lettered_total", "microlabs_notification_delay_seconds_bucket",
        "microlabs_notification_delay_seconds_sum", "microlabs_notification_delay_seconds_count",
        "microlabs_consumer_connected",
    ),
}  # fmt: skip
DECLARED_ONLY = ("flask_http_request_exceptions_total",)  # in both services


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def panels() -> list[dict[str, Any]]:
    """The dashboard's panels that show data (rows only group them)."""
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def rules() -> list[dict[str, Any]]:
    return [rule for group in read_yaml(MONITORING / "alerts.yml")["groups"] for rule in group["rules"]]


# --- promtool -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    return require_tool("promtool", HINT)


def run_promtool(promtool: str, *args: str | Path) -> None:
    """Run promtool in monitoring/ (where the files name each other); fail with its output unless it succeeds."""
    done = subprocess.run([promtool, *map(str, args)], cwd=MONITORING, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"promtool {' '.join(map(str, args))}:\n{done.stdout}{done.stderr}"


def test_prometheus_config_is_valid(promtool: str) -> None:
    """check config also checks every rule file the configuration names."""
    run_promtool(promtool, "check", "config", "prometheus.yml")


def test_alerting_rules_are_valid(promtool: str) -> None:
    run_promtool(promtool, "check", "rules", "alerts.yml")


def test_alerting_rules_pass_their_unit_tests(promtool: str) -> None:
    run_promtool(promtool, "test", "rules", "alerts_test.yml")


# --- the files themselves -------------------------------------------------------------------------------


def test_prometheus_scrapes_both_services_by_their_compose_names() -> None:
    config = read_yaml(MONITORING / "prometheus.yml")
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert targets == {"users": ["users:8000"], "notifier": ["notifier:8001"]}
    assert config["global"]["scrape_interval"] == "5s"
    assert config["rule_files"] == ["alerts.yml"]


def test_every_alert_has_a_for_a_severity_a_summary_and_a_description() -> None:
    alerts = [rule for rule in rules() if "alert" in rule]
    assert len(alerts) >= 8
    for alert in alerts:
        assert alert.get("for"), f"{alert['alert']} has no for:"
        assert alert["labels"]["severity"] in ("critical", "warning"), alert["alert"]
        assert alert["annotations"]["summary"] and alert["annotations"]["description"], alert["alert"]


def test_every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not() -> None:
    cases = [case for test in read_yaml(MONITORING / "alerts_test.yml")["tests"] for case in test["alert_rule_test"]]
    for name in (rule["alert"] for rule in rules() if "alert" in rule):
        mine = [case for case in cases if case["alertname"] == name]
        assert any(case["exp_alerts"] for case in mine), f"no test where {name} fires"
        assert any(not case["exp_alerts"] for case in mine), f"no test where {name} stays quiet"
        for alert in (alert for case in mine for alert in case["exp_alerts"]):
            assert {"summary", "description"} <= alert["exp_annotations"].keys(), name


def test_every_panel_asks_prometheus_by_uid_and_says_what_question_it_answers() -> None:
    board = dashboard()
    assert board["schemaVersion"] == 39 and board["uid"]
    assert len(panels()) >= 15
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "two panels share an id"
    for panel in panels():
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert "?" in panel.get("description", ""), f"{panel['title']}: no question in its description"
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip() and target.get("datasource", DATASOURCE) == DATASOURCE, panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
    for variable in board["templating"]["list"]:
        assert variable["datasource"] == DATASOURCE, variable["name"]


def test_every_rate_window_of_the_dashboard_is_rate_interval() -> None:
    """$__rate_interval is at least four scrapes long whatever the zoom: a fixed window is empty or blurred."""
    for panel in panels():
        for target in panel["targets"]:
            windows = set(re.findall(r"\[([^\]]*)\]", target["expr"]))
            assert windows <= {"$__rate_interval"}, f"{panel['title']}: {windows}"


ROUTES_LEFT_OUT = 'route!~"/metrics|/healthz"'  # Prometheus's scrapes and health checks: not traffic
HTTP_SELECTOR = re.compile(r"\b(flask_http_request_\w+)(\{[^}]*\})?")


def queries() -> list[tuple[str, str]]:
    """Every query of the dashboard and every rule's expression, each with where it comes from."""
    return [
        *((f"panel {panel['title']} [{target['refId']}]", target["expr"])
          for panel in panels() for target in panel["targets"]),
        *((f"rule {rule_name(rule)}", rule["expr"]) for rule in rules()),
    ]  # fmt: skip


def test_the_http_panels_and_rules_leave_out_the_same_routes() -> None:
    """Scrapes of /metrics and health checks of /healthz are steady, fast and successful: every HTTP query leaves
    them out alike, so that the dashboard shows the traffic the alerts judge. flask_http_request_total has no
    route label to leave them out by: no query reads it."""
    found = [(where, name, matchers) for where, expr in queries() for name, matchers in HTTP_SELECTOR.findall(expr)]
    assert {where.split()[0] for where, *_ in found} == {"panel", "rule"}, "no HTTP query in the panels or the rules"
    problems = [
        f"{where}: {name}{matchers}"
        for where, name, matchers in found
        if not name.startswith("flask_http_request_duration_seconds_") or ROUTES_LEFT_OUT not in matchers
    ]
    assert not problems, f"without {ROUTES_LEFT_OUT}:\n" + "\n".join(problems)


PER_SECOND_UNITS = {"_messages_": "mps", "_events_": "eps"}  # Grafana's messages/s and events/s; else requests/s


def expected_unit(expr: str) -> str:
    """The Grafana unit of what a query computes."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)  # a label value ("/metrics") is no division
    if "histogram_quantile" in text:
        return "s" if "_seconds_bucket" in text else "a histogram not in seconds"
    if "_bytes" in text:
        return "bytes"
    if "/" in text or "process_cpu_seconds_total" in text:
        return "percentunit"  # a share; or CPU seconds per second, where 1 is one core busy
    if "rate(" in text:
        return next((unit for word, unit in PER_SECOND_UNITS.items() if word in text), "reqps")
    return "short"  # a number of things now: connections, calls in progress, events waiting


def unit_of(panel: dict[str, Any], ref_id: str) -> str | None:
    """The unit Grafana shows a query's values in: the panel's, unless an override for that query sets one."""
    unit = panel["fieldConfig"]["defaults"].get("unit")
    for override in panel["fieldConfig"].get("overrides", []):
        if override["matcher"] == {"id": "byFrameRefID", "options": ref_id}:
            unit = next((prop["value"] for prop in override["properties"] if prop["id"] == "unit"), unit)
    return unit


def test_every_query_is_shown_in_the_unit_of_what_it_computes() -> None:
    wrong = [
        f"{panel['title']} [{target['refId']}]: {unit_of(panel, target['refId'])}, not {expected_unit(target['expr'])}"
        for panel in panels()
        for target in panel["targets"]
        if unit_of(panel, target["refId"]) != expected_unit(target["expr"])
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rows_cover_red_grpc_use_websocket_and_the_pipeline() -> None:
    rows = " | ".join(panel["title"] for panel in dashboard()["panels"] if panel["type"] == "row")
    for word in ("HTTP", "RED", "gRPC", "USE", "WebSocket", "pipeline"):
        assert word in rows, f"no row about {word}: {rows}"


def test_grafana_reads_prometheus_by_uid_and_the_dashboards_folder() -> None:
    [source] = read_yaml(PROVISIONING / "datasources" / "prometheus.yml")["datasources"]
    assert (source["uid"], source["type"], source["url"]) == ("prometheus", "prometheus", "http://prometheus:9090")
    scrape_interval = read_yaml(MONITORING / "prometheus.yml")["global"]["scrape_interval"]
    assert source["jsonData"]["timeInterval"] == scrape_interval, "$__rate_interval is computed from timeInterval"
    [provider] = read_yaml(PROVISIONING / "dashboards" / "microlabs.yml")["providers"]
    assert provider["type"] == "file"
    folder = provider["options"]["path"]
    assert folder.startswith("/") and DASHBOARD.parent.name == Path(folder).name == "dashboards"
    mounts = compose_mounts(folder)
    for service in compose_services_of("grafana"):
        assert mounts.get(service) == DASHBOARD.parent, f"compose's {service} must mount {DASHBOARD.parent} at {folder}"


def compose_mounts(target: str) -> dict[str, Path]:
    """What each compose service mounts at `target` (short volume syntax), resolved from compose.yaml's folder."""
    found: dict[str, Path] = {}
    for name, service in read_yaml(COMPOSE).get("services", {}).items():
        for volume in service.get("volumes", []):
            source, _, rest = str(volume).partition(":")
            if rest.split(":")[0] == target:
                found[name] = (COMPOSE.parent / source).resolve()
    return found


def compose_services_of(image: str) -> list[str]:
    """The compose services whose image's name contains `image`."""
    return [name for name, service in read_yaml(COMPOSE).get("services", {}).items()
            if image in str(service.get("image", ""))]  # fmt: skip


# --- live: a real Prometheus scraping the running lab ---------------------------------------------------


@pytest.fixture(scope="module")
def observed(lab_env: dict[str, str], promtool: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The lab on RabbitMQ, scraped every second by a Prometheus with the lab's rules, after some of each traffic."""
    binary = require_tool("prometheus", HINT)
    env = {**lab_env, "BROKER": "rabbitmq"}
    require_rabbitmq(load(env, service="notifier"))
    folder = tmp_path_factory.mktemp("prometheus")
    with harness.running(LAB, env) as lab:
        config = local_config(lab, folder)
        run_promtool(promtool, "check", "config", config)
        with prometheus.running(config, folder, binary) as server:
            wait_scraped(server, times=3)
            registered = put_load(lab)
            wait_load_seen(server, registered)
            wait_scraped_since(server, float(server.query("time()")[0]["value"][1]), times=2)
            yield server


def local_config(lab: harness.LabProcess, folder: Path) -> Path:
    """prometheus.yml with the lab's ports for compose's names, 1 s scrapes, and alerts.yml where it is."""
    config = read_yaml(MONITORING / "prometheus.yml")
    ports = {"users": lab.env["HTTP_PORT"], "notifier": lab.env["NOTIFIER_HTTP_PORT"]}
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(MONITORING / name) for name in config["rule_files"]]
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def wait_scraped(server: prometheus.Prometheus, times: int) -> None:
    """Both targets up, each scraped at least `times` times."""
    for job in ("users", "notifier"):
        expr = f'count_over_time(up{{job="{job}"}}[1m]) >= {times} and up{{job="{job}"}} == 1'
        server.wait_for(lambda expr=expr: server.query(expr) != [], f"{job} scraped {times} times")


def wait_scraped_since(server: prometheus.Prometheus, since: float, times: int) -> None:
    """Both targets scraped `times` more times since `since` (Prometheus's clock): a series the load made
    has samples enough for rate()."""
    expr = f"min(timestamp(up)) > {since + times}"
    server.wait_for(lambda: server.query(expr) != [], f"both targets scraped {times} more times")


def put_load(lab: harness.LabProcess) -> int:
    """A little of everything the dashboard shows; the number of users registered (each one an event)."""
    registered = rest_load(lab.http_url) + grpc_load(lab.grpc_target) + websocket_load(lab.http_url)
    requests.get(f"http://127.0.0.1:{lab.env['NOTIFIER_HTTP_PORT']}/notifications", timeout=10).raise_for_status()
    publish_raw(load(lab.env, service="notifier"), b"not json at all")  # poison: to the dead letters
    return registered


def rest_load(base: str) -> int:
    """Registrations, logins (one wrong), reads, an update, a delete, and 404s (one routed, one unmatched);
    the number of users registered."""
    admin = bearer(register_and_login(base, ADMIN_EMAIL, ADMIN_PASSWORD, "Admin"))
    ids = []
    for i in range(3):
        email = f"watched{i}-{secrets.token_hex(3)}@monitoring.example"
        reply = requests.post(f"{base}/users", json={"name": f"Watched {i}", "email": email}, timeout=10)
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["id"])
    wrong = requests.post(f"{base}/auth/login", json={"email": ADMIN_EMAIL, "password": "not it at all"}, timeout=10)
    assert wrong.status_code == 401, wrong.text
    calls = [
        ("GET", "/users", None, 200),
        ("GET", f"/users/{ids[0]}", None, 200),
        ("PUT", f"/users/{ids[0]}", {"name": "Renamed", "email": f"renamed-{secrets.token_hex(3)}@x.example"}, 200),
        ("DELETE", f"/users/{ids[1]}", None, 204),
        ("GET", "/users/no-such-user", None, 404),
        ("GET", "/no/such/path", None, 404),
    ]
    for method, path, body, status in calls:
        reply = requests.request(method, f"{base}{path}", json=body, headers=admin, timeout=10)
        assert reply.status_code == status, f"{method} {path}: {reply.status_code} {reply.text}"
    return 1 + len(ids)  # the admin too


def grpc_load(target: str) -> int:
    """A registration, a login, reads, a health check, and a call that fails (NOT_FOUND); one user registered."""
    with grpc.insecure_channel(target) as channel:
        users = users_pb2_grpc.UserServiceStub(channel)
        email = f"grpc-{secrets.token_hex(3)}@monitoring.example"
        user = users.CreateUser(users_pb2.CreateUserRequest(name="Over gRPC", email=email, password="pass-word-1"))
        login = users_pb2.LoginRequest(email=email, password="pass-word-1")
        auth = [("authorization", f"Bearer {users_pb2_grpc.AuthServiceStub(channel).Login(login).access_token}")]
        users.GetUser(users_pb2.GetUserRequest(id=user.id), metadata=auth, timeout=10)
        users.ListUsers(users_pb2.ListUsersRequest(page_size=10), metadata=auth, timeout=10)
        with pytest.raises(grpc.RpcError) as failed:
            users.GetUser(users_pb2.GetUserRequest(id="no-such-user"), metadata=auth, timeout=10)
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    return 1


def websocket_load(base: str) -> int:
    """Two members of a room (two users registered): a text and a binary message from one, received by the other."""
    url = f"{base.replace('http://', 'ws://')}/ws?room=watched-{secrets.token_hex(3)}"
    first, second = (bearer(register_and_login(base, f"chat-{secrets.token_hex(4)}@x.example", "chat pass", "Chat"))
                     for _ in range(2))  # fmt: skip
    with connect(url, additional_headers=first) as sender, connect(url, additional_headers=second) as other:
        sender.send("hello, monitored room")
        sender.send(b"\x00\x01 binary")
        kinds: set[type] = set()
        while len(kinds) < 2:  # the text (a JSON envelope; join notices skipped) and the binary frame arrived
            frame = other.recv(timeout=10)
            if isinstance(frame, bytes) or json.loads(frame).get("type") == "message":
                kinds.add(type(frame))
    return 2


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_load_seen(server: prometheus.Prometheus, registered: int) -> None:
    """Prometheus scraped the load's effects, the pipeline's included (it delivers asynchronously)."""
    seen = {
        "poison dead-lettered": 'microlabs_events_dead_lettered_total{reason="poison"} > 0',
        "registrations published": f"microlabs_events_published_total >= {registered}",
        "registrations notified": f'microlabs_events_consumed_total{{outcome="notified"}} >= {registered}',
        "WebSocket messages in": 'sum(microlabs_websocket_messages_total{direction="in"}) >= 2',
        "WebSocket messages out": 'sum(microlabs_websocket_messages_total{direction="out"}) >= 2',
        "a failed gRPC call": 'grpc_server_handled_total{grpc_code="NOT_FOUND"} > 0',
        "a 404": 'flask_http_request_duration_seconds_count{route="unmatched", status="404"} > 0',
    }
    for what, expr in seen.items():
        server.wait_for(lambda expr=expr: server.query(expr) != [], what, WAIT)


def substituted(expr: str) -> str:
    """A panel's query as Grafana sends it: $__rate_interval, and every variable at its All value."""
    for variable in dashboard()["templating"]["list"]:
        expr = re.sub(rf"\$(\{{{variable['name']}\}}|{variable['name']}\b)", variable.get("allValue") or ".+", expr)
    expr = expr.replace("$__rate_interval", RATE_INTERVAL)
    assert "$" not in expr, f"a variable the test does not know: {expr}"
    return expr


def problem(server: prometheus.Prometheus, expr: str) -> str | None:
    """Why `expr` shows nothing: Prometheus's error, or no data; None when it returns series."""
    try:
        return None if server.query(expr) else "no data"
    except prometheus.PrometheusError as exc:
        return str(exc)


@pytest.mark.slow
def test_every_metric_the_lab_promises_was_scraped_from_its_service(observed: prometheus.Prometheus) -> None:
    missing = [
        f'{name}{{job="{job}"}}'
        for job, names in METRICS.items()
        for name in names
        if not observed.query(f'{name}{{job="{job}"}}')
    ]
    for job in METRICS:
        for name in DECLARED_ONLY:
            forms = (name, name.removesuffix("_total"))  # the OpenMetrics format names a counter without _total
            target = f'{{job="{job}"}}'
            if not any(observed.api("targets/metadata", match_target=target, metric=form) for form in forms):
                missing.append(f"{name} (declared) in {job}")
    assert not missing, "not scraped: " + ", ".join(missing)


@pytest.mark.slow
def test_every_panel_query_returns_data(observed: prometheus.Prometheus) -> None:
    problems = [
        f"{panel['title']} [{target['refId']}]: {found}\n    {substituted(target['expr'])}"
        for panel in panels()
        for target in panel["targets"]
        if (found := problem(observed, substituted(target["expr"])))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_every_rule_is_loaded_healthy_and_selects_scraped_metrics(observed: prometheus.Prometheus) -> None:
    """An alert's expression is empty while all is well: it must evaluate, and each metric it reads must exist.
    A recording rule must return data."""
    loaded = wait_rules_evaluated(observed)
    assert {rule["name"] for rule in loaded} == {rule_name(rule) for rule in rules()}
    unhealthy = [rule for rule in loaded if rule["health"] != "ok"]
    assert not unhealthy, [f"{rule['name']}: {rule['health']}, {rule.get('lastError')}" for rule in unhealthy]
    problems = [f"{rule_name(rule)}: {found}" for rule in rules() for found in rule_problems(observed, rule)]
    assert not problems, "\n".join(problems)


def rule_name(rule: dict[str, Any]) -> str:
    return rule.get("alert") or rule["record"]


def rule_problems(server: prometheus.Prometheus, rule: dict[str, Any]) -> list[str]:
    """What is wrong with a rule's expression on what Prometheus scraped: an error, a metric it reads that
    has no series, or (a recording rule) no data."""
    try:
        result = server.query(rule["expr"])
    except prometheus.PrometheusError as exc:
        return [str(exc)]
    found = [f"{metric} has no series" for metric in sorted(selected(rule["expr"])) if not server.query(metric)]
    return found + (["no data"] if "record" in rule and not result else [])


def wait_rules_evaluated(server: prometheus.Prometheus) -> list[dict[str, Any]]:
    """Every loaded rule, once each has been evaluated (before that its health is "unknown")."""

    def loaded() -> list[dict[str, Any]]:
        return [rule for group in server.api("rules")["groups"] for rule in group["rules"]]

    server.wait_for(lambda: all(rule["health"] != "unknown" for rule in loaded()), "rules evaluated")
    return loaded()


PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                "and", "or", "unless", "inf", "nan"}  # fmt: skip


def selected(expr: str) -> set[str]:
    """The metric names an expression selects: what is left once strings, matchers, windows, grouping
    clauses, functions and keywords are taken out."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', " ", expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = re.findall(r"(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()", text)
    return {name for name in names if name.lower() not in PROMQL_WORDS}


def test_selected_finds_the_metric_names_of_an_expression() -> None:
    expr = 'sum by (job) (rate(a_total{x="b c"}[5m])) / on (job) group_left sum(b) > 0.5 or up == 0'
    assert selected(expr) == {"a_total", "b", "up"}
