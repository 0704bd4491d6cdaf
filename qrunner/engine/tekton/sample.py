"""A deterministic sample of Tekton Results records (the JSON Lines layout).

Three namespaces, a few pipelines each (label ``tekton.dev/pipeline``), Pipelines-as-Code
repositories (annotation and label ``pipelinesascode.tekton.dev/repository``; manual runs have
none), PipelineRuns with their TaskRuns and Logs, and a few EventLists. Every status the summary
distinguishes appears: Succeeded, Completed, Failed, Cancelled, Running, PipelineRunTimeout,
TaskRunCancelled, TaskRunTimeout, and pending runs without conditions.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

PIPELINE_RUN = "tekton.dev/v1.PipelineRun"
TASK_RUN = "tekton.dev/v1.TaskRun"
LOG = "results.tekton.dev/v1alpha3.Log"
EVENT_LIST = "results.tekton.dev/v1.EventList"
REPOSITORY_KEY = "pipelinesascode.tekton.dev/repository"

# namespace → (pipeline → its tasks), repositories
_NAMESPACES: dict[str, tuple[dict[str, tuple[str, ...]], tuple[str, ...]]] = {
    "payments": (
        {"build-and-test": ("clone", "build", "unit-test"), "deploy": ("clone", "deploy")},
        ("payments-api", "payments-worker"),
    ),
    "web": (
        {"frontend-ci": ("clone", "lint", "build", "e2e"), "release": ("clone", "publish")},
        ("web-app",),
    ),
    "data-platform": (
        {"etl-nightly": ("extract", "transform", "load"), "build-and-test": ("clone", "build")},
        ("etl-jobs",),
    ),
}
# PipelineRun reasons with weights; None = pending, no conditions yet.
_RUN_REASONS: tuple[tuple[str | None, int], ...] = (
    ("Succeeded", 60), ("Completed", 8), ("Failed", 14), ("Cancelled", 5),
    ("Running", 5), ("PipelineRunTimeout", 4), (None, 4),
)  # fmt: skip
_TASK_FAILURE = {
    "Failed": "Failed",
    "Cancelled": "TaskRunCancelled",
    "PipelineRunTimeout": "TaskRunTimeout",
}


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _condition(reason: str | None) -> list[dict[str, Any]]:
    if reason is None:
        return []
    status = {"Running": "Unknown", "Succeeded": "True", "Completed": "True"}.get(reason, "False")
    return [{"type": "Succeeded", "status": status, "reason": reason,
             "message": f"{reason} (sample)"}]  # fmt: skip


def generate_tekton_sample(rng: random.Random, start: datetime, days: int) -> list[dict[str, Any]]:
    """Records for ``days`` days from ``start`` (timezone-aware), the same for the same seed."""
    records: list[dict[str, Any]] = []
    reasons = [r for r, _ in _RUN_REASONS]
    weights = [w for _, w in _RUN_REASONS]
    forced = list(reasons)  # the first runs cover every reason whatever the seed
    for day in range(days):
        for _ in range(rng.randint(8, 14)):
            reason = forced.pop(0) if forced else rng.choices(reasons, weights)[0]
            created = start + timedelta(days=day, seconds=rng.randint(0, 86_399))
            records.extend(_pipeline_run(rng, created, reason))
    return records


def _pipeline_run(
    rng: random.Random, created: datetime, reason: str | None
) -> list[dict[str, Any]]:
    namespace = rng.choice(sorted(_NAMESPACES))
    pipelines, repositories = _NAMESPACES[namespace]
    pipeline = rng.choice(sorted(pipelines))
    result = _uid(rng)
    run_name = f"{pipeline}-{rng.getrandbits(20):05x}"
    labels: dict[str, str] = {"tekton.dev/pipeline": pipeline}
    annotations: dict[str, str] = {}
    if rng.random() < 0.75:  # a Pipelines-as-Code run
        repository = rng.choice(repositories)
        labels[REPOSITORY_KEY] = repository
        annotations[REPOSITORY_KEY] = repository
        annotations["pipelinesascode.tekton.dev/event-type"] = rng.choice(["push", "pull_request"])
    if rng.random() < 0.05:  # an embedded pipelineSpec run without the label
        del labels["tekton.dev/pipeline"]
    metadata = {"name": run_name, "namespace": namespace, "uid": _uid(rng),
                "creationTimestamp": _timestamp(created), "labels": labels,
                "annotations": annotations}  # fmt: skip
    status: dict[str, Any] = {"conditions": _condition(reason)}
    started = created + timedelta(seconds=rng.randint(1, 20))
    finished = started
    records: list[dict[str, Any]] = []
    if reason is not None:
        status["startTime"] = _timestamp(started)
        clock = started
        tasks = pipelines[pipeline]
        for task in tasks:  # a failed, cancelled or timed-out run has one such TaskRun
            task_reason = "Succeeded"
            if reason == "Running" and rng.random() < 0.5:
                task_reason = "Running"
            elif reason in _TASK_FAILURE and (rng.random() < 0.5 or task == tasks[-1]):
                task_reason = _TASK_FAILURE[reason]
            clock += timedelta(seconds=rng.randint(1, 5))
            length = timedelta(seconds=rng.randint(5, 600), milliseconds=rng.choice([0, 0, 500]))
            records.extend(
                _task_run(
                    rng, namespace, result, run_name, pipeline, task, clock, length, task_reason
                )
            )
            clock += length
            if task_reason != "Succeeded":
                break
        finished = clock + timedelta(seconds=rng.randint(0, 3))
        if reason != "Running":
            status["completionTime"] = _timestamp(finished)
    records.insert(0, {
        "name": f"{namespace}/results/{result}/records/{result}",
        "type": PIPELINE_RUN,
        "data": {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "metadata": metadata,
                 "spec": {"pipelineRef": {"name": pipeline}}, "status": status},
    })  # fmt: skip
    if reason is not None and rng.random() < 0.2:
        records.append({
            "name": f"{namespace}/results/{result}/records/{_uid(rng)}",
            "type": EVENT_LIST,
            "data": {"events": [{"reason": "Started", "message": f"{run_name} started",
                                 "lastTimestamp": _timestamp(started)}]},
        })  # fmt: skip
    return records


def _task_run(
    rng: random.Random,
    namespace: str,
    result: str,
    run_name: str,
    pipeline: str,
    task: str,
    started: datetime,
    length: timedelta,
    reason: str,
) -> list[dict[str, Any]]:
    name = f"{run_name}-{task}"
    status: dict[str, Any] = {"conditions": _condition(reason),
                              "startTime": _timestamp(started)}  # fmt: skip
    if reason != "Running":
        status["completionTime"] = _timestamp(started + length).replace(
            "Z", f".{length.microseconds // 1000:03d}Z" if length.microseconds else "Z"
        )
    labels = {"tekton.dev/pipeline": pipeline, "tekton.dev/pipelineRun": run_name,
              "tekton.dev/pipelineTask": task, "tekton.dev/task": task}  # fmt: skip
    record_id = _uid(rng)
    records = [{
        "name": f"{namespace}/results/{result}/records/{record_id}",
        "type": TASK_RUN,
        "data": {"apiVersion": "tekton.dev/v1", "kind": "TaskRun",
                 "metadata": {"name": name, "namespace": namespace, "uid": _uid(rng),
                              "creationTimestamp": _timestamp(started), "labels": labels},
                 "spec": {"taskRef": {"name": task}}, "status": status},
    }]  # fmt: skip
    if reason != "Running":
        records.append({
            "name": f"{namespace}/results/{result}/records/{_uid(rng)}",
            "type": LOG,
            "data": {"kind": "Log", "apiVersion": "results.tekton.dev/v1alpha3",
                     "metadata": {"name": f"{name}-log", "namespace": namespace},
                     "spec": {"resource": {"kind": "TaskRun", "name": name}, "type": "File"},
                     "status": {"path": f"{namespace}/{record_id}/{name}-log", "size": 1024}},
        })  # fmt: skip
    return records
