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


APPLIED = sorted(
    KUBE.glob("*.yaml")
)  # what `kubectl apply -f deploy/kubernetes/` applies, in order
SHARDED = KUBE / "sharded"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


def _all(paths: list[Path]) -> list[dict[str, Any]]:
    return [doc for path in paths for doc in _documents(path)]


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"].get("jobTemplate", {}).get("spec") or doc["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def test_the_cronjob_forbids_overlap_and_runs_what_is_due() -> None:
    (cronjob,) = _documents(KUBE / "30-cronjob.yaml")
    spec = cronjob["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 0 < spec["startingDeadlineSeconds"] <= 900
    assert not spec["schedule"].startswith("0 ")  # off the top of the hour
    args = _container(cronjob)["args"]
    assert "--due" in args and any(a.startswith("--state=") for a in args)
    # --target tekton runs Tekton specs only: the others would be errors, not skipped
    assert "--target=tekton" in args and "--select=source:tekton.*" in args


def test_the_indexed_job_runs_one_shard_per_index() -> None:
    (job,) = _documents(SHARDED / "job.yaml")
    assert job["spec"]["completionMode"] == "Indexed"
    count = job["spec"]["completions"]
    command = " ".join(_container(job)["args"])
    assert f'--shard "$((JOB_COMPLETION_INDEX+1))/{count}"' in command


def test_applying_the_folder_creates_the_namespace_first_and_starts_no_job() -> None:
    docs = _all(APPLIED)
    assert docs[0]["kind"] == "Namespace"
    assert "Job" not in {d["kind"] for d in docs}  # the one-off sharded Job is in sharded/


def test_one_namespace_throughout() -> None:
    docs = _all([*APPLIED, *sorted(SHARDED.glob("*.yaml"))])
    (namespace,) = [d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"]
    for doc in docs:
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"].get("namespace") == namespace, doc["metadata"]
    for doc in docs:
        for subject in doc.get("subjects", []):
            assert subject["namespace"] == namespace


def test_the_cronjob_claims_storage_a_default_class_provides() -> None:
    claims = {
        d["metadata"]["name"]: d for d in _all(APPLIED) if d["kind"] == "PersistentVolumeClaim"
    }
    (cronjob,) = _documents(KUBE / "30-cronjob.yaml")
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (claim,) = [
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["volumes"]
        if "persistentVolumeClaim" in v
    ]
    assert claims[claim]["spec"]["accessModes"] == ["ReadWriteOnce"]
    # the sharded Job's pods may be on several nodes: its own claim, its needs stated there
    (job,) = _documents(SHARDED / "job.yaml")
    (shared,) = _documents(SHARDED / "state.yaml")
    volumes = job["spec"]["template"]["spec"]["volumes"]
    assert shared["metadata"]["name"] in [
        v.get("persistentVolumeClaim", {}).get("claimName") for v in volumes
    ]
    assert shared["spec"]["accessModes"] == ["ReadWriteMany"]
    assert "ReadWriteMany" in (SHARDED / "state.yaml").read_text().split("apiVersion")[0]


def test_no_platform_specific_ca_path_by_default() -> None:
    for doc in _all([*APPLIED, *sorted(SHARDED.glob("*.yaml"))]):
        if doc["kind"] in ("CronJob", "Job"):
            names = {e["name"] for e in _container(doc).get("env", [])}
            assert "TEKTON_RESULTS_CA" not in names  # service-ca.crt exists only on OpenShift


def test_resources_come_from_a_measured_figure_written_beside_them() -> None:
    for path in [KUBE / "30-cronjob.yaml", SHARDED / "job.yaml"]:
        (doc,) = _documents(path)
        resources = _container(doc)["resources"]
        assert resources["requests"]["memory"] and resources["limits"]["memory"]
        text = path.read_text()
        before = text[: text.index("resources:")].splitlines()[-6:]
        assert any(
            "MiB" in line and ("Measured" in line or "measured" in line) for line in before
        ), path


def test_the_manifests_validate_offline() -> None:
    result = subprocess.run(
        [
            sys.executable, "-c",
            "import sys; from kubernetes_validate.__main__ import main; sys.exit(main())",
            "--strict", "--quiet", *map(str, [*APPLIED, *sorted(SHARDED.glob("*.yaml"))]),
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


def test_the_workflow_defaults_to_one_hourly_job_and_merges_in_it() -> None:
    # a small team's cadence: 24 wake-ups a day of one job; 15 minutes and shards scale up
    text = (ROOT / ".github" / "workflows" / "quality-gates.yml").read_text()
    workflow = yaml.safe_load(text)
    minute, hour, *_ = workflow[True]["schedule"][0]["cron"].split()
    assert minute.isdigit() and hour == "*"
    assert workflow["env"]["SHARDS"] == "1" and "runner minutes a month" in text
    gates = workflow["jobs"]["gates"]
    merges = [s for s in gates["steps"] if "qrunner merge" in s.get("run", "")]
    assert merges and all("sharded == 'false'" in s["if"] for s in merges)
    assert "needs.gates.outputs.sharded == 'true'" in workflow["jobs"]["merge"]["if"]
    assert '"7,22,37,52 * * * *"' in text  # the scale-up cadence, documented beside it


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
