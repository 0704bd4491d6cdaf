"""The deployment examples: the GitHub workflow and the Kubernetes manifests say what the
README says they do, and the manifests validate against Kubernetes' schemas (offline)."""

from __future__ import annotations

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
    restore = steps["actions/cache/restore@v4"]["with"]
    assert "github.run_id" in restore["key"] and restore["restore-keys"].strip()
    assert steps["actions/cache/save@v4"]["with"]["key"] == restore["key"]
    run = next(s["run"] for s in gates["steps"] if s.get("name") == "Run what is due")
    assert "--due" in run and "--shard" in run
    merge = workflow["jobs"]["merge"]
    assert merge["needs"] == "gates" and any(
        "qrunner merge" in s.get("run", "") for s in merge["steps"]
    )
