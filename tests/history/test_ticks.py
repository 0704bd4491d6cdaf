"""History respects ticks: a catch-up, a re-run, and a re-run after later ticks judge exactly
as the first run did; a re-run replaces its tick's rows; `history show` prints ticks; the trend
chart leaves missing ticks as gaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.history.conftest import run_at

pytestmark = pytest.mark.slow  # about thirty runs

SPEC = """\
version: 1
name: build-duration-daily
source: datadog.ci_pipelines
schedule: {cron: "0 6 * * *", window: 1d}
request:
  compute: [{aggregation: avg, metric: "@duration", type: total}]
  filter:
    from: "{{ window.start | epoch_ms | string }}"
    to: "{{ window.end | epoch_ms | string }}"
    query: "ci_level:pipeline @ci.pipeline.name:build"
checks:
  - name: duration against recent ticks
    metric: c0
    unit: m
    fail: "change > 20%"
    baseline: {history: 4, reduce: median, min_points: 3}
    no_baseline: warn
"""
FIRST, LAST = 20, 28  # the regression starts on day 25


def _run(*args: str, report: Path, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    from qrunner.cli.main import cli

    result = CliRunner().invoke(cli, [*args, "--report", f"json:{report}"], env=env)
    assert result.exit_code in (0, 1), result.output
    return list(json.loads(report.read_text())["specs"])


def _verdicts(specs: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        s["tick"]: tuple((c["status"], c["observed"], c["baseline"]) for c in s["checks"])
        for s in specs
    }


@pytest.fixture(scope="module")
def setup(
    regression_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, dict[str, tuple[Any, ...]]]:
    folder = tmp_path_factory.mktemp("ticks")
    spec = folder / "build.yaml"
    spec.write_text(SPEC)
    history = folder / "first"
    first: dict[str, tuple[Any, ...]] = {}
    for day in range(FIRST, LAST + 1):
        specs = _run("run", str(spec), "--data", str(regression_data), "--tick", run_at(day),
                     "--history", str(history), report=folder / f"d{day}.json",
                     env={"QRUNNER_RUN_ID": f"first-{day}"})  # fmt: skip
        first |= _verdicts(specs)
    return spec, history, first


def test_the_first_run_fails_on_the_regression_tick(
    setup: tuple[Path, Path, dict[str, tuple[Any, ...]]],
) -> None:
    _, _, first = setup
    statuses = [first[run_at(day)][0][0] for day in range(FIRST, LAST + 1)]
    assert statuses[:3] == ["warn", "warn", "warn"]  # fewer than 3 earlier ticks: no baseline
    assert statuses[3:5] == ["pass", "pass"] and statuses[5] == "fail"  # day 25


def test_a_catch_up_judges_each_tick_as_the_first_run_did(
    setup: tuple[Path, Path, dict[str, tuple[Any, ...]]],
    regression_data: Path,
    tmp_path: Path,
) -> None:
    spec, _, first = setup
    common = ("--data", str(regression_data), "--history", str(tmp_path / "h"),
              "--state", str(tmp_path / "state.json"), "--due")  # fmt: skip
    _run("run", str(spec), *common, "--at", run_at(FIRST), report=tmp_path / "a.json")
    caught = _run("run", str(spec), *common, "--at", run_at(LAST), "--catch-up", "20",
                  report=tmp_path / "b.json")  # fmt: skip
    assert len(caught) == LAST - FIRST  # every owed tick, in one run
    assert _verdicts(caught) == {t: v for t, v in first.items() if t != run_at(FIRST)}


def test_re_runs_judge_as_the_first_run_and_replace_their_tick(
    setup: tuple[Path, Path, dict[str, tuple[Any, ...]]],
    regression_data: Path,
    tmp_path: Path,
    run_cli: Any,
) -> None:
    spec, history, first = setup
    for day in (25, 22, LAST):  # after later ticks, and the latest tick again
        specs = _run("run", str(spec), "--data", str(regression_data), "--tick", run_at(day),
                     "--history", str(history), report=tmp_path / f"r{day}.json",
                     env={"QRUNNER_RUN_ID": f"again-{day}"})  # fmt: skip
        assert _verdicts(specs) == {run_at(day): first[run_at(day)]}
    shown = run_cli("history", "show", "build-duration-daily", "--history", str(history),
                    expect=0).stdout.splitlines()  # fmt: skip
    assert shown[0].startswith("tick (UTC)")
    ticks = [line.split()[0] + " " + line.split()[1] for line in shown[1:]]
    assert len(ticks) == LAST - FIRST + 1 == len(set(ticks))  # one row per tick
    assert ticks[5] == run_at(25).replace("T", " ")[:16]
    # the re-run's row replaced the first: its run time is the newer one
    markdown = tmp_path / "again.md"
    from qrunner.cli.main import cli

    CliRunner().invoke(cli, ["run", str(spec), "--data", str(regression_data), "--tick",
                             run_at(24), "--history", str(history), "--report",
                             f"markdown:{markdown}"])  # fmt: skip
    # the sparkline: the 4 ticks before day 24 and day 24 itself, not the later ones
    line = next(x for x in markdown.read_text().splitlines() if "duration against" in x)
    sparkline = next(cell for cell in line.split("|") if any("▁" <= ch <= "█" for ch in cell))
    assert sum("▁" <= ch <= "█" for ch in sparkline) == 24 - FIRST + 1


def test_the_trend_chart_leaves_missing_ticks_as_gaps(tmp_path: Path) -> None:
    from datetime import date

    from qrunner.history.rows import rows_from_report
    from qrunner.history.store import append_rows
    from qrunner.history.trend import read_trends

    for day in (1, 2, 3, 6, 7):  # the ticks of days 4 and 5 never arrived
        tick = f"2026-05-0{day}T06:00:00Z"
        report = {
            "run_id": f"r{day}", "at": tick, "started_at": tick, "target": "local",
            "specs": [{"name": "s", "tick": tick, "checks": [
                {"name": "c", "status": "pass", "observed": float(day), "unit": "s"}]}],
        }  # fmt: skip
        append_rows(tmp_path, f"r{day}", rows_from_report(report))
    [series] = read_trends(tmp_path, days=30, today=date(2026, 5, 8))
    assert series.y == [1.0, 2.0, 3.0, None, 6.0, 7.0]
    assert series.status[3] == "missing"
