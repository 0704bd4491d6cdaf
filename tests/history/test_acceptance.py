"""Thirty simulated daily runs over data with a regression on day 25: the change and zscore
checks fail on day 25 and not before; history imported from the JSON reports equals the
history written live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.history.conftest import DAYS, REGRESSION_DAY, run_at

pytestmark = pytest.mark.slow  # thirty runs: about 15 s


@pytest.fixture(scope="module")
def thirty_days(
    regression_data: Path, regression_spec: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[dict[str, Any]], list[Path]]:
    from click.testing import CliRunner

    from qrunner.cli.main import cli

    folder = tmp_path_factory.mktemp("thirty")
    history = folder / "history"
    reports, paths = [], []
    for day in range(1, DAYS + 1):
        path = folder / f"day{day:02d}.json"
        args = ["run", str(regression_spec), "--data", str(regression_data), "--at", run_at(day),
                "--history", str(history), "--report", f"json:{path}",
                "--report", f"markdown:{folder / f'day{day:02d}.md'}"]  # fmt: skip
        result = CliRunner().invoke(cli, args, env={"QRUNNER_RUN_ID": f"day-{day:02d}"})
        assert result.exit_code in (0, 1), result.output
        reports.append(json.loads(path.read_text()))
        paths.append(path)
    return history, reports, paths


def _status(report: dict[str, Any], check: str) -> str:
    [spec] = report["specs"]
    return next(c["status"] for c in spec["checks"] if c["name"] == check)


def _check(report: dict[str, Any], check: str) -> dict[str, Any]:
    return next(c for c in report["specs"][0]["checks"] if c["name"] == check)


@pytest.mark.parametrize("check", ["duration against recent runs", "duration zscore"])
def test_history_baselines_fail_on_the_regression_day_and_not_before(
    thirty_days: tuple[Path, list[dict[str, Any]], list[Path]], check: str
) -> None:
    _, reports, _ = thirty_days
    statuses = [_status(r, check) for r in reports]
    first_failure = statuses.index("fail") + 1
    assert first_failure == REGRESSION_DAY, statuses
    assert set(statuses[: REGRESSION_DAY - 1]) == {"pass"}, statuses


def test_a_fresh_history_has_no_baseline_and_passes_by_default(
    thirty_days: tuple[Path, list[dict[str, Any]], list[Path]],
) -> None:
    _, reports, _ = thirty_days
    first = _check(reports[0], "duration against recent runs")
    assert first["status"] == "pass" and first["baseline"] is None
    assert "no baseline" in first["message"]


def test_the_regression_is_reported_with_baseline_and_change_per_group(
    thirty_days: tuple[Path, list[dict[str, Any]], list[Path]],
) -> None:
    _, reports, _ = thirty_days
    check = _check(reports[REGRESSION_DAY - 1], "duration against recent runs")
    assert check["offenders"][0]["by"] == {"@ci.pipeline.name": "build"}
    assert check["baseline"] == pytest.approx(10, rel=0.05)
    assert check["change"] == pytest.approx(50, abs=6)
    deploy = next(g for g in check["groups"] if g["by"]["@ci.pipeline.name"] == "deploy")
    assert deploy["status"] == "pass" and deploy["baseline"] == pytest.approx(4, rel=0.05)


def test_a_shift_baseline_compares_with_the_window_moved_back(
    thirty_days: tuple[Path, list[dict[str, Any]], list[Path]],
) -> None:
    _, reports, _ = thirty_days
    statuses = [_status(r, "duration against yesterday") for r in reports]
    assert statuses[REGRESSION_DAY - 1] == "warn"
    assert statuses.count("warn") == 1, statuses  # the day after compares regressed with regressed


def test_the_markdown_summary_gains_a_trend_column(
    thirty_days: tuple[Path, list[dict[str, Any]], list[Path]],
) -> None:
    _, _, paths = thirty_days
    summary = paths[REGRESSION_DAY - 1].with_suffix(".md").read_text()
    assert "| trend |" in summary
    row = next(line for line in summary.splitlines() if "duration against recent runs" in line)
    assert "█" in row and "+" in row and "baseline" in row


def _rows(history: Path) -> list[tuple[Any, ...]]:
    import duckdb

    pattern = str(history / "date=*" / "*.parquet")
    sql = f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true) ORDER BY ALL"
    return duckdb.sql(sql).fetchall()


def test_history_imported_from_the_json_reports_equals_the_history_written_live(
    thirty_days: tuple[Path, list[dict[str, Any]], list[Path]], run_cli: Any, tmp_path: Path
) -> None:
    live, _, paths = thirty_days
    imported = tmp_path / "imported"
    result = run_cli("history", "import", *map(str, paths), "--history", str(imported), expect=0)
    assert f"from {DAYS} report(s)" in result.stdout
    assert _rows(imported) == _rows(live)
    assert len(list(imported.glob("date=*/*.parquet"))) == DAYS
    again = run_cli("history", "import", *map(str, paths), "--history", str(live), expect=0)
    assert f"{DAYS} already recorded" in again.stdout  # nothing is recorded twice
    assert len(list(live.glob("date=*/*.parquet"))) == DAYS
