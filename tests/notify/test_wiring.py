"""The deployments notify as the README says: the scheduled workflow's merge job after the merge
(issues: write, the alert state cached), the composite action on request, the CronJob from its
single run; and the notify step can never change a result (its import-linter contract)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_scheduled_workflow_notifies_once_after_the_merge() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "quality-gates.yml").read_text())
    merge = workflow["jobs"]["merge"]
    assert merge["permissions"]["issues"] == "write"
    runs = [str(step.get("run", "")) for step in merge["steps"]]
    merged = next(i for i, r in enumerate(runs) if "qrunner merge" in r)
    notified = next(
        i for i, r in enumerate(runs) if r.startswith("qrunner notify out/qrunner.json")
    )
    assert merged < notified and "--notify notify.yaml" in runs[notified]
    cached = [s["with"]["path"] for s in merge["steps"] if "cache" in str(s.get("uses", ""))]
    assert cached.count(".qrunner/alerts.json") == 2  # restored, then saved
    assert not any("--notify" in str(s.get("run", "")) for s in workflow["jobs"]["gates"]["steps"])


def test_the_action_and_the_cronjob_notify_from_their_run() -> None:
    action = yaml.safe_load((ROOT / ".github" / "actions" / "qrunner" / "action.yml").read_text())
    assert {"notify", "alert-state"} <= set(action["inputs"])
    assert "issues: write" in action["inputs"]["notify"]["description"]
    manifest = ROOT / "deploy" / "kubernetes" / "30-cronjob.yaml"
    (cronjob,) = yaml.safe_load_all(manifest.read_text())
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert "--alert-state=/state/alerts.json" in container["args"]
    assert "--notify=/qrunner/notify.yaml" in container["args"]  # the Dockerfile copies it
    assert "COPY notify.yaml ./" in (ROOT / "Dockerfile").read_text()


def test_notify_cannot_change_a_result() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    notify = next(c for c in contracts["contracts"] if c["source_modules"] == ["qrunner.notify"])
    assert {"qrunner.run", "qrunner.judge.checks", "qrunner.judge.outcomes"} <= set(
        notify["forbidden_modules"]
    )
