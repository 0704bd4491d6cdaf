"""The engine against an independent reference (:mod:`.reference`) on generated requests.

A few hundred cases with a fixed seed run here; ``python -m tests.bench.reference_run --seed N
--cases 5000`` runs more (README: "Checking the engine against the reference").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings

from qrunner.engine.datadog.aggregate import run_aggregate
from qrunner.engine.store.datastore import LocalStore
from qrunner.sources import SOURCES
from tests.engine.datadog.reference_cases import (
    AT,
    Case,
    cases,
    differences,
    make_events,
    write_events,
)

EVENTS = make_events()
CASES_IN_CI = 250  # about 20 s idle, under 60 s on the loaded 2-core machine
MAX_PAGES = 100


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    root = tmp_path_factory.mktemp("reference")
    local = LocalStore(write_events(EVENTS, root / "data"), root / "cache")
    yield local
    local.close()


def every_page(
    store: LocalStore, body: dict[str, Any], source: str = "datadog.ci_tests"
) -> list[dict[str, Any]]:
    """The engine's buckets as ``{"by", "computes"}``, every page of them."""
    answer = run_aggregate(store, SOURCES[source], body, AT)
    if SOURCES[source].wrapped:  # spans: [{"type": "bucket", "attributes": {"by", "compute"}}]
        return [
            {"by": b["attributes"]["by"], "computes": b["attributes"]["compute"]}
            for b in answer["data"]
        ]
    buckets: list[dict[str, Any]] = answer["data"]["buckets"]
    for _ in range(MAX_PAGES):
        after = answer["meta"].get("page", {}).get("after")
        if after is None:
            return buckets
        answer = run_aggregate(store, SOURCES[source], {**body, "page": {"cursor": after}}, AT)
        buckets += answer["data"]["buckets"]
    raise AssertionError(f"more than {MAX_PAGES} pages")


@pytest.mark.slow  # 15-50 s: 250 generated requests, most of the time in DuckDB
@seed(20241129)
@settings(
    max_examples=CASES_IN_CI,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_the_engine_agrees_with_the_reference(store: LocalStore, case: Case) -> None:
    found = differences(every_page(store, case.body, case.source), EVENTS, case)
    assert not found, "\n".join([f"request: {case.body}", *found])
