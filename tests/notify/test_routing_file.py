"""The routing file: the issue's example works as written; each broken file under
routing_cases/ is refused by ``qrunner validate --notify`` at the line its first comment names
(adding a case is adding a file); owners without a route of their own are warned about."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from qrunner.notify.routing_schema import render_routing_schema

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((Path(__file__).parent / "routing_cases").glob("*.yaml"))
EXAMPLE = ROOT / "notify.yaml"


def test_the_issues_example_validates_and_warns_of_owners_without_a_route(run_cli: Any) -> None:
    result = run_cli("validate", str(ROOT / "queries"), "--notify", str(EXAMPLE), expect=0)
    assert "owner 'team-payments' has no route of its own" in result.stderr
    assert "queries/payments-errors.yaml:5" in result.stderr
    assert "team-platform" not in result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_a_broken_routing_file_is_refused_where_it_is_wrong(run_cli: Any, case: Path) -> None:
    expected = re.fullmatch(r"# expect: (\d+): (.+)", case.read_text().splitlines()[0])
    assert expected, f"{case.name}: first line must be '# expect: LINE: message'"
    line, message = expected.groups()
    result = run_cli("validate", str(ROOT / "queries"), "--notify", str(case), expect=2)
    assert f"{case}:{line}:" in result.stderr and message in result.stderr, str(result)
    assert "hooks.slack.com/services" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_notify_refuses_a_broken_routing_file(run_cli: Any, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.stem == "no-default-route")
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"version": 1, "at": "2024-05-01T00:00:00Z", "specs": []}))
    result = run_cli("notify", str(report), "--notify", str(case), expect=2)
    assert "no default route" in result.stderr


def test_the_committed_schema_is_current_and_accepts_the_example() -> None:
    committed = (ROOT / "schemas" / "notify-v1.schema.json").read_text(encoding="utf-8")
    assert committed == render_routing_schema(), "run: python -m qrunner.notify.routing_schema"
    example = yaml.safe_load(EXAMPLE.read_text())
    for silence in example["silences"]:
        silence["until"] = silence["until"].isoformat()
    jsonschema.validate(example, json.loads(committed))


def test_routes_explains_where_an_incident_goes(run_cli: Any) -> None:
    args = ["notify", "routes", "--notify", str(EXAMPLE), "--owner", "team-platform"]
    result = run_cli(*args, "--spec", "flaky", "--status", "fail", expect=0)
    assert f"{EXAMPLE}:9:" in result.stdout and "gh (github-issues), chat (slack)" in result.stdout
    result = run_cli(*args, "--status", "warn", expect=0)
    assert "no route takes it" in result.stdout
    result = run_cli("notify", "routes", "--notify", str(EXAMPLE), "--owner", "team-ci", expect=0)
    assert "default route → gh" in result.stdout
