"""`qrunner init --local` as a team without Datadog would use it: the scaffolded workflows'
own scripts run, as written, in a scratch repository — the test workflow's ingest step turns a
JUnit report into the data folder, the gates step runs what is due on it with state and
history — and a second wake-up finds nothing due."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from qrunner.authoring.scaffold import scaffold_files


def _step(workflow: Path, job: str, name_starts: str) -> str:
    steps = yaml.safe_load(workflow.read_text())["jobs"][job]["steps"]
    (script,) = [s["run"] for s in steps if s.get("name", "").startswith(name_starts)]
    return script  # type: ignore[no-any-return]


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def _junit(at: datetime) -> str:
    # pytest's layout; test_checkout failed, then passed on a re-run: flaky on this commit
    stamp = at.isoformat()
    return f"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="3"
  time="1.0" timestamp="{stamp}" hostname="runner">
<testcase classname="tests.test_cart" name="test_checkout" time="0.1">
  <failure message="boom"/></testcase>
<testcase classname="tests.test_cart" name="test_checkout" time="0.1"/>
<testcase classname="tests.test_cart" name="test_total" time="0.1"/>
</testsuite></testsuites>
"""


def test_the_local_recipe_keeps_only_specs_its_data_can_answer() -> None:
    files = {str(p): c for p, c in scaffold_files("local")}
    specs = [p for p in files if p.startswith("queries/") and p.count("/") == 1]
    assert specs and all(yaml.safe_load(files[p])["source"] == "datadog.ci_tests" for p in specs)
    assert ".github/workflows/qrunner-tests.yml" in files
    assert "--target remote" not in files[".github/workflows/qrunner-gates.yml"].decode()


@pytest.mark.slow
def test_the_local_recipe_ingests_junit_and_gates_on_it(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    run_cli("init", str(repo), "--local", expect=0)
    assert "1 spec(s) valid" in run_cli("validate", str(repo / "queries"), expect=0).stdout
    assert "0 failed, 0 error(s)" in run_cli("test", str(repo / "queries"), expect=0).stdout
    workflows = repo / ".github" / "workflows"
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    (repo / "test-reports").mkdir()
    (repo / "test-reports" / "junit.xml").write_text(_junit(today - timedelta(hours=12)))
    scripts = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QRUNNER_", "DD_", "GITHUB"))}
    env |= {
        "PATH": f"{scripts}{os.pathsep}{env.get('PATH', '')}",
        "QRUNNER_CACHE_DIR": str(tmp_path / "cache"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": "0123456789abcdef",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REPOSITORY": "acme/cart",
        "GITHUB_RUN_ID": "42",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "SERVICE": "cart",
    }
    ingest = _bash(_step(workflows / "qrunner-tests.yml", "ingest", "qrunner ingest"), repo, env)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert list((repo / ".qrunner-data" / "ci_tests").glob("ingest-*.jsonl"))

    gates = _step(workflows / "qrunner-gates.yml", "gates", "qrunner run")
    first = _bash(gates, repo, env)
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads((repo / "qrunner-reports" / "run.json").read_text())
    (spec,) = report["specs"]
    assert spec["name"] == "flaky-tests" and spec["tick"].startswith(today.date().isoformat())
    (check,) = spec["checks"]
    assert check["status"] == "pass" and check["observed"] == 2  # both runs of test_checkout
    assert (repo / ".qrunner" / "state.json").is_file()
    assert list((repo / ".qrunner-history").rglob("*.parquet"))

    again = _bash(gates, repo, env)  # the next hourly wake-up: the tick is done
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 spec(s) not due" in again.stderr


@pytest.mark.parametrize("target", ["remote", "datadog", "tekton"])
def test_without_credentials_a_remote_target_points_at_local_data(
    run_cli: Any, target: str
) -> None:
    unset = ("DD_API_KEY", "DD_APP_KEY", "TEKTON_RESULTS_URL", "TEKTON_RESULTS_TOKEN")
    queries = Path(__file__).resolve().parents[2] / "queries"
    out = run_cli(
        "run", str(queries), "--target", target, "--report", "console",
        env=dict.fromkeys(unset),
    )  # fmt: skip
    assert out.exit_code == 2, str(out)
    assert "--target local --data DIR" in out.stdout and "qrunner ingest junit" in out.stdout
