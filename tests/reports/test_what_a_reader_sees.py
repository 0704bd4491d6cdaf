"""What a person reads, through the CLI (issue 19): a pass without a baseline says so in every
report, `unit:` decides how values read, values never read equal to a threshold they do not
meet, `query --pages`, merge refusing reports of different runs, notices before progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

AT = "2024-05-01T12:00:00Z"
MINUTE_NS = 60 * 10**9

SPEC = """\
version: 1
name: durations
source: datadog.ci_pipelines
request:
  compute: [{{aggregation: max, metric: "@duration", type: total}}]
  filter:
    {{from: "{{{{ ago('12h') | iso }}}}", to: "{{{{ now | iso }}}}", query: "ci_level:pipeline"}}
  group_by: [{{facet: "@ci.pipeline.name", limit: 10}}]
checks:
{checks}
"""


def _pipeline(name: str, duration_ns: int, when: str = "2024-05-01T06:00:00Z") -> str:
    event = {
        "timestamp": when,
        "ci_level": "pipeline",
        "duration": duration_ns,
        "ci": {"pipeline": {"name": name}, "status": "success"},
    }
    return json.dumps(event)


def _setup(tmp_path: Path, checks: str, events: list[str], extra: str = "") -> tuple[Path, Path]:
    data = tmp_path / "data" / "ci_pipelines"
    data.mkdir(parents=True)
    (data / "p.jsonl").write_text("\n".join(events) + "\n" + extra)
    spec = tmp_path / "durations.yaml"
    spec.write_text(SPEC.format(checks=checks))
    return spec, tmp_path / "data"


def _reports(run_cli: Any, tmp_path: Path, spec: Path, data: Path, *args: str) -> dict[str, str]:
    out = {f: tmp_path / f"report.{f}" for f in ("md", "xml", "json")}
    result = run_cli(
        "run", str(spec), "--data", str(data), "--at", AT, *args,
        "--report", "console", "--report", f"markdown:{out['md']}",
        "--report", f"junit:{out['xml']}", "--report", f"json:{out['json']}",
    )  # fmt: skip
    # explain takes no --history (yet): without a store a history baseline has no values
    explained = run_cli("explain", str(spec), "--data", str(data), "--at", AT, expect=0)
    return {
        "console": result.stdout,
        "stderr": result.stderr,
        "markdown": out["md"].read_text(),
        "junit": out["xml"].read_text(),
        "json": out["json"].read_text(),
        "explain": explained.stdout,
    }


def test_a_pass_without_a_baseline_says_so_everywhere(run_cli: Any, tmp_path: Path) -> None:
    checks = """\
  - name: against recent runs
    metric: c0
    unit: m
    warn: "change > 25%"
    baseline: {history: 10, min_points: 5}
  - name: against last week
    metric: c0
    unit: m
    warn: "change > 25%"
    baseline: {shift: 7d}
"""
    spec, data = _setup(tmp_path, checks, [_pipeline("build", 10 * MINUTE_NS)])
    history = ["--history", str(tmp_path / "history")]
    shown = _reports(run_cli, tmp_path, spec, data, *history)
    for where in ("console", "markdown", "junit", "explain"):
        assert "no baseline: 0 of 5 values" in shown[where], (where, shown[where])
        assert "no baseline: 0 of 1 value" in shown[where], (where, shown[where])
    assert json.loads(shown["json"])["specs"][0]["checks"][0]["status"] == "pass"


def test_a_pass_with_a_baseline_shows_the_change(run_cli: Any, tmp_path: Path) -> None:
    checks = """\
  - name: against last week
    metric: c0
    unit: m
    warn: "change > 100%"
    baseline: {shift: 7d}
"""
    events = [
        _pipeline("build", 12 * MINUTE_NS),
        _pipeline("build", 10 * MINUTE_NS, "2024-04-24T06:00:00Z"),
    ]
    spec, data = _setup(tmp_path, checks, events)
    shown = _reports(run_cli, tmp_path, spec, data)
    assert "(baseline 10m, change +20.0%)" in shown["console"]
    assert "no baseline" not in shown["console"]


def test_unit_decides_how_values_thresholds_and_offenders_read(
    run_cli: Any, tmp_path: Path
) -> None:
    checks = """\
  - name: slowest pipeline
    metric: c0
    unit: m
    fail: "> 2700s"
    warn: "> 0.5h"
"""
    events = [_pipeline("nightly", int(65.625 * MINUTE_NS)), _pipeline("api", 20 * MINUTE_NS)]
    spec, data = _setup(tmp_path, checks, events)
    shown = _reports(run_cli, tmp_path, spec, data)
    for where in ("console", "markdown", "junit", "explain"):
        assert "65.6m" in shown[where], (where, shown[where])
        assert "1.1h" not in shown[where], (where, shown[where])
    assert "fail > 45m, warn > 30m" in shown["console"]  # thresholds in the same unit
    assert "@ci.pipeline.name=nightly  65.6m" in shown["console"]  # the offender too


@pytest.mark.parametrize(
    ("unit", "seconds", "threshold", "unwanted", "wanted"),
    [
        ("", 2.451, "> 2.5s", " 2.5s  ", "2.45s"),  # humanly shown durations
        ("unit: s", 2.4999, "> 2.5", " 2.5s  ", "2.4999s"),
        ("unit: ms", 0.0999996, "> 100ms", " 100ms  ", "99.9996ms"),
    ],
)
def test_a_value_never_reads_equal_to_a_threshold_it_does_not_meet(
    run_cli: Any,
    tmp_path: Path,
    unit: str,
    seconds: float,
    threshold: str,
    unwanted: str,
    wanted: str,
) -> None:
    checks = f"""\
  - name: latency
    metric: c0
    scope: max
    {unit or "no_data: fail"}
    fail: "{threshold}"
"""
    spec, data = _setup(tmp_path, checks, [_pipeline("api", round(seconds * 10**9))])
    console = _reports(run_cli, tmp_path, spec, data)["console"]
    line = next(line for line in console.splitlines() if "latency" in line)
    assert "PASS" in line and wanted in line and unwanted not in line, line


def test_query_says_it_merges_pages_and_prints_them_as_answered(
    run_cli: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data" / "ci_tests"
    data.mkdir(parents=True)
    events = [
        {"timestamp": "2024-05-01T06:00:00Z", "test_level": "test", "test": {"service": s}}
        for s in ("a", "b", "b", "c", "c", "c")
    ]
    (data / "t.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    spec = tmp_path / "paged.yaml"
    spec.write_text(
        "version: 1\nname: paged\nsource: datadog.ci_tests\nrequest:\n"
        "  compute: [{aggregation: count, type: total}]\n"
        '  filter: {from: "2024-05-01T00:00:00Z", to: "2024-05-01T12:00:00Z", query: "*"}\n'
        '  group_by: [{facet: "@test.service", limit: 1}]\n'
    )
    assert "every page merged" in run_cli("query", "--help", expect=0).stdout
    args = ("query", str(spec), "--data", str(tmp_path / "data"), "--at", AT)
    merged = json.loads(run_cli(*args, expect=0).stdout)
    assert len(merged["data"]["buckets"]) == 3
    pages = [json.loads(line) for line in run_cli(*args, "--pages", expect=0).stdout.splitlines()]
    assert len(pages) == 3
    assert [len(p["data"]["buckets"]) for p in pages] == [1, 1, 1]
    assert pages[0]["meta"]["page"]["after"] and "page" not in pages[-1].get("meta", {})


@pytest.mark.parametrize(("key", "other"), [("target", "datadog"), ("qrunner_version", "9.9.9")])
def test_merge_refuses_reports_of_different_runs(
    run_cli: Any, tmp_path: Path, key: str, other: str
) -> None:
    spec, data = _setup(tmp_path, '  - {name: ran, metric: c0, fail: "< 0s"}\n', [])
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    run_cli("run", str(spec), "--data", str(data), "--at", AT, "--report", f"json:{first}")
    report = json.loads(first.read_text())
    report[key] = other
    second.write_text(json.dumps(report))
    result = run_cli("merge", str(first), str(second), expect=2)
    said = result.stdout + result.stderr
    assert str(first) in said and str(second) in said and repr(other) in said, said


def test_notices_print_before_progress(run_cli: Any, tmp_path: Path) -> None:
    spec, data = _setup(
        tmp_path, '  - {name: ran, metric: c0, fail: "< 0s"}\n', [_pipeline("a", 1)], "{broken\n"
    )
    stderr = run_cli("run", str(spec), "--data", str(data), "--at", AT).stderr
    lines = stderr.splitlines()
    notice = next(i for i, line in enumerate(lines) if "p.jsonl" in line)
    progress = next(i for i, line in enumerate(lines) if "[1/1]" in line)
    assert notice < progress, stderr
