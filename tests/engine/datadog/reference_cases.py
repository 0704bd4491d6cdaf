"""The dataset and the generated requests that compare the engine with :mod:`.reference`.

Shared by the test (a few hundred cases, fixed seed) and ``tests/bench/reference_run.py``
(thousands, any seed). Requests are Hypothesis strategies; each case is an aggregate body for
one of the three Datadog sources (the same events are loaded as each dataset), the same body
with intervals in milliseconds for the reference, and the query as a tree.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.engine.datadog.reference import Event, Query, evaluate

AT = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
AT_MS = int(AT.timestamp() * 1000)
HOUR = 3_600_000
SPAN_HOURS = 48
SERVICES = ["api", "web", "Zed", "batch", "b\u00e9ta", "web-ui"]
STATUSES = ["pass", "fail", "skip"]
BRANCHES = ["main", "dev", "feature/x", "CLIP-381"]
NAMES = ["test_login", "test_Logout", "t1", "t10", "t2_slow", "checkout_flow"]
FACETS = ["service", "@test.status", "@git.branch", "@test.is_flaky", "@test.retries"]
STRING_FACETS = {"service", "@test.status", "@git.branch", "@test.name"}
MEASURES = ["@duration", "@test.retries"]
AGGREGATIONS = [
    "count", "cardinality", "pc75", "pc90", "pc95", "pc98", "pc99", "median",
    "sum", "min", "max", "avg", "latest", "earliest", "most_frequent", "delta",
]  # fmt: skip
NUMERIC = {"pc75", "pc90", "pc95", "pc98", "pc99", "median", "sum", "min", "max", "avg", "delta"}
INTERVALS = {"1h": HOUR, "3h": 3 * HOUR, "6h": 6 * HOUR, "1d": 24 * HOUR}


def make_events(count: int = 2500, seed: int = 10) -> list[Event]:
    """Events over the two days before :data:`AT`, each at its own millisecond."""
    rng = random.Random(seed)
    stamps = rng.sample(range(AT_MS - SPAN_HOURS * HOUR, AT_MS + HOUR), count)
    events = []
    for stamp in sorted(stamps):
        test: dict[str, Any] = {"name": rng.choice(NAMES)}
        event: dict[str, Any] = {"timestamp": stamp, "test_level": "test", "test": test}
        if rng.random() < 0.9:
            event["service"] = rng.choice(SERVICES)
        if rng.random() < 0.95:
            test["status"] = rng.choice(STATUSES)
        if rng.random() < 0.8:
            event["git"] = {"branch": rng.choice(BRANCHES)}
        if rng.random() < 0.85:
            event["duration"] = rng.randrange(1, 5 * 10**9)
        if rng.random() < 0.5:
            test["retries"] = rng.randrange(4)
        if rng.random() < 0.3:
            test["is_flaky"] = rng.random() < 0.5
        events.append(event)
    return events


SOURCES = ("datadog.ci_tests", "datadog.ci_pipelines", "datadog.spans")
PAGED = "datadog.ci_tests"  # the one source that answers pages


def write_events(events: list[Event], directory: Path) -> Path:
    """The same events as each Datadog dataset (JSON Lines); returns the data directory."""
    for dataset in ("ci_tests", "ci_pipelines", "spans"):
        (directory / dataset).mkdir(parents=True, exist_ok=True)
        with (directory / dataset / "events.jsonl").open("w", encoding="utf-8") as sink:
            sink.writelines(json.dumps(event) + "\n" for event in events)
    return directory


# -- requests --------------------------------------------------------------------------------

_leaf = st.one_of(
    st.builds(Query, st.just("term"), st.just("@test.status"), st.sampled_from(STATUSES)),
    st.builds(Query, st.just("term"), st.just("service"), st.sampled_from(SERVICES)),
    st.builds(Query, st.just("term"), st.just("@test.is_flaky"), st.sampled_from(["true", "0"])),
    st.builds(Query, st.just("term"), st.just("@test.retries"), st.sampled_from(["0", "1", "3"])),
    st.builds(
        Query, st.just("in"), st.just("@git.branch"),
        st.lists(st.sampled_from(BRANCHES), min_size=1, max_size=3, unique=True).map(tuple),
    ),
    st.builds(
        Query, st.just("wildcard"), st.sampled_from(["@test.name", "service", "@git.branch"]),
        st.sampled_from(["t1*", "test_*", "*a*", "?eb*", "w*", "feature/*", "*-381", "t?"]),
    ),
    st.builds(
        Query, st.just("range"), st.just("@duration"),
        st.sampled_from([("100ms", "2s"), ("0", "1000000000"), ("1.5s", "4s")]),
    ),
    st.builds(
        Query, st.just("compare"), st.sampled_from(["@duration", "@test.retries"]),
        st.tuples(st.sampled_from([">", ">=", "<", "<="]), st.sampled_from(["1", "2", "3s"])),
    ),
    st.builds(Query, st.just("text"), st.just(""), st.sampled_from(["login", "T1", "flow"])),
)  # fmt: skip


def _negated(node: Query) -> Query:
    return Query("not", children=(node,))


_query = st.recursive(
    st.one_of(_leaf, _leaf.map(_negated)),
    lambda inner: st.builds(
        Query,
        st.sampled_from(["and", "or"]),
        st.just(""),
        st.none(),
        st.lists(inner, min_size=2, max_size=3).map(tuple),
    ),
    max_leaves=4,
)


@st.composite
def _metric_compute(draw: st.DrawFn, *, for_sort: bool = False) -> dict[str, Any]:
    aggregation = draw(st.sampled_from(AGGREGATIONS))
    if aggregation == "count" and draw(st.booleans()):
        return {"aggregation": "count"}
    pool = MEASURES if aggregation in NUMERIC else [*MEASURES, "@test.status", "@git.branch"]
    if for_sort and aggregation in ("latest", "earliest", "most_frequent"):
        pool = MEASURES  # a sort by a text value is not a measure
    return {"aggregation": aggregation, "metric": draw(st.sampled_from(pool))}


@st.composite
def _level(draw: st.DrawFn, facet: str) -> dict[str, Any]:
    level: dict[str, Any] = {"facet": facet, "limit": draw(st.integers(1, 4))}
    sort = draw(st.sampled_from(["none", "asc", "desc", "measure"]))
    if sort in ("asc", "desc"):
        level["sort"] = {"type": "alphabetical", "order": sort}
    elif sort == "measure":
        level["sort"] = {"type": "measure", **draw(_metric_compute(for_sort=True))}
        if draw(st.booleans()):
            level["sort"]["order"] = draw(st.sampled_from(["asc", "desc"]))
    if draw(st.integers(0, 3)) == 0:
        level["missing"] = -1 if facet == "@test.retries" else "n/a"
    total = draw(st.sampled_from([None, None, True, "all"]))
    if total is not None:
        level["total"] = total
    return level


@dataclass(frozen=True)
class Case:
    source: str  # datadog.ci_tests, datadog.ci_pipelines or datadog.spans
    body: dict[str, Any]  # for the engine (spans: wrapped)
    reference: dict[str, Any]  # unwrapped, with timeseries intervals in milliseconds
    query: Query | None


@st.composite
def cases(draw: st.DrawFn) -> Case:
    start = AT_MS - draw(st.integers(1, SPAN_HOURS)) * HOUR + draw(st.integers(0, HOUR - 1))
    end = min(AT_MS, start + draw(st.integers(1, SPAN_HOURS)) * HOUR)
    query = draw(_query) if draw(st.integers(0, 2)) else None
    computes, reference_computes = [], []
    for _ in range(draw(st.integers(1, 3))):
        compute = draw(_metric_compute())
        reference_compute = dict(compute)
        if draw(st.integers(0, 3)) == 0:
            interval = draw(st.sampled_from(sorted(INTERVALS)))
            compute = {**compute, "type": "timeseries", "interval": interval}
            reference_compute = {**compute, "interval_ms": INTERVALS[interval]}
        computes.append(compute)
        reference_computes.append(reference_compute)
    depth = draw(st.sampled_from([0, 1, 1, 2, 2, 3, 3]))
    facets = draw(st.permutations(FACETS))[:depth]
    levels = [draw(_level(facet)) for facet in facets]
    window: dict[str, Any] = {"from": start, "to": end}
    if query is not None:
        window["query"] = query.render()
    body = {"compute": computes, "filter": window, "group_by": levels}
    source = draw(st.sampled_from([PAGED, PAGED, *SOURCES]))
    sent = body
    if source == "datadog.spans":
        sent = {"data": {"type": "aggregate_request", "attributes": body}}
    return Case(source, sent, {**body, "compute": reference_computes}, query)


# -- comparison ------------------------------------------------------------------------------


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, float) and isinstance(ours, int | float) and not isinstance(ours, bool):
        return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-6)
    return bool(ours == theirs)


def _millis(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def differences(engine: list[dict[str, Any]], events: list[Event], case: Case) -> list[str]:
    """What differs between the engine's buckets (all pages) and the reference, bucket by
    bucket; empty when they agree."""
    expected = evaluate(events, case.reference, case.query, paged=case.source == PAGED)
    found = []
    if len(engine) != len(expected):
        found.append(f"{len(engine)} buckets, the reference has {len(expected)}")
    for index, (bucket, (by, computes)) in enumerate(zip(engine, expected, strict=False)):
        if bucket["by"] != by:
            found.append(f"bucket {index}: by {bucket['by']} != {by}")
            continue
        for key, wanted in computes.items():
            got = bucket["computes"].get(key)
            if isinstance(wanted, list):
                points = [(_millis(p["time"]), p["value"]) for p in got or []]
                same = len(points) == len(wanted) and all(
                    t == u and _same(v, w) for (t, v), (u, w) in zip(points, wanted, strict=True)
                )
            else:
                same = _same(got, wanted)
            if not same:
                found.append(f"bucket {index} {by}: {key} = {got!r}, the reference has {wanted!r}")
    return found
