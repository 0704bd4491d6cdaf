"""The deployment examples: the GitHub workflow and the Kubernetes manifests say what the
README says they do, and the manifests validate against Kubernetes' schemas (offline)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_the_cronjob_forbids_overlap_and_runs_what_is_due() -> None:
    (cronjob,) = _documents(KUBE / "cronjob.yaml")
    spec = cronjob["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 0 < spec["startingDeadlineSeconds"] <= 900
    assert not spec["schedule"].startswith("0 ")  # off the top of the hour
    args = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--due" in args and any(a.startswith("--state=") for a in args)


def test_the_indexed_job_runs_one_shard_per_index() -> None:
    (job,) = _documents(KUBE / "sharded-job.yaml")
    assert job["spec"]["completionMode"] == "Indexed"
    count = job["spec"]["completions"]
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["args"])
    assert f'--shard "$((JOB_COMPLETION_INDEX+1))/{count}"' in command


def test_the_manifests_validate_offline() -> None:
    result = subprocess.run(
        [
            sys.executable, "-c",
            "import sys; from kubernetes_validate.__main__ import main; sys.exit(main())",
            "--strict", "--quiet", *map(str, sorted(KUBE.glob("*.yaml"))),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_shards_runs_due_and_carries_the_state() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "quality-gates.yml").read_text())
    cron = workflow[True]["schedule"][0]["cron"]  # YAML 1.1 reads the key `on` as True
    assert cron.split()[0] != "0" and cron.split()[1] == "*"
    gates = workflow["jobs"]["gates"]
    steps = {s.get("uses", s.get("name")): s for s in gates["steps"]}
    assert len(gates["strategy"]["matrix"]["shard"]) == int(workflow["env"]["SHARDS"])
    restore = steps["actions/cache/restore@v6"]["with"]
    assert "github.run_id" in restore["key"] and restore["restore-keys"].strip()
    assert steps["actions/cache/save@v6"]["with"]["key"] == restore["key"]
    run = next(s["run"] for s in gates["steps"] if s.get("name") == "Run what is due")
    assert "--due" in run and "--shard" in run
    merge = workflow["jobs"]["merge"]
    assert merge["needs"] == "gates" and any(
        "qrunner merge" in s.get("run", "") for s in merge["steps"]
    )


def _linters_env() -> dict[str, str]:
    """PATH with this interpreter's scripts first: the linters of the test extra live there."""
    scripts = Path(sys.executable).parent
    for name in ("actionlint", "hadolint"):
        assert (scripts / name).exists() or shutil.which(name), f"pip install '.[test]': {name}"
    return {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}


def _lint(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=ROOT, env=_linters_env()
    )


WORKFLOWS = [
    *sorted(ROOT.glob(".github/workflows/*.yml")),
    *sorted(ROOT.glob("qrunner/**/github/workflows/*.yml")),  # what `qrunner init` writes
]


def test_the_workflows_are_actionlint_clean() -> None:
    # current action majors on a supported runtime, expressions, and (when shellcheck is on
    # PATH) every run: script
    assert len(WORKFLOWS) >= 5
    done = _lint("actionlint", "-oneline", *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_composite_action_is_actionlint_clean() -> None:
    done = _lint(sys.executable, ".ci/actionlint-action.py", ".github/actions/qrunner/action.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_stale_action_in_the_composite_action_is_reported_at_its_line(tmp_path: Path) -> None:
    action = (ROOT / ".github/actions/qrunner/action.yml").read_text()
    stale = tmp_path / "action.yml"
    stale.write_text(action.replace("actions/upload-artifact@v7", "actions/upload-artifact@v4"))
    line = 1 + action.splitlines().index("      uses: actions/upload-artifact@v7")
    done = _lint(sys.executable, ".ci/actionlint-action.py", str(stale))
    assert done.returncode == 1
    assert f"{stale}:{line}:" in done.stdout and 'runtime "node20" is deprecated' in done.stdout
