"""Aggregate semantics, checked against expectations computed here in plain Python."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from qrunner.engine.datadog.aggregate import run_aggregate
from qrunner.engine.store.datastore import LocalStore
from qrunner.errors import QueryError
from qrunner.sources import SOURCES

AT = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
AT_MS = int(AT.timestamp() * 1000)
DAY = 86_400_000
SERVICES = ["api", "web", "Zed", "batch", "b\u00e9ta"]
TESTS = SOURCES["datadog.ci_tests"]


def make_events(count: int = 3000) -> list[dict[str, Any]]:
    rng = random.Random(42)
    events = []
    for i in range(count):
        ts = AT_MS - rng.randrange(2 * DAY)
        event: dict[str, Any] = {
            "timestamp": ts if i % 2 else datetime.fromtimestamp(ts / 1000, UTC).isoformat(),
            "test_level": rng.choice(["test", "test", "test", "suite"]),
            "test": {"status": rng.choice(["pass", "pass", "fail", "skip"]), "name": f"t{i % 37}"},
            "git": {"branch": rng.choice(["main", "dev", "CLIP-381"])},
        }
        if rng.random() < 0.9:
            event["service"] = rng.choice(SERVICES)
        if rng.random() < 0.85:
            event["duration"] = rng.randrange(1, 10**9)
        if rng.random() < 0.3:
            event["test"]["is_flaky"] = rng.random() < 0.5
        events.append(event)
    return events


EVENTS = make_events()


def ts_of(event: dict[str, Any]) -> int:
    stamp = event["timestamp"]
    return (
        stamp if isinstance(stamp, int) else int(datetime.fromisoformat(stamp).timestamp() * 1000)
    )


def get(event: dict[str, Any], path: str) -> Any:
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def within(start: int, end: int) -> list[dict[str, Any]]:
    return [e for e in EVENTS if start <= ts_of(e) < end]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected(aggregation: str, events: list[dict[str, Any]], metric: str | None) -> Any:
    if aggregation == "count":
        return len(events) if metric is None else sum(get(e, metric) is not None for e in events)
    assert metric is not None
    having = sorted(
        ((ts_of(e), get(e, metric)) for e in events if get(e, metric) is not None),
        key=lambda p: p[0],
    )
    values = [v for _, v in having]
    if aggregation == "cardinality":
        return len(set(values))
    if not values:
        return None
    quantiles = {"pc75": 0.75, "pc90": 0.9, "pc95": 0.95, "pc98": 0.98, "pc99": 0.99}
    computed: dict[str, Callable[[], Any]] = {
        "sum": lambda: float(sum(values)),
        "min": lambda: float(min(values)),
        "max": lambda: float(max(values)),
        "avg": lambda: sum(values) / len(values),
        "median": lambda: quantile(values, 0.5),
        "latest": lambda: values[-1],
        "earliest": lambda: values[0],
        "delta": lambda: float(values[-1] - values[0]),
        "most_frequent": lambda: min(Counter(values).items(), key=lambda kv: (-kv[1], kv[0]))[0],
        **{name: (lambda q=q: quantile(values, q)) for name, q in quantiles.items()},
    }
    return computed[aggregation]()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    root = tmp_path_factory.mktemp("aggregate")
    (root / "data" / "ci_tests").mkdir(parents=True)
    half = len(EVENTS) // 2
    for name, chunk in (("a.jsonl", EVENTS[:half]), ("b.ndjson", EVENTS[half:])):
        with (root / "data" / "ci_tests" / name).open("w") as sink:
            sink.writelines(json.dumps(e) + "\n" for e in chunk)
    local = LocalStore(root / "data", root / "cache")
    yield local
    local.close()


def aggregate(store: LocalStore, body: dict[str, Any], source: str = "datadog.ci_tests") -> Any:
    return run_aggregate(store, SOURCES[source], body, AT)


def buckets(store: LocalStore, body: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = aggregate(store, body)["data"]["buckets"]
    return result


def close(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, float) and isinstance(actual, float):
        return math.isclose(actual, wanted, rel_tol=1e-9)
    return bool(actual == wanted and type(actual) is type(wanted))


AGGREGATIONS = [
    ("count", None), ("count", "duration"), ("count", "test.is_flaky"),
    ("cardinality", "test.name"), ("cardinality", "duration"),
    ("pc75", "duration"), ("pc90", "duration"), ("pc95", "duration"), ("pc98", "duration"),
    ("pc99", "duration"), ("sum", "duration"), ("min", "duration"), ("max", "duration"),
    ("avg", "duration"), ("median", "duration"), ("latest", "test.name"),
    ("earliest", "duration"), ("most_frequent", "test.name"), ("delta", "duration"),
]  # fmt: skip


@pytest.mark.parametrize(("aggregation", "metric"), AGGREGATIONS)
def test_every_aggregation_ungrouped(
    store: LocalStore, aggregation: str, metric: str | None
) -> None:
    compute = {"aggregation": aggregation, **({"metric": f"@{metric}"} if metric else {})}
    body = {"compute": [compute], "filter": {"from": "now-1d", "to": "now"}}
    (bucket,) = buckets(store, body)
    want = expected(aggregation, within(AT_MS - DAY, AT_MS), metric)
    if isinstance(want, int) and aggregation not in ("count", "cardinality"):
        want = float(want)
    assert bucket["by"] == {}
    assert close(bucket["computes"]["c0"], want), (bucket["computes"]["c0"], want)


@pytest.mark.parametrize(("aggregation", "metric"), AGGREGATIONS)
def test_every_aggregation_per_service(
    store: LocalStore, aggregation: str, metric: str | None
) -> None:
    compute = {"aggregation": aggregation, **({"metric": f"@{metric}"} if metric else {})}
    body = {
        "compute": [compute],
        "filter": {"from": "now-2d", "query": "@test.status:fail"},
        "group_by": [{"facet": "service"}],
    }
    events = [e for e in within(AT_MS - 2 * DAY, AT_MS) if e["test"]["status"] == "fail"]
    services = sorted({e["service"] for e in events if "service" in e}, key=lambda s: s.encode())
    got = buckets(store, body)
    assert [b["by"]["service"] for b in got] == services
    for bucket in got:
        group = [e for e in events if e.get("service") == bucket["by"]["service"]]
        want = expected(aggregation, group, metric)
        if isinstance(want, int) and aggregation not in ("count", "cardinality"):
            want = float(want)
        assert close(bucket["computes"]["c0"], want), (bucket, want)


def test_no_group_by_and_no_match_gives_one_empty_bucket(store: LocalStore) -> None:
    body = {
        "compute": [{"aggregation": "count"}, {"aggregation": "avg", "metric": "@duration"}],
        "filter": {"from": "now-1d", "query": "@test.status:nothing"},
    }
    assert buckets(store, body) == [{"by": {}, "computes": {"c0": 0, "c1": None}}]


def test_grouped_and_no_match_gives_no_buckets(store: LocalStore) -> None:
    body = {"filter": {"from": "now-1d", "query": "nothing"}, "group_by": [{"facet": "service"}]}
    assert buckets(store, body) == []


def test_timeseries_points_are_aligned_and_complete(store: LocalStore) -> None:
    start = AT_MS - 5 * 3_600_000 - 17 * 60_000  # not on an hour
    body = {
        "compute": [
            {"aggregation": "count", "type": "timeseries", "interval": "1h"},
            {"aggregation": "max", "metric": "@duration", "type": "timeseries", "interval": "1h"},
            {"aggregation": "count"},
        ],
        "filter": {"from": str(start), "to": "now-10m"},
    }
    (bucket,) = buckets(store, body)
    points = bucket["computes"]["c0"]
    first = start // 3_600_000 * 3_600_000
    assert [p["time"] for p in points] == [
        (datetime.fromtimestamp(first / 1000, UTC) + timedelta(hours=h)).strftime(
            "%Y-%m-%dT%H:00:00.000Z"
        )
        for h in range(6)
    ]
    events = within(start, AT_MS - 600_000)
    for hour, point in enumerate(points):
        low = max(start, first + hour * 3_600_000)
        inside = [e for e in events if low <= ts_of(e) < first + (hour + 1) * 3_600_000]
        assert point["value"] == len(inside)
        maximum = bucket["computes"]["c1"][hour]["value"]
        durations = [e["duration"] for e in inside if "duration" in e]
        assert maximum == (float(max(durations)) if durations else None)
    assert bucket["computes"]["c2"] == len(events)


def test_default_interval_and_empty_points(store: LocalStore) -> None:
    body = {
        "compute": [{"aggregation": "count", "type": "timeseries"}],
        "filter": {"from": "now-15m", "query": "nothing"},
    }
    (bucket,) = buckets(store, body)
    points = bucket["computes"]["c0"]
    assert 90 <= len(points) <= 151
    assert {p["value"] for p in points} == {0}


def test_timezone_aligns_day_buckets(store: LocalStore) -> None:
    body = {
        "compute": [{"aggregation": "count", "type": "timeseries", "interval": "1d"}],
        "filter": {"from": "now-2d", "to": "now"},
        "options": {"timezone": "UTC+2"},
    }
    (bucket,) = buckets(store, body)
    times = [p["time"] for p in bucket["computes"]["c0"]]
    assert all(t.endswith("T22:00:00.000Z") for t in times)
    assert sum(p["value"] for p in bucket["computes"]["c0"]) == len(within(AT_MS - 2 * DAY, AT_MS))
    body["options"] = {"time_offset": -3600}
    (bucket,) = buckets(store, body)
    assert all(p["time"].endswith("T01:00:00.000Z") for p in bucket["computes"]["c0"])


def test_timezone_and_offset_together_are_rejected(store: LocalStore) -> None:
    body = {"options": {"timezone": "UTC", "time_offset": 60}}
    with pytest.raises(QueryError, match="not both"):
        aggregate(store, body)


def byte_order(values: set[Any]) -> list[Any]:
    return sorted(values, key=lambda v: v.encode() if isinstance(v, str) else v)


def test_nested_group_by_limits_apply_per_level(store: LocalStore) -> None:
    body = {
        "filter": {"from": "now-2d"},
        "group_by": [
            {"facet": "service", "limit": 3, "sort": {"type": "measure", "aggregation": "count"}},
            {"facet": "@test.status", "limit": 2, "sort": {"order": "desc"}},
        ],
    }
    events = within(AT_MS - 2 * DAY, AT_MS)
    per_service = Counter(e["service"] for e in events if "service" in e)
    top = sorted(per_service, key=lambda s: (-per_service[s], s.encode()))[:3]
    want = []
    for service in top:
        group = [e for e in events if e.get("service") == service]
        statuses = sorted({e["test"]["status"] for e in group}, reverse=True)[:2]
        for status in statuses:
            count = sum(e["test"]["status"] == status for e in group)
            want.append(
                {"by": {"service": service, "@test.status": status}, "computes": {"c0": count}}
            )
    assert buckets(store, body) == want


def test_measure_sort_on_a_metric_at_an_inner_level(store: LocalStore) -> None:
    body = {
        "compute": [{"aggregation": "count"}],
        "filter": {"from": "now-2d"},
        "group_by": [
            {"facet": "@git.branch", "sort": {"type": "measure", "aggregation": "max",
                                             "metric": "@duration", "order": "asc"}},
            {"facet": "service", "limit": 2, "sort": {"type": "measure", "aggregation": "avg",
                                                      "metric": "@duration"}},
        ],
    }  # fmt: skip
    events = [e for e in within(AT_MS - 2 * DAY, AT_MS) if "service" in e]

    def measure(group: list[dict[str, Any]], fn: Callable[[list[int]], float]) -> float:
        return fn([e["duration"] for e in group if "duration" in e])

    branches = sorted(
        {e["git"]["branch"] for e in events},
        key=lambda b: measure([e for e in events if e["git"]["branch"] == b], max),
    )
    got = buckets(store, body)
    assert [b["by"]["@git.branch"] for b in got][::2] == branches
    for branch in branches:
        group = [e for e in events if e["git"]["branch"] == branch]
        avg = {
            s: measure([e for e in group if e["service"] == s], lambda v: sum(v) / len(v))
            for s in {e["service"] for e in group}
        }
        top = sorted(avg, key=lambda s: -avg[s])[:2]
        assert [b["by"]["service"] for b in got if b["by"]["@git.branch"] == branch] == top


def test_missing_puts_events_without_the_facet_in_a_bucket(store: LocalStore) -> None:
    body = {
        "filter": {"from": "now-2d"},
        "group_by": [{"facet": "service", "missing": "none", "limit": 50}],
    }
    events = within(AT_MS - 2 * DAY, AT_MS)
    counts = Counter(e.get("service", "none") for e in events)
    want = [{"by": {"service": s}, "computes": {"c0": counts[s]}} for s in byte_order(set(counts))]
    assert buckets(store, body) == want
    without = {"filter": {"from": "now-2d"}, "group_by": [{"facet": "service", "limit": 50}]}
    assert sum(b["computes"]["c0"] for b in buckets(store, without)) == len(events) - counts["none"]


def test_missing_on_a_number_facet(store: LocalStore) -> None:
    body = {
        "filter": {"from": "now-2d"},
        "group_by": [{"facet": "@duration", "missing": -1, "limit": 1, "sort": {"order": "asc"}}],
    }
    events = within(AT_MS - 2 * DAY, AT_MS)
    assert buckets(store, body) == [
        {"by": {"@duration": -1}, "computes": {"c0": sum("duration" not in e for e in events)}}
    ]


def every_page(store: LocalStore, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = aggregate(store, body)
    found: list[dict[str, Any]] = answer["data"]["buckets"]
    while after := answer["meta"].get("page", {}).get("after"):
        answer = aggregate(store, {**body, "page": {"cursor": after}})
        found += answer["data"]["buckets"]
    return found


def test_total_buckets(store: LocalStore) -> None:
    body = {
        "filter": {"from": "now-2d"},
        "group_by": [
            {"facet": "@git.branch", "total": True, "limit": 2},
            {"facet": "@test.status", "total": "all statuses"},
        ],
    }
    events = within(AT_MS - 2 * DAY, AT_MS)
    first_page = {b["by"]["@git.branch"] for b in buckets(store, body)}
    assert first_page == set(byte_order({e["git"]["branch"] for e in events})[:2])
    got = every_page(store, body)  # the top-level total comes with the last page
    branches = [*byte_order({e["git"]["branch"] for e in events}), "$facet_total"]
    assert list(dict.fromkeys(b["by"]["@git.branch"] for b in got)) == branches
    for bucket in got:
        branch, status = bucket["by"]["@git.branch"], bucket["by"]["@test.status"]
        group = [e for e in events if branch == "$facet_total" or e["git"]["branch"] == branch]
        group = [e for e in group if status == "all statuses" or e["test"]["status"] == status]
        assert bucket["computes"]["c0"] == len(group)
    statuses = [b["by"]["@test.status"] for b in got if b["by"]["@git.branch"] == "CLIP-381"]
    assert statuses == ["fail", "pass", "skip", "all statuses"]


def test_histogram_buckets(store: LocalStore) -> None:
    body = {
        "filter": {"from": "now-2d"},
        "group_by": [
            {"facet": "@duration", "histogram": {"interval": 1e8, "min": 2e8, "max": 6e8}}
        ],
    }
    events = [e for e in within(AT_MS - 2 * DAY, AT_MS) if 2e8 <= e.get("duration", -1) <= 6e8]
    counts = Counter(2e8 + (e["duration"] - 2e8) // 1e8 * 1e8 for e in events)
    want = [{"by": {"@duration": k}, "computes": {"c0": counts[k]}} for k in sorted(counts)]
    assert buckets(store, body) == want


def test_boolean_facets_group_as_text(store: LocalStore) -> None:
    body = {"filter": {"from": "now-2d"}, "group_by": [{"facet": "@test.is_flaky"}]}
    events = within(AT_MS - 2 * DAY, AT_MS)
    got = {b["by"]["@test.is_flaky"]: b["computes"]["c0"] for b in buckets(store, body)}
    assert got == {
        "false": sum(get(e, "test.is_flaky") is False for e in events),
        "true": sum(get(e, "test.is_flaky") is True for e in events),
    }


def test_unknown_attributes_are_empty_not_errors(store: LocalStore) -> None:
    body = {
        "compute": [
            {"aggregation": "pc90", "metric": "@nope"},
            {"aggregation": "count", "metric": "@nope"},
        ],
        "filter": {"from": "now-2d"},
    }
    assert buckets(store, body)[0]["computes"] == {"c0": None, "c1": 0}
    assert buckets(store, {"group_by": [{"facet": "@nope"}]}) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"compute": [{"aggregation": "p42", "metric": "@duration"}]}, "invalid aggregation"),
        ({"compute": [{"aggregation": "pc90", "metric": "@test.status"}]}, "numeric"),
        ({"compute": [{"aggregation": "avg"}]}, "needs a metric"),
        ({"compute": [{"aggregation": "count", "type": "graph"}]}, "compute type"),
        (
            {"compute": [{"aggregation": "count", "type": "timeseries", "interval": "5x"}]},
            "interval",
        ),
        (
            {
                "compute": [{"aggregation": "count", "type": "timeseries", "interval": "1s"}],
                "filter": {"from": "now-30d"},
            },
            "points",
        ),
        (
            {
                "group_by": [
                    {"facet": "service", "histogram": {"interval": 10, "min": 50, "max": 100}}
                ]
            },
            "histogram",
        ),
        (
            {
                "group_by": [
                    {"facet": "@duration", "histogram": {"interval": 1, "min": 0, "max": 1000}}
                ]
            },
            "100 buckets",
        ),
        (
            {"group_by": [{"facet": "service", "sort": {"type": "measure"}}]},
            "aggregation is required",
        ),
        ({"group_by": [{"facet": "service", "limit": 0}]}, "limit"),
        ({"filter": {"from": "now", "to": "now-1h"}}, "from"),
        ({"filter": {"from": "last week"}}, "invalid time"),
        ({"filter": {"query": "service:(a OR"}}, "search query"),
        ({"options": {"timezone": "Mars/Base"}}, "timezone"),
    ],
)
def test_invalid_requests_are_query_errors(
    store: LocalStore, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        aggregate(store, body)


def test_spans_body_must_be_wrapped(tmp_path: Path) -> None:
    local = LocalStore(tmp_path / "none", tmp_path / "cache")
    try:
        with pytest.raises(QueryError, match="wrapped"):
            aggregate(local, {"compute": [{"aggregation": "count"}]}, "datadog.spans")
    finally:
        local.close()
