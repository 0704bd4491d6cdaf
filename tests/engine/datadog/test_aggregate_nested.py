"""Nested group_by as API-FACTS states it, each bug shown by the smallest request.

At each level, groups are chosen (sorted, cut to ``limit``) among the events having that
level's facet, whether or not they have the next level's; a parent's sort value is computed
over all its events; the ``total`` rows and child rows of a level belong to the same parents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from qrunner.engine.datadog.aggregate import run_aggregate
from qrunner.engine.store.datastore import LocalStore
from qrunner.sources import SOURCES

AT = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
STAMP = "2024-06-12T11:00:00+00:00"


def event(service: str, status: str | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {"timestamp": STAMP, "service": service, "test_level": "test"}
    if status is not None:
        made["test"] = {"status": status}
        made["git"] = {"branch": "main"} if service == "b" else {}
    return made


# a: three events, only one with a status, none with a branch; b: two events with both.
EVENTS = [event("a"), event("a"), event("a", "pass"), event("b", "pass"), event("b", "pass")]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    root = tmp_path_factory.mktemp("nested")
    (root / "data" / "ci_tests").mkdir(parents=True)
    lines = "".join(json.dumps(e) + "\n" for e in EVENTS)
    (root / "data" / "ci_tests" / "events.jsonl").write_text(lines)
    local = LocalStore(root / "data", root / "cache")
    yield local
    local.close()


def rows(store: LocalStore, *group_by: dict[str, Any]) -> list[tuple[Any, ...]]:
    body = {"filter": {"from": "now-1d"}, "group_by": list(group_by)}
    answer = run_aggregate(store, SOURCES["datadog.ci_tests"], body, AT)
    return [(*b["by"].values(), b["computes"]["c0"]) for b in answer["data"]["buckets"]]


BY_COUNT = {"type": "measure", "aggregation": "count"}


def test_a_parent_without_children_is_not_replaced_by_the_next(store: LocalStore) -> None:
    # (a) only one service fits the limit: "a" (alphabetical), whose events have no branch.
    assert rows(store, {"facet": "service", "limit": 1}, {"facet": "@git.branch"}) == []


def test_a_parents_sort_value_counts_all_its_events(store: LocalStore) -> None:
    # (b) "a" has three events (one with a status), "b" two: "a" is the top service.
    top = {"facet": "service", "limit": 1, "sort": BY_COUNT}
    assert rows(store, top, {"facet": "@test.status"}) == [("a", "pass", 1)]


def test_total_rows_and_child_rows_belong_to_the_same_parents(store: LocalStore) -> None:
    # (c) the child rows and the total row both belong to "a", the top service by count.
    got = rows(
        store,
        {"facet": "service", "limit": 1, "sort": BY_COUNT},
        {"facet": "@test.status", "total": True},
    )
    assert got == [("a", "pass", 1), ("a", "$facet_total", 3)]
