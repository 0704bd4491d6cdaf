"""`explain` takes every option of `run` that changes a verdict and agrees with `run`: on each
example spec, and on a history baseline check (`--history`, `--tick`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.authoring.conftest import AT, QUERIES

EXAMPLES = sorted(p.name for p in QUERIES.glob("*.yaml"))


def _run_checks(run_cli: Any, spec: Path, out: Path, *args: str) -> list[tuple[Any, ...]]:
    result = run_cli("run", str(spec), *args, "--report", f"json:{out}")
    assert result.exit_code in (0, 1), str(result)
    [outcome] = json.loads(out.read_text())["specs"]
    return [(c["name"], c["status"], c["observed"], c.get("baseline")) for c in outcome["checks"]]


def _explain_checks(run_cli: Any, spec: Path, *args: str, **kw: Any) -> list[tuple[Any, ...]]:
    result = run_cli("explain", str(spec), *args, "--format", "json", expect=0, **kw)
    checks = json.loads(result.stdout)["checks"]
    return [(c["name"], c["status"], c["observed"], c.get("baseline")) for c in checks]


@pytest.mark.parametrize("name", EXAMPLES)
def test_explain_and_run_agree_on_the_examples(
    run_cli: Any, sample_dir: Path, tmp_path: Path, name: str
) -> None:
    options = ("--at", AT, "--data", str(sample_dir), "--var", "branch=main")
    if "branch" not in (QUERIES / name).read_text():
        options = options[:4]
    ran = _run_checks(run_cli, QUERIES / name, tmp_path / "run.json", *options)
    assert _explain_checks(run_cli, QUERIES / name, *options) == ran


def test_explain_judges_a_history_baseline_as_run_does(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    spec = QUERIES / "pipeline-duration-p90.yaml"
    history = tmp_path / "history"
    common = ("--data", str(sample_dir), "--history", str(history))
    for day in range(24, 31):  # six ticks before the one re-run: enough for min_points 5
        _run_checks(run_cli, spec, tmp_path / f"{day}.json", *common,
                    "--tick", f"2024-04-{day}T06:30:00Z")  # fmt: skip
    files = sorted(history.rglob("*.parquet"))
    tick = ("--tick", "2024-04-30T06:30:00Z")  # a re-run of a recorded tick
    # --history from the environment, as a CI job sets QRUNNER_HISTORY
    explained = _explain_checks(run_cli, spec, "--data", str(sample_dir), *tick,
                                env={"QRUNNER_HISTORY": str(history)})  # fmt: skip
    assert sorted(history.rglob("*.parquet")) == files  # explain records nothing
    ran = _run_checks(run_cli, spec, tmp_path / "again.json", *common, *tick)
    assert explained == ran
    baseline_check = next(c for c in ran if c[0] == "p90 against its recent runs")
    assert baseline_check[3] is not None  # judged against the history, not without it
    # without --history the baseline is missing: a different verdict path, shown as such
    alone = _explain_checks(run_cli, spec, "--data", str(sample_dir), *tick)
    assert next(c for c in alone if c[0] == "p90 against its recent runs")[3] is None
