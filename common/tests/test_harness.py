"""The harness itself: free ports, readiness that fails fast, stop by PID, logs and the README parser."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from common import harness
from common.readme import console_examples, output_matches


def test_free_port_can_be_bound():
    port = harness.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_lab_that_exits_fails_fast_with_its_log():
    with pytest.raises(harness.LabFailedToStart, match="No module named"):
        harness.start("no_such_lab", ready_timeout=20)


def test_output_matching_treats_dots_as_any_text():
    assert output_matches('{"id":"...","name":"Ada"}', '{"id":"17","name":"Ada"}\n')
    assert output_matches("a\n...\nz", "a\nb\r\nc\nz")
    assert not output_matches('{"name":"Ada"}', '{"name":"Bob"}')


def test_console_examples_keep_continued_commands_and_their_output(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("text\n```console\n$ echo one \\\n    two\none two\n$ true\n```\n")
    examples = console_examples(readme)
    assert [(e.command, e.expected) for e in examples] == [("echo one \\\n    two", "one two"), ("true", "")]


def test_a_port_handed_out_lately_is_not_handed_out_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The OS may pick a port again before the lab it went to binds it; free_port asks for another."""
    monkeypatch.setattr(harness, "HANDED_OUT", tmp_path / "ports")
    picks = iter([41001, 41001, 41003, 41005])
    monkeypatch.setattr(harness, "_unbound_port", lambda: next(picks))
    (tmp_path / "ports").write_text("1.0 41005\n12")  # long ago, and a line its writer did not finish
    assert [harness.free_port(), harness.free_port(), harness.free_port()] == [41001, 41003, 41005]
