"""Files an instructor records: results.json (after Exercism's test-runner format) and JUnit XML.

results.json follows the Exercism test-runner interface, version 3 (a top-level status and one
entry per test with name, status and message), with what grading adds: each requirement's
weight, core flag and title, and the core and extras scores.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .results import RunResult, Score

RESULTS_JSON = "results.json"
JUNIT_XML = "junit.xml"


def _score(score: Score) -> dict[str, float]:
    return {"earned": score.earned, "possible": score.possible, "percent": round(score.percent, 1)}


def results_document(run: RunResult) -> dict[str, Any]:
    return {
        "version": 3,
        "status": run.status,
        "message": run.error,
        "lab": run.lab.name,
        "addresses": {side: run.addresses.of(side) for side in run.lab.sides},
        "core_passed": run.core_passed,
        "scores": {"core": _score(run.core), "extras": _score(run.extras)},
        "duration": round(run.duration, 3),
        "tests": [
            {
                "name": r.id,
                "title": r.requirement.title,
                "status": r.status,
                "message": r.message,
                "weight": r.requirement.weight,
                "core": r.requirement.core,
                "depends_on": list(r.requirement.depends_on),
                "hidden": r.requirement.hidden,
                "duration": round(r.duration, 3),
            }
            for r in run.results
        ],
    }


def junit_document(run: RunResult) -> ET.ElementTree:
    """One testsuite for the lab, one testcase per requirement, named by its id."""
    suites = ET.Element("testsuites", name=f"grader {run.lab.name}")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=run.lab.name,
        tests=str(len(run.results)),
        failures=str(sum(r.status == "fail" for r in run.results)),
        errors=str(sum(r.status == "error" for r in run.results)),
        skipped=str(sum(r.status == "skipped" for r in run.results)),
        time=f"{run.duration:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("core", str(run.core)), ("extras", str(run.extras))):
        ET.SubElement(properties, "property", name=name, value=value)
    for r in run.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{run.lab.name}.{r.requirement.protocol}.{r.requirement.kind}",
            name=r.id,
            time=f"{r.duration:.3f}",
        )
        first_line = (r.message or "").splitlines()[0] if r.message else ""
        if r.status == "fail":
            ET.SubElement(case, "failure", message=first_line).text = r.message
        elif r.status == "error":
            ET.SubElement(case, "error", message=first_line).text = r.message
        elif r.status == "skipped":
            ET.SubElement(case, "skipped", message=first_line)
    ET.indent(suites)
    return ET.ElementTree(suites)


def write(run: RunResult, directory: Path) -> list[Path]:
    """Write results.json and junit.xml into `directory` (made if missing); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    results = directory / RESULTS_JSON
    results.write_text(json.dumps(results_document(run), indent=2, ensure_ascii=False) + "\n")
    junit = directory / JUNIT_XML
    junit_document(run).write(junit, encoding="utf-8", xml_declaration=True)
    return [results, junit]
