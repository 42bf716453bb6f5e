"""The grader's small parts: timestamps, addresses, Location paths, labs, dependency order, the report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common import harness
from common.grader import addresses as addr
from common.grader import outputs, report
from common.grader.evidence import CheckFailed
from common.grader.labs import LABS, UnknownLab, resolve
from common.grader.registry import RegistryError, Requirement, in_run_order, requirement
from common.grader.rest_client import RestClient
from common.grader.results import RunResult
from common.grader.runner import not_given, not_reached
from common.grader.timestamps import parse_rfc3339


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-31T12:00:00Z", datetime(2025, 1, 31, 12, tzinfo=UTC)),
        ("2025-01-31T12:00:00.5Z", datetime(2025, 1, 31, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2025-01-31T12:00:00.123456789Z", datetime(2025, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2025-01-31T14:00:00+02:00", datetime(2025, 1, 31, 12, tzinfo=UTC)),
        ("2025-01-31t12:00:00.000001z", datetime(2025, 1, 31, 12, 0, 0, 1, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_parse_to_instants(text, expected):
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize("text", ["2025-01-31T12:00:00", "2025-01-31", "yesterday", "2025-13-01T00:00:00Z", 17, None])
def test_what_is_not_rfc3339_is_none(text):
    assert parse_rfc3339(text) is None


def test_trimmed_fractions_compare_by_time_not_as_text():
    earlier, later = "2025-01-31T12:00:05Z", "2025-01-31T12:00:05.5Z"
    assert later < earlier  # as text, Go's trimmed zeros put the later time first
    assert parse_rfc3339(later) > parse_rfc3339(earlier)


@pytest.mark.parametrize(
    ("base", "location", "path"),
    [
        ("http://127.0.0.1:8000", "/users/7", "/users/7"),
        ("http://127.0.0.1:8000", "http://localhost:8000/users/7", "/users/7"),
        ("http://127.0.0.1:8000", "https://service.internal/users/ab-c", "/users/ab-c"),
        ("http://127.0.0.1:8000", "users/7", "/users/7"),
        ("http://127.0.0.1:8000/api", "/api/users/7", "/users/7"),
        ("http://127.0.0.1:8000/api", "/users/7", "/users/7"),
    ],
)
def test_a_location_is_followed_by_its_path_against_the_base_url(base, location, path):
    assert RestClient(base, 5).path_of(location) == path


@pytest.mark.parametrize("url", ["http://localhost:8000", "https://example.org/student/", "http://[::1]:8000"])
def test_good_urls_pass(url):
    assert addr.rest_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["localhost:8000", "127.0.0.1:8000", "ftp://x", "http://", "http://x:port", "http://x/?a=1"]
)
def test_bad_urls_are_usage_errors(url):
    with pytest.raises(addr.UsageError):
        addr.rest_url(url)


def test_a_bad_notifier_url_is_a_usage_error_that_names_its_option():
    assert addr.notifier_url("http://127.0.0.1:8001/") == "http://127.0.0.1:8001"
    with pytest.raises(addr.UsageError, match=r"--notifier-url '127\.0\.0\.1:8001' is not an http://"):
        addr.notifier_url("127.0.0.1:8001")


@pytest.mark.parametrize("target", ["localhost:50051", "127.0.0.1:1", "[::1]:50051"])
def test_good_grpc_targets_pass(target):
    assert addr.grpc_target(target) == target


@pytest.mark.parametrize("target", ["localhost", "http://localhost:50051", ":50051", "host:0", "host:99999", "host:x"])
def test_bad_grpc_targets_are_usage_errors(target):
    with pytest.raises(addr.UsageError):
        addr.grpc_target(target)


@pytest.mark.parametrize(
    ("url", "handed_out"),
    [
        ("postgresql://127.0.0.1:5432/grading", "postgresql://127.0.0.1:5432/grading"),
        ("postgresql://postgres@127.0.0.1:5432/postgres", "postgresql://postgres@127.0.0.1:5432/postgres"),
        ("postgres://app:s3cret@db/users", "postgresql://app:s3cret@db/users"),
    ],
)
def test_a_database_url_is_handed_out_as_postgresql_user_and_password_optional(url, handed_out):
    assert addr.database_url(url) == handed_out


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root:hunter22@127.0.0.1/x", "not a PostgreSQL URL"),
        ("postgresql:///x", "not a PostgreSQL URL"),
        ("postgresql://root:hunter22@127.0.0.1:port/x", "port that is not a number"),
        ("postgresql://root:hunter22@127.0.0.1:5432", "end with the database's name"),
        ("postgresql://root:hunter22@127.0.0.1/x/y", "end with the database's name"),
        ("postgresql://root:hunter22@127.0.0.1/x?sslmode=require", "end with the database's name"),
    ],
)
def test_a_bad_database_url_is_a_usage_error_that_never_repeats_its_password(url, says):
    with pytest.raises(addr.UsageError, match=says) as refused:
        addr.database_url(url)
    assert "hunter22" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "lab"),
    [
        ("lab1", "lab1_rest"),
        ("lab1_rest", "lab1_rest"),
        ("LAB2", "lab2_grpc"),
        ("lab2_grpc/", "lab2_grpc"),
        ("lab3", "lab3_jwt"),
        ("lab4", "lab4_websocket"),
        ("lab5", "lab5_broker"),
        ("lab5_broker", "lab5_broker"),
        ("lab6", "lab6_monitoring"),
        ("lab7", "lab7_config"),
        ("lab7_config", "lab7_config"),
    ],
)
def test_labs_are_named_by_folder_or_number(name, lab):
    assert resolve(name).name == lab


def test_each_lab_is_graded_at_its_protocols_and_labs_from_5_on_at_their_notifier_too():
    assert {lab.number: lab.sides for lab in LABS} == {
        "lab1": ("rest",),
        "lab2": ("rest", "grpc"),
        "lab3": ("rest", "grpc"),
        "lab4": ("rest", "grpc"),
        "lab5": ("rest", "grpc", "notifier"),
        "lab6": ("rest", "grpc", "notifier"),
        "lab7": ("rest", "grpc", "notifier"),
    }


def test_lab7_alone_also_needs_the_start_command_and_a_database_which_are_no_addresses():
    assert {lab.number: lab.needs for lab in LABS if lab.needs} == {"lab7": ("start", "database")}
    config = Requirement("CONFIG-X", "rest", True, 1, "t", "h", lambda ctx: None, feature="config")
    kept = Requirement("CONFIG-Y", "rest", True, 1, "t", "h", lambda ctx: None, feature="config", uses=("database",))
    assert config.sides == ("rest", "start") and kept.sides == ("rest", "start", "database")
    missing = not_given(resolve("lab7"), None)
    assert set(missing) == {"start"} and not_reached(config, missing) == not_reached(kept, missing) == missing["start"]
    assert not_given(resolve("lab6"), None) == {}


@pytest.mark.parametrize(
    ("lab", "found", "says"),
    [
        ("lab5", addr.Addresses("http://a:1", "a:2"), "also give --notifier-url http://127.0.0.1:8001"),
        ("lab5", addr.Addresses("http://a:1", notifier_url="http://a:3"), "also give --grpc-target"),
        ("lab4", addr.Addresses("http://a:1", "a:2", "http://a:3"), "lab4_websocket has no notifier side"),
    ],
)
def test_every_side_of_a_lab_needs_an_address_and_no_other_side_may_have_one(lab, found, says):
    with pytest.raises(addr.UsageError, match=says):
        addr.require(resolve(lab).sides, found, resolve(lab).name)


def test_a_requirement_of_the_notifier_is_not_graded_when_the_notifier_is_silent():
    notify = Requirement("NOTIFY-X", "rest", True, 1, "t", "h", lambda ctx: None, feature="notifications")
    plain = Requirement("REST-X", "rest", True, 1, "t", "h", lambda ctx: None)
    assert notify.sides == ("rest", "notifier") and plain.sides == ("rest",)
    silent = {"notifier": "nothing answers at http://a:3: connection refused"}
    assert not_reached(notify, silent) == silent["notifier"]
    assert not_reached(plain, silent) is None


def test_a_hidden_check_of_the_notifier_is_run_for_lab5_only(tmp_path):
    from common.grader.api import load_requirements

    (tmp_path / "notifier_checks.py").write_text(
        "from common.grader import requirement\n"
        "@requirement('HIDDEN-NOTIFIER', protocol='rest', core=False, weight=1, title='t', hint='h',"
        " feature='notifications')\n"
        "def notifier(ctx):\n"
        "    ctx.notifier.get('/notifications')\n"
    )
    for lab, graded in (("lab4", False), ("lab5", True)):
        ids = {req.id for req in load_requirements(resolve(lab), hidden=tmp_path)}
        assert ("HIDDEN-NOTIFIER" in ids) == graded, lab


def test_a_silent_notifier_is_found_by_its_probe():
    assert "connection refused" in addr.probe_notifier(f"http://127.0.0.1:{harness.free_port()}", 1.0)


def test_the_report_and_results_json_show_lab5s_notifier_address():
    run = RunResult(resolve("lab5"), addr.Addresses("http://a:1", "a:2", "http://a:3"))
    assert report.header(run) == "Grading lab5_broker at REST http://a:1, gRPC a:2, notifier http://a:3"
    assert outputs.results_document(run)["addresses"] == {"rest": "http://a:1", "grpc": "a:2", "notifier": "http://a:3"}


def test_an_unknown_lab_names_the_known_ones():
    with pytest.raises(UnknownLab, match="lab1 \\(lab1_rest\\)"):
        resolve("lab9")


def _req(id: str, *depends: str) -> Requirement:
    return Requirement(id, "rest", True, 1, id, "-", lambda ctx: None, tuple(depends))


def test_requirements_run_after_what_they_depend_on_and_otherwise_in_declaration_order():
    ordered = in_run_order([_req("C", "B"), _req("A"), _req("B", "A"), _req("D")])
    assert [req.id for req in ordered] == ["A", "B", "C", "D"]


def test_a_dependency_the_lab_lacks_or_a_cycle_is_an_error():
    with pytest.raises(RegistryError, match="X depends on NOPE"):
        in_run_order([_req("X", "NOPE")])
    with pytest.raises(RegistryError, match="depends on itself"):
        in_run_order([_req("X", "Y"), _req("Y", "X")])


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"id": "rest-lower", "protocol": "rest"}, "upper-case"),
        ({"id": "REST-X", "protocol": "soap"}, "protocol"),
        ({"id": "REST-CREATE", "protocol": "rest"}, "registered twice"),
    ],
)
def test_a_wrongly_declared_requirement_is_refused(kwargs, says):
    from common.grader.registry import builtin, collecting

    builtin(("rest",))
    with pytest.raises(RegistryError, match=says), collecting():
        requirement(**kwargs, core=True, weight=1, title="t", hint="h")(lambda ctx: None)


def test_check_failed_keeps_the_reason_and_the_exchange():
    failure = CheckFailed("wrong", None)
    assert str(failure) == "wrong" and failure.exchange is None
