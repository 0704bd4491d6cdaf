"""The built-in sample dataset and the LocalBackend that serves it."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.backends.local import LocalBackend
from qrunner.engine.store.sample import generate_sample
from qrunner.sources import SOURCES

END = datetime(2024, 6, 12, tzinfo=UTC)


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted([*root.rglob("*.jsonl"), *root.rglob("*.xml")])
    }


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sample_is_deterministic(tmp_path: Path) -> None:
    # How fast it is belongs to the benchmarks; a timed assertion fails on a busy machine.
    summary = generate_sample(tmp_path / "a", days=8, seed=3, end=END)
    generate_sample(tmp_path / "b", days=8, seed=3, end=END)
    generate_sample(tmp_path / "c", days=8, seed=4, end=END)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")
    assert {p for p in digest(tmp_path / "a") if p.endswith(".jsonl")} == {
        "ci_tests/tests.jsonl", "ci_pipelines/pipelines.jsonl", "spans/spans.jsonl",
        "tekton/records.jsonl",
    }  # fmt: skip
    reports = [p for p in digest(tmp_path / "a") if p.endswith(".xml")]
    assert len(reports) >= 8 * 8 and any(p.endswith("-rerun.xml") for p in reports)
    assert 10_000 <= sum(summary.counts.values()) <= 100_000


def test_sample_content(tmp_path: Path) -> None:
    generate_sample(tmp_path, days=4, seed=1, end=END)
    tests = read(tmp_path / "ci_tests" / "tests.jsonl")
    assert {e["test_level"] for e in tests} == {"session", "module", "suite", "test"}
    outcomes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in tests:
        if e["test_level"] == "test":
            outcomes[(e["test"]["full_name"], e["git"]["commit"]["sha"])].add(e["test"]["status"])
    assert any(statuses == {"pass", "fail"} for statuses in outcomes.values())
    retries = [e for e in tests if e["test"].get("is_retry")]
    assert retries and all(e["test"]["is_flaky"] for e in retries)
    assert {e["git"]["branch"] for e in tests} > {"main"}
    pipelines = read(tmp_path / "ci_pipelines" / "pipelines.jsonl")
    assert {e["ci_level"] for e in pipelines} == {"pipeline", "stage", "job"}
    spans = read(tmp_path / "spans" / "spans.jsonl")
    assert {e["status"] for e in spans} == {"ok", "error"}
    durations = sorted(e["duration"] for e in spans)
    assert durations[-len(durations) // 100] > 5 * durations[len(durations) // 2]
    start_ms = (END - timedelta(days=4)).timestamp() * 1000
    assert all(start_ms <= e["timestamp"] < END.timestamp() * 1000 for e in spans)


def test_backend_serves_the_sample_for_every_source(tmp_path: Path) -> None:
    at = datetime(2024, 6, 12, 15, 30, tzinfo=UTC)
    options = TargetOptions(target="local", at=at, cache_dir=tmp_path / "cache")
    queries = [
        PreparedQuery("tests", SOURCES["datadog.ci_tests"], {
            "compute": [{"aggregation": "count"}],
            "filter": {"from": "now-7d", "query": "@test.status:fail test_level:test"},
            "group_by": [{"facet": "@test.service"}],
        }),
        PreparedQuery("pipelines", SOURCES["datadog.ci_pipelines"], {
            "compute": [{"aggregation": "pc90", "metric": "@duration"}],
            "filter": {"from": "now-7d", "query": "ci_level:pipeline"},
        }),
        PreparedQuery("spans", SOURCES["datadog.spans"], {"data": {
            "type": "aggregate_request",
            "attributes": {"compute": [{"aggregation": "count"}], "filter": {"from": "now-1h"},
                           "group_by": [{"facet": "status"}]},
        }}),
        PreparedQuery("tekton", SOURCES["tekton.summary"], {
            "parent": "-/results/-", "summary": "total", "filter": "data_type == PIPELINE_RUN",
        }),
    ]  # fmt: skip

    async def run() -> list[dict[str, Any]]:
        backend = LocalBackend(options)
        try:
            answers = await asyncio.gather(*(backend.execute(q) for q in queries))
            assert len(backend.notices) == 1 and "sample" in backend.notices[0]
            assert backend.warnings == []
            return list(answers)
        finally:
            await backend.aclose()

    tests, pipelines, spans, tekton = asyncio.run(run())
    assert len(tests["data"]["buckets"]) == 4  # three JSON Lines services, one JUnit
    assert tests["data"]["buckets"][0]["computes"]["c0"] > 0
    assert pipelines["data"]["buckets"][0]["computes"]["c0"] > 60e9
    assert {b["attributes"]["by"]["status"] for b in spans["data"]} <= {"ok", "error"}
    assert tekton["summary"][0]["total"] > 0
    stamp = json.loads((tmp_path / "cache" / "sample-data" / ".qrunner-sample.json").read_text())
    assert stamp["end"] == "2024-06-13T00:00:00+00:00"
    again = LocalBackend(options)
    asyncio.run(again.execute(queries[1]))
    assert "cached" in again.notices[0]
    asyncio.run(again.aclose())


def test_sample_junit_reports_are_nested_retried_and_flaky(tmp_path: Path) -> None:
    from qrunner.engine.store.datastore import LocalStore

    generate_sample(tmp_path / "data", days=2, seed=5, end=END)
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    table = store.dataset("ci_tests").table
    with store.cursor() as cursor:
        rows = cursor.execute(
            f"""SELECT "test.name", "test.status", "test.suite_path", "test.is_retry",
                "test.is_flaky" FROM {table}
                WHERE test_level = 'test' AND "test.service" = 'android-app-tests'"""
        ).fetchall()
    store.close()
    assert store.warnings == []
    assert {path for _, _, path, _, _ in rows} == {
        "app/com.acme.cart.CartTest",
        "app/com.acme.sync.SyncTest",
        "ui/com.acme.ui.CheckoutScreenTest",
    }
    by_name: dict[str, list[tuple[str, bool, bool]]] = defaultdict(list)
    for name, status, _, retry, flaky in rows:
        by_name[name].append((status, bool(retry), bool(flaky)))
    assert {s for s, _, _ in by_name["darkMode"]} == {"skip"}  # status="disabled"
    # flaky within one report (surefire's rerun), retried
    assert ("fail", False, True) in by_name["syncsOfflineCart"]
    assert ("pass", True, True) in by_name["syncsOfflineCart"]
    # flaky across two reports of one commit: neither execution is a retry in its report
    assert {("fail", False, True), ("pass", False, True)} <= set(by_name["uploadsReceipt"])
    assert all(not flaky for _, _, flaky in by_name["totals"])


@pytest.mark.parametrize("hour", [0, 7, 23])
def test_the_flakiness_gate_fails_on_the_sample_at_any_hour(
    run_cli: Any,
    hour: int,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QRUNNER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "flaky-cache"))
    data = tmp_path_factory.getbasetemp() / "flaky-sample"
    if not data.exists():
        generate_sample(data, days=3, seed=20240601, end=END)
    spec = Path(__file__).parents[3] / "queries" / "flaky-tests-main.yaml"
    at = (END - timedelta(days=1) + timedelta(hours=hour, minutes=30)).isoformat()
    result = run_cli("run", str(spec), "--data", str(data), "--at", at, expect=1)
    assert "@test.service=android-app-tests" in result.stdout
