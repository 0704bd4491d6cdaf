"""`qrunner test`: spec unit tests pass, catch a broken threshold, report JUnit, and locate
mistakes in test files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "queries"


def _copy_queries(tmp_path: Path) -> Path:
    target = tmp_path / "queries"
    shutil.copytree(QUERIES, target)
    return target


def test_the_example_tests_pass(run_cli: Any) -> None:
    out = run_cli("test", str(QUERIES), expect=0)
    assert "0 failed, 0 error(s)" in out.stdout
    assert "FAIL" not in out.stdout


def test_a_broken_threshold_is_caught(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_queries(tmp_path)
    monkeypatch.chdir(tmp_path)
    spec = Path("queries/flaky-tests-main.yaml")
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace('warn: "> 2"', 'warn: "> 20"'), encoding="utf-8")
    out = run_cli("test", "--report", "text", "--report", "junit:out/tests.xml")
    assert out.exit_code == 1, str(out)
    assert "expected: warn, observed 3" in out.stdout
    assert "actual:   pass, observed 3" in out.stdout
    assert "none of fail > 5, warn > 20 triggers → pass" in out.stdout  # the trace says why
    suites = {suite.name: suite for suite in JUnitXml.fromfile("out/tests.xml")}
    assert suites["queries/tests/flaky-tests-main.test.yaml"].failures == 1
    assert suites["queries/tests/tekton-failed-runs.test.yaml"].failures == 0


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SPEC = """\
version: 1
name: counted
source: datadog.ci_tests
request:
  compute: [{aggregation: count, type: total}]
  filter: {from: now-1d, to: now, query: "@test.status:fail"}
checks:
  - {name: few failures, metric: c0, fail: "> 1", no_data: pass}
"""


def test_mistakes_in_a_test_file_are_located(run_cli: Any, tmp_path: Path) -> None:
    _write(tmp_path / "counted.yaml", SPEC)
    _write(
        tmp_path / "counted.test.yaml",
        "spec: counted.yaml\ntests:\n  - name: x\n    at: 2024-05-01T00:00:00Z\n"
        "    evnts: {}\n    expect:\n      - {check: few failures, status: failed}\n",
    )
    out = run_cli("test", str(tmp_path), expect=2)
    assert "counted.test.yaml:5:5: unknown field 'evnts'; did you mean 'events'?" in out.stdout
    assert "counted.test.yaml:7:31: 'failed' is not one of" in out.stdout
    # the spec itself still validates: *.test.yaml files are not specs
    run_cli("validate", str(tmp_path), expect=0)


def test_inline_events_data_folders_and_unknown_checks(run_cli: Any, tmp_path: Path) -> None:
    _write(tmp_path / "counted.yaml", SPEC)
    data = tmp_path / "_data" / "ci_tests"
    data.mkdir(parents=True)
    event = '{"timestamp": "2024-04-30T12:00:00Z", "test": {"status": "fail"}}\n'
    _write(data / "events.jsonl", event * 3)
    _write(
        tmp_path / "counted.test.yaml",
        """\
spec: counted.yaml
tests:
  - name: inline
    at: 2024-05-01T00:00:00Z
    events:
      ci_tests:
        - {timestamp: "2024-04-30T12:00:00Z", test: {status: fail}}
    expect:
      - {check: few failures, status: pass, observed: 1}
  - name: folder
    at: 2024-05-01T00:00:00Z
    data: _data
    expect:
      - {check: few failures, status: fail, observed: 3}
  - name: nothing (an ungrouped count of nothing is 0, as the API answers)
    at: 2024-05-01T00:00:00Z
    expect:
      - {check: few failures, status: pass, observed: 0}
""",
    )
    out = run_cli("test", str(tmp_path), expect=0)
    assert out.stdout.count("PASS ") == 3


def test_a_misspelled_check_name_is_a_located_file_error_not_a_fail(
    run_cli: Any, tmp_path: Path
) -> None:
    _write(tmp_path / "counted.yaml", SPEC)
    _write(
        tmp_path / "counted.test.yaml",
        "spec: counted.yaml\ntests:\n  - name: x\n    at: 2024-05-01T00:00:00Z\n"
        "    expect:\n      - {check: few failures, status: pass}\n"
        "      - {check: few failure, status: pass}\n"
        "      - {check: something else, status: pass}\n",
    )
    out = run_cli("test", str(tmp_path), expect=2)
    assert (
        "counted.test.yaml:7:10: the spec has no check named 'few failure'; "
        "did you mean 'few failures'?" in out.stdout
    )
    assert "FAIL" not in out.stdout


def test_a_broken_spec_under_test_is_an_error(run_cli: Any, tmp_path: Path) -> None:
    _write(tmp_path / "counted.yaml", SPEC.replace("datadog.ci_tests", "datadog.ci_test"))
    _write(
        tmp_path / "counted.test.yaml",
        "spec: counted.yaml\ntests:\n  - name: x\n    at: 2024-05-01T00:00:00Z\n"
        "    expect: [{check: few failures, status: pass}]\n",
    )
    out = run_cli("test", str(tmp_path), expect=2)
    assert "ERROR" in out.stdout and "counted.yaml:3:" in out.stdout


def test_a_variable_the_spec_does_not_know_is_a_located_error(run_cli: Any, tmp_path: Path) -> None:
    _write(tmp_path / "counted.yaml", SPEC.replace("request:", "vars: {branch: main}\nrequest:"))
    _write(
        tmp_path / "counted.test.yaml",
        "spec: counted.yaml\ntests:\n  - name: x\n    at: 2024-05-01T00:00:00Z\n"
        "    vars:\n      brnch: dev\n    expect: [{check: few failures, status: pass}]\n",
    )
    out = run_cli("test", str(tmp_path), expect=2)
    assert (
        "counted.test.yaml:6:7: the spec neither declares nor uses a variable 'brnch'" in out.stdout
    )
    assert "did you mean 'branch'?" in out.stdout


def test_a_case_needs_a_time(run_cli: Any, tmp_path: Path) -> None:
    _write(tmp_path / "counted.yaml", SPEC)
    _write(
        tmp_path / "counted.test.yaml",
        "spec: counted.yaml\ntests:\n  - name: x\n"
        "    expect: [{check: few failures, status: pass}]\n",
    )
    out = run_cli("test", str(tmp_path), expect=2)
    assert "counted.test.yaml:3:5: a test needs at: (the run's time) or tick:" in out.stdout


def test_no_test_files_is_a_usage_error(run_cli: Any, tmp_path: Path) -> None:
    out = run_cli("test", str(tmp_path), expect=2)
    assert "no test files" in out.stderr
    spec = _write(tmp_path / "counted.yaml", SPEC)
    out = run_cli("test", str(spec), expect=2)
    assert "is not a spec test file (*.test.yaml)" in out.stderr


def test_a_fifo_named_as_a_test_file_is_refused_for_what_it_is(
    run_cli: Any, tmp_path: Path
) -> None:
    import os

    fifo = tmp_path / "hang.test.yaml"
    os.mkfifo(fifo)
    out = run_cli("test", str(fifo), expect=2)
    assert "not a regular file" in out.stdout + out.stderr
    assert "no such file" not in out.stdout + out.stderr
