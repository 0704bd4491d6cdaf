"""Tests aggregate pages on the engine: the cursor, the follow-up, and what a cursor binds to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrunner.engine.datadog.aggregate import run_aggregate
from qrunner.engine.datadog.page import make_cursor, read_offset
from qrunner.engine.store.datastore import LocalStore
from qrunner.errors import QueryError
from qrunner.sources import SOURCES

AT = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
SERVICES = ["a", "b", "c", "d", "e"]
BODY: dict[str, Any] = {
    "filter": {"from": "now-1d"},
    "group_by": [{"facet": "service", "limit": 2, "total": True}],
    "page": {"limit": 25},
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    root = tmp_path_factory.mktemp("pages")
    (root / "data" / "ci_tests").mkdir(parents=True)
    events = [
        {"timestamp": "2024-06-12T11:00:00Z", "service": s, "test_level": "test"} for s in SERVICES
    ]
    (root / "data" / "ci_tests" / "e.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in events)
    )
    local = LocalStore(root / "data", root / "cache")
    yield local
    local.close()


def answer(store: LocalStore, body: dict[str, Any], source: str = "datadog.ci_tests") -> Any:
    return run_aggregate(store, SOURCES[source], body, AT)


def services(response: dict[str, Any]) -> list[str]:
    return [b["by"]["service"] for b in response["data"]["buckets"]]


def test_a_page_round_trip(store: LocalStore) -> None:
    first = answer(store, BODY)
    assert services(first) == ["a", "b"]
    cursor = first["meta"]["page"]["after"]
    second = answer(store, {**BODY, "page": {"limit": 25, "cursor": cursor}})
    assert services(second) == ["c", "d"]
    third = answer(
        store, {**BODY, "page": {"limit": 25, "cursor": second["meta"]["page"]["after"]}}
    )
    assert services(third) == ["e", "$facet_total"]  # the top-level total ends the last page
    assert "page" not in third["meta"]


def test_no_cursor_when_the_groups_fit(store: LocalStore) -> None:
    fits = {**BODY, "group_by": [{"facet": "service", "limit": 5}]}
    assert "page" not in answer(store, fits)["meta"]
    assert "page" not in answer(store, {**BODY, "group_by": []})["meta"]


def test_only_tests_aggregate_pages(tmp_path: Any) -> None:
    empty = LocalStore(tmp_path / "data", tmp_path / "cache")
    try:
        assert "page" not in answer(empty, BODY, "datadog.ci_pipelines")["meta"]
    finally:
        empty.close()


@pytest.mark.parametrize(
    "cursor",
    ["nonsense", "qr1.!!", 42, "qr1.WzAsICJ4Il0"],  # the last: [0, "x"], not this body
)
def test_a_cursor_not_answered_for_this_request_is_refused(store: LocalStore, cursor: Any) -> None:
    with pytest.raises(QueryError, match=r"page\.cursor"):
        answer(store, {**BODY, "page": {"cursor": cursor}})


def test_a_cursor_belongs_to_its_request(store: LocalStore) -> None:
    cursor = answer(store, BODY)["meta"]["page"]["after"]
    other = {**BODY, "filter": {"from": "now-2d"}, "page": {"cursor": cursor}}
    with pytest.raises(QueryError, match=r"page\.cursor"):
        answer(store, other)


@given(cursor=st.one_of(st.text(), st.text().map(lambda t: "qr1." + t), st.integers(), st.none()))
def test_reading_any_cursor_gives_an_offset_or_a_query_error(cursor: Any) -> None:
    try:
        offset = read_offset({**BODY, "page": {"cursor": cursor}})
    except QueryError as e:
        assert "page.cursor" in str(e)
    else:
        assert offset == 0 and cursor is None


def test_a_cursor_round_trips_to_its_offset() -> None:
    assert read_offset({**BODY, "page": {"cursor": make_cursor(BODY, 40)}}) == 40
    with pytest.raises(QueryError, match=r"page\.limit"):
        read_offset({**BODY, "page": {"limit": 0}})
