"""The walkthrough's diffs match the labs, and every lab is in the walkthrough and the README."""

from __future__ import annotations

import importlib.util

from common.harness import ROOT


def load_labdiff():
    spec = importlib.util.spec_from_file_location("labdiff", ROOT / "docs" / "labdiff.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_lab_diff_in_docs_is_current():
    labdiff = load_labdiff()
    for path, diff in labdiff.expected_diffs().items():
        assert path.exists(), f"{path.name} is missing: run .venv/bin/python docs/labdiff.py"
        assert path.read_text() == diff, f"{path.name} is stale: run .venv/bin/python docs/labdiff.py"


def test_every_lab_is_in_the_walkthrough_and_the_readme():
    walkthrough = (ROOT / "docs" / "README.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for lab in load_labdiff().labs():
        assert f"{lab.name}/" in walkthrough
        assert f"{lab.name}/README.md" in readme
