"""JUnit reports through the CLI, as a user gating on them would: repeated names read as the
reporter meant them, nameless failures counted, backfills timed as asked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from .test_whole_data import counted, gate

DIALECTS = Path(__file__).parent / "junit_dialects"
EVER = "now-5000d"  # the fixture reports are years old


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRUNNER_CACHE_DIR", str(tmp_path / "cache"))


def dropped_in(tmp_path: Path, *reports: str) -> Path:
    """A data folder holding the named fixture reports as they are."""
    folder = tmp_path / "data" / "ci_tests" / "svc"
    folder.mkdir(parents=True)
    for name in reports:
        shutil.copyfile(DIALECTS / f"{name}.xml", folder / f"{name}.xml")
    return tmp_path / "data"


@pytest.mark.parametrize(
    ("report", "retries", "flaky"),
    [
        ("jest-shared-names", 0, 0),  # three jest tests named alike: not retries
        ("mocha-shared-names", 0, 0),
        ("surefire-parameterized-names", 1, 2),  # only its <flakyFailure> is an execution
        ("pytest-rerunfailures", 2, 2),  # a passing rerun: the failure it reran is lost
        ("go-junit-report-repeats", 2, 4),  # -count=2: fail-then-pass and pass-then-fail
        ("testng-retry", 1, 2),
    ],
)
def test_repeated_names_are_retries_only_where_the_dialect_says_so(
    report: str, retries: int, flaky: int, run_cli: Any, tmp_path: Path
) -> None:
    data = dropped_in(tmp_path, report)
    specs = tmp_path / "specs"
    found_retries, _ = counted(run_cli, gate(specs, "@test.is_retry:true", "retries", EVER), data)
    found_flaky, result = counted(run_cli, gate(specs, "@test.is_flaky:true", "flaky", EVER), data)
    assert (found_retries, found_flaky) == (retries, flaky)
    assert result.exit_code == (1 if flaky else 0), str(result)


def test_a_report_whose_only_failure_is_nameless_fails_the_gate(
    run_cli: Any, tmp_path: Path
) -> None:
    data = dropped_in(tmp_path, "nameless-only-failure")
    found, result = counted(
        run_cli, gate(tmp_path / "specs", "test_level:test @test.status:fail", start=EVER), data
    )
    assert found == 1 and result.exit_code == 1, str(result)
    assert 'nameless-only-failure.xml:4: testcase without a name: loaded as @test.name:"' in (
        result.stderr
    )
    named, _ = counted(
        run_cli,
        gate(tmp_path / "specs", '@test.name:"(unnamed testcase at line 4)"', "named", EVER),
        data,
    )
    assert named == 1


def ingest(run_cli: Any, tmp_path: Path, *options: str, expect: int = 0) -> Any:
    return run_cli(
        "ingest",
        "junit",
        str(DIALECTS / "pytest-rerunfailures.xml"),
        "--data",
        str(tmp_path / "data"),
        "--no-ci-env",
        *options,
        expect=expect,
    )


def stamps(tmp_path: Path) -> set[str]:
    files = (tmp_path / "data" / "ci_tests").glob("*.jsonl")
    return {
        json.loads(line)["timestamp"][:10] for f in files for line in f.read_text().splitlines()
    }


def test_time_is_not_silently_ignored_for_reports_with_their_own_timestamp(
    run_cli: Any, tmp_path: Path
) -> None:
    """pytest always writes a timestamp: `--time` alone leaves it, and says so."""
    result = ingest(run_cli, tmp_path, "--time", "2023-01-15T08:00:00Z")
    assert "qrunner: notice:" in result.stderr and "1 suite(s)" in result.stderr, str(result)
    assert stamps(tmp_path) == {"2024-05-03"}


def test_override_timestamps_backfills_old_reports_at_the_given_time(
    run_cli: Any, tmp_path: Path
) -> None:
    result = ingest(run_cli, tmp_path, "--time", "2023-01-15T08:00:00Z", "--override-timestamps")
    assert "notice" not in result.stderr, str(result)
    assert stamps(tmp_path) == {"2023-01-15"}


def test_override_timestamps_needs_a_time(run_cli: Any, tmp_path: Path) -> None:
    result = ingest(run_cli, tmp_path, "--override-timestamps", expect=2)
    assert "--override-timestamps needs --time" in result.stderr
    assert not (tmp_path / "data").exists()
