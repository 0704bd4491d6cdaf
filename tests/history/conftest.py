"""Thirty days of pipeline data with a regression on day 25, and a spec that watches it."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

START = datetime(2026, 3, 1, 6, tzinfo=UTC)  # day 1's run is at START + 1 day
DAYS = 30
REGRESSION_DAY = 25
PIPELINES = ("build", "deploy")

SPEC = """\
version: 1
name: build-duration
owner: team-platform
tags: [nightly]
source: datadog.ci_pipelines
request:
  compute: [{aggregation: avg, metric: "@duration", type: total}]
  filter: {from: now-1d, to: now, query: "ci_level:pipeline"}
  group_by: [{facet: "@ci.pipeline.name", limit: 10}]
checks:
  - name: duration against recent runs
    metric: c0
    unit: m
    fail: ["> 45m", "change > 20%"]
    baseline: {history: 7, reduce: median, min_points: 5}
  - name: duration zscore
    metric: c0
    unit: m
    fail: "zscore > 3"
    baseline: {history: 10, min_points: 5}
  - name: duration against yesterday
    metric: c0
    unit: m
    scope: max
    warn: "change > 20%"
    baseline: {shift: 1d}
"""


def run_at(day: int) -> str:
    """The run of ``day`` (1-based) judges the 24 hours before it."""
    return (START + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")


def minutes(day: int, pipeline: str) -> float:
    """A steady duration with a little deterministic noise; +50% for build from day 25."""
    base = 10.0 if pipeline == "build" else 4.0
    noisy = base * (1 + 0.03 * math.sin(day * 1.7 + len(pipeline)))
    return noisy * 1.5 if pipeline == "build" and day >= REGRESSION_DAY else noisy


@pytest.fixture(scope="session")
def regression_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("regression")
    events = []
    for day in range(1, DAYS + 1):
        for pipeline in PIPELINES:
            for hour in (2, 8, 14, 20):
                at = START + timedelta(days=day - 1, hours=hour)
                took = minutes(day, pipeline) * (1 + 0.01 * (hour - 11) / 9)
                events.append({
                    "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "ci_level": "pipeline",
                    "duration": int(took * 60e9), "ci": {"pipeline": {"name": pipeline},
                    "status": "success"}, "git": {"branch": "main"},
                })  # fmt: skip
    (folder / "ci_pipelines").mkdir()
    lines = "\n".join(json.dumps(e) for e in events) + "\n"
    (folder / "ci_pipelines" / "events.jsonl").write_text(lines)
    return folder


@pytest.fixture(scope="session")
def regression_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("specs") / "build-duration.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("QRUNNER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "QRUNNER_TARGET", "QRUNNER_DATA",
                 "QRUNNER_HISTORY", "GITHUB_RUN_ID", "QRUNNER_RUN_ID"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    yield
