"""`qrunner validate` and `qrunner run` judge Tekton parameters as the server does
(../shared/API-FACTS.md): whitespace around whole group_by/order_by values is trimmed, the
spaces inside them and around summary items are not, and the first error named is the one the
server names (summary, then group_by, then order_by, then filter)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SPEC = """\
version: 1
name: tk
source: tekton.summary
request:
  summary: "{summary}"
  group_by: "{group_by}"
  order_by: "{order_by}"
  filter: "{filter}"
checks:
  - {{name: runs, metric: total, scope: sum, fail: "< 1"}}
"""
RUN = {
    "apiVersion": "tekton.dev/v1",
    "kind": "PipelineRun",
    "metadata": {"name": "r1", "namespace": "ci", "labels": {"tekton.dev/pipeline": "build"}},
    "status": {
        "startTime": "2024-05-01T10:00:00Z",
        "completionTime": "2024-05-01T10:05:00Z",
        "conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}],
    },
}
OK = {"summary": "total,failed", "group_by": "year", "order_by": "failed DESC"}
OK_FILTER = "data_type == PIPELINE_RUN"


def _spec(tmp_path: Path, **fields: str) -> Path:
    values = {**OK, "filter": OK_FILTER, **fields}
    path = tmp_path / "tk.yaml"
    path.write_text(SPEC.format(**{k: v.replace("\t", "\\t") for k, v in values.items()}))
    data = tmp_path / "data" / "tekton"
    data.mkdir(parents=True, exist_ok=True)
    record = {"name": "ci/results/r1/records/r1", "type": "tekton.dev/v1.PipelineRun", "data": RUN}
    (data / "records.jsonl").write_text(json.dumps(record) + "\n")
    return path


@pytest.mark.parametrize(
    "fields",
    [
        {"group_by": "  year "},
        {"group_by": "\tnamespace"},
        {"group_by": " month startTime  "},
        {"order_by": " failed DESC "},
        {"order_by": "  ASC failed"},  # the documented form, sent field first
    ],
)
def test_whitespace_around_whole_values_is_accepted_by_validate_and_run(
    run_cli: Any, tmp_path: Path, fields: dict[str, str]
) -> None:
    path = _spec(tmp_path, **fields)
    run_cli("validate", str(path), expect=0)
    out = tmp_path / "report.json"
    run_cli("run", str(path), "--data", str(tmp_path / "data"), "--report", f"json:{out}", expect=0)
    report = json.loads(out.read_text())
    assert report["specs"][0]["status"] == "pass"
    assert report["specs"][0]["checks"][0]["observed"] == 1


@pytest.mark.parametrize(
    ("fields", "pointer", "text"),
    [
        ({"summary": "total, failed"}, "request.summary", "no spaces allowed around the commas"),
        ({"summary": " total,failed"}, "request.summary", "no spaces allowed"),
        ({"group_by": "year  startTime"}, "request.group_by", "'year  startTime' is not one of"),
        ({"order_by": "failed  DESC"}, "request.order_by", "is not a valid order"),
        ({"order_by": "running DESC"}, "request", "field name running is not allowed"),
        ({"filter": "size(data) > 1"}, "request.filter", "unsupported CEL `size`"),
    ],
)
def test_what_the_server_refuses_is_refused_at_its_field(
    run_cli: Any, tmp_path: Path, fields: dict[str, str], pointer: str, text: str
) -> None:
    path = _spec(tmp_path, **fields)
    validated = run_cli("validate", str(path), expect=2).stdout
    assert text in validated and f"[{pointer}]" in validated, validated
    ran = run_cli("run", str(path), "--data", str(tmp_path / "data"), expect=2)
    assert text in ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("fields", "first"),
    [
        ({"summary": "totals", "group_by": "fortnight"}, "request.summary"),
        ({"summary": "total, failed", "group_by": "yeer", "order_by": "x"}, "request.summary"),
        ({"group_by": "yeer", "order_by": "nonsense"}, "request.group_by"),
        ({"order_by": "nonsense", "filter": "size(data) > 1"}, "request.order_by"),
    ],
)
def test_errors_come_in_the_servers_order(
    run_cli: Any, tmp_path: Path, fields: dict[str, str], first: str
) -> None:
    path = _spec(tmp_path, **fields)
    for args in (["validate"], ["run", "--data", str(tmp_path / "data")]):
        result = run_cli(*args, str(path), expect=2)
        text = result.stdout + result.stderr
        lines = [line for line in text.splitlines() if "[request" in line]
        assert lines and lines[0].endswith(f"[{first}]"), (args, lines)
