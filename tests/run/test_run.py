"""`qrunner run` end to end: verdicts, exit codes, reports, selection, CI integration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from .conftest import AT, QUERIES, ROOT

PASSING = """\
version: 1
name: {name}
tags: [demo]
source: datadog.ci_tests
request:
  compute: [{{aggregation: count, type: total}}]
  filter: {{from: now-7d, to: now, query: "test_level:test"}}
checks:
  - name: some tests ran
    metric: c0
    {level}: "{condition}"
"""


def _spec(folder: Path, name: str, level: str = "fail", condition: str = "< 1") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(PASSING.format(name=name, level=level, condition=condition))
    return path


def _run(run_cli: Any, *args: str, expect: int | None = None, **kw: Any) -> Any:
    return run_cli("run", *args, "--at", AT, expect=expect, **kw)


def test_main_job_judges_every_example_and_writes_valid_reports(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _run(
        run_cli,
        str(QUERIES),
        "--data",
        str(sample_dir),
        "--report",
        f"json:{out}/qrunner.json",
        "--report",
        f"junit:{out}/junit.xml",
        "--report",
        "console",
    )
    assert result.exit_code == 1, str(result)  # the sample has a genuinely flaky suite
    report = json.loads((out / "qrunner.json").read_text())
    schema = json.loads((ROOT / "schemas" / "report-v1.schema.json").read_text())
    jsonschema.validate(report, schema)
    names = {s["name"] for s in report["specs"]}
    assert len(names) == len(list(QUERIES.glob("*.yaml")))
    assert all(s["error"] is None for s in report["specs"]), report
    assert report["at"].startswith("2024-05-01T12:00:00")
    import junitparser

    suites = list(junitparser.JUnitXml.fromfile(str(out / "junit.xml")))
    # every example is scheduled: its suite is named after the spec and the tick it measured
    assert {s.name for s in suites} == {f"{s['name']} @ {s['tick']}" for s in report["specs"]}
    assert "flaky-tests-main" in result.stdout


def test_selecting_nothing_is_a_usage_error(run_cli: Any, sample_dir: Path) -> None:
    result = _run(
        run_cli, str(QUERIES), "--data", str(sample_dir), "--select", "tag:nope", expect=2
    )
    assert "no specs selected matching tag:nope" in result.stderr


def test_select_by_tag_source_and_glob(run_cli: Any, sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    _run(
        run_cli,
        str(QUERIES),
        "--data",
        str(sample_dir),
        "--select",
        "tag:tekton",
        "--select",
        "payments-*",
        "--report",
        f"json:{out}",
    )
    names = sorted(s["name"] for s in json.loads(out.read_text())["specs"])
    assert names == ["payments-errors", "payments-latency-p99", "tekton-failed-runs"]


def test_passing_gate_exits_0_and_warn_can_fail(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    _spec(tmp_path, "ok")
    _run(run_cli, str(tmp_path), "--data", str(sample_dir), expect=0)
    warn_dir = tmp_path / "warn"
    warn_dir.mkdir()
    _spec(warn_dir, "warns", level="warn", condition="> 1")
    _run(run_cli, str(warn_dir), "--data", str(sample_dir), expect=0)
    _run(run_cli, str(warn_dir), "--data", str(sample_dir), "--fail-on", "warn", expect=1)


def test_a_broken_spec_never_hides_the_others(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    _spec(tmp_path, "good")
    (tmp_path / "broken.yaml").write_text("version: 1\nname: broken\nsource: nope\nrequest: {}\n")
    out = tmp_path / "r.json"
    result = _run(run_cli, str(tmp_path), "--data", str(sample_dir), "--report", f"json:{out}")
    assert result.exit_code == 2, str(result)
    specs = {s["name"]: s for s in json.loads(out.read_text())["specs"]}
    assert specs["good"]["status"] == "pass"
    broken = next(s for s in specs.values() if s["file"].endswith("broken.yaml"))
    assert broken["status"] == "error" and "nope" in broken["error"]
    assert "broken.yaml:3:" in result.stderr


def test_no_data_fails_closed(run_cli: Any, sample_dir: Path, tmp_path: Path) -> None:
    path = _spec(tmp_path, "empty")
    path.write_text(path.read_text().replace("test_level:test", "@test.service:does-not-exist"))
    path.write_text(
        path.read_text().replace(
            "type: total}]", "type: total}]\n  group_by: [{facet: '@test.service'}]"
        )
    )
    result = _run(run_cli, str(tmp_path), "--data", str(sample_dir), expect=1)
    assert "no data" in result.stdout


def test_github_actions_gets_annotations_and_a_step_summary(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    result = _run(
        run_cli,
        str(QUERIES / "payments-latency-p99.yaml"),
        "--data",
        str(sample_dir),
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 1
    line = next(
        i + 1
        for i, text in enumerate((QUERIES / "payments-latency-p99.yaml").read_text().splitlines())
        if text.strip().startswith("- name: p99 latency")
    )
    assert f"::error file=queries/payments-latency-p99.yaml,line={line}" in result.stdout or (
        f",line={line}," in result.stdout and "::error file=" in result.stdout
    ), result.stdout
    text = summary.read_text()
    assert text.startswith("# earlier step\n") and "payments-latency-p99" in text


def test_unknown_report_format_is_a_usage_error(run_cli: Any) -> None:
    result = _run(run_cli, str(QUERIES), "--report", "xml", expect=2)
    assert "unknown format 'xml'" in result.stderr


def test_query_prints_the_raw_api_response(run_cli: Any, sample_dir: Path) -> None:
    result = run_cli(
        "query",
        str(QUERIES / "payments-errors.yaml"),
        "--data",
        str(sample_dir),
        "--at",
        AT,
        expect=0,
    )
    body = json.loads(result.stdout)
    assert body["meta"]["status"] == "done"
    assert all(b["type"] == "bucket" for b in body["data"])


def test_publishing_without_an_application_id_fails_before_running(run_cli: Any) -> None:
    result = _run(run_cli, str(QUERIES), "--publish", "datadog", expect=2)
    assert "--application-id" in result.stderr


def test_reports_carry_the_checked_out_commit(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    import subprocess

    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not head:
        import pytest

        pytest.skip("not a git checkout")
    out = tmp_path / "r.json"
    _run(run_cli, str(QUERIES), "--data", str(sample_dir), "--report", f"json:{out}")
    assert {s["git_commit"] for s in json.loads(out.read_text())["specs"]} == {head}
    outside = tmp_path / "outside"
    outside.mkdir()
    _spec(outside, "lonely")
    _run(run_cli, str(outside), "--data", str(sample_dir), "--report", f"json:{out}")
    assert json.loads(out.read_text())["specs"][0]["git_commit"] is None
