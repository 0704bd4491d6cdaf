"""Response shapes and bucket order, checked against the recorded Datadog exchanges."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from qrunner.engine.datadog.aggregate import run_aggregate
from qrunner.engine.store.datastore import LocalStore
from qrunner.sources import SOURCES

CASES = Path(__file__).resolve().parents[4] / "shared" / "datadog-cases"
pytestmark = pytest.mark.skipif(not CASES.is_dir(), reason="../shared/datadog-cases is absent")
AT = datetime(2023, 6, 29, 9, 58, 48, 500000, tzinfo=UTC)


def case(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CASES / name).read_text())
    return loaded


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    root = tmp_path_factory.mktemp("shapes")
    branches = case("tests-aggregate-ok-1.json")["decoded_meta_page_after"]["after"]["@git.branch"]
    stamp = int(AT.timestamp() * 1000) - 60_000
    (root / "data" / "ci_tests").mkdir(parents=True)
    (root / "data" / "spans").mkdir(parents=True)
    with (root / "data" / "ci_tests" / "t.jsonl").open("w") as sink:
        for branch in reversed([*branches, "zz-last"]):
            event = {"timestamp": stamp, "language": "python", "git": {"branch": branch},
                     "test": {"is_flaky": True}}  # fmt: skip
            sink.write(json.dumps(event) + "\n")
    with (root / "data" / "spans" / "s.jsonl").open("w") as sink:
        for minutes in range(14):
            sink.write(json.dumps({"timestamp": stamp - minutes * 60_000, "service": "web"}) + "\n")
    local = LocalStore(root / "data", root / "cache")
    yield local
    local.close()


def test_tests_response_shape_and_byte_order(store: LocalStore) -> None:
    recorded = case("tests-aggregate-ok-1.json")
    answer = run_aggregate(store, SOURCES["datadog.ci_tests"], recorded["request"]["body"], AT)
    body = recorded["response"]["body"]
    assert list(answer) == ["meta", "data"]
    assert set(answer["meta"]) >= {"elapsed", "request_id", "status"}
    assert answer["meta"]["status"] == "done"
    assert isinstance(answer["meta"]["elapsed"], int)
    got = [b["by"]["@git.branch"] for b in answer["data"]["buckets"]]
    assert got == recorded["decoded_meta_page_after"]["after"]["@git.branch"]
    assert len(got) == len(body["data"]["buckets"])
    for bucket in answer["data"]["buckets"]:
        assert set(bucket) == {"by", "computes"}
        assert bucket["computes"] == {"c0": 1}


def test_spans_timeseries_shape_and_alignment(store: LocalStore) -> None:
    recorded = case("spans-aggregate-ok-1.json")
    answer = run_aggregate(store, SOURCES["datadog.spans"], recorded["request"]["body"], AT)
    body = recorded["response"]["body"]
    assert list(answer) == list(body)
    (bucket,) = answer["data"]
    assert bucket["type"] == "bucket"
    uuid.UUID(bucket["id"])
    assert set(bucket["attributes"]) == set(body["data"][0]["attributes"])
    assert bucket["attributes"]["by"] == {}
    times = [p["time"] for p in bucket["attributes"]["compute"]["c0"]]
    assert times == [p["time"] for p in body["data"][0]["attributes"]["compute"]["c0"]]
    values = [p["value"] for p in bucket["attributes"]["compute"]["c0"]]
    assert all(isinstance(v, int) for v in values)
    assert sum(values) == 14


def test_pipelines_empty_answer_shape(store: LocalStore) -> None:
    recorded = case("pipelines-aggregate-ok-1.json")
    answer = run_aggregate(store, SOURCES["datadog.ci_pipelines"], recorded["request"]["body"], AT)
    assert answer["data"] == recorded["response"]["body"]["data"] == {"buckets": []}
    assert set(answer["meta"]) == set(recorded["response"]["body"]["meta"])


def test_bucket_ids_are_deterministic(store: LocalStore) -> None:
    body = case("spans-aggregate-ok-1.json")["request"]["body"]
    first = run_aggregate(store, SOURCES["datadog.spans"], body, AT)
    second = run_aggregate(store, SOURCES["datadog.spans"], body, AT)
    assert first["data"][0]["id"] == second["data"][0]["id"]
    assert first["meta"]["request_id"] == second["meta"]["request_id"]
