"""An independent reference for Datadog aggregate requests: plain Python, no engine code.

It answers the same request bodies as :func:`qrunner.engine.aggregate.run_aggregate` over a
list of events (Datadog's attribute layout), following the semantics qrunner adopts
(API-FACTS and the README's "Where the Datadog docs are ambiguous"), written from those texts
rather than from the engine:

* events match ``from <= t < to`` and the query (given here as a tree, see :class:`Query`);
* each group_by level chooses its groups among the events having its facet (or all events,
  with ``missing``), sorted (alphabetical: byte order; measure: the value, nulls last, ties by
  key) and cut to ``limit``; a total adds one group over all the parent's events, after the
  others; a group with no events at the deepest level yields no bucket;
* computes are counted/aggregated over a bucket's events; percentiles interpolate linearly.

Only UTC windows in epoch milliseconds are modelled; the dataset has unique timestamps so
that latest/earliest are well defined.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]
PERCENTILES = {"pc75": 0.75, "pc90": 0.90, "pc95": 0.95, "pc98": 0.98, "pc99": 0.99, "median": 0.5}
NUMERIC = frozenset({*PERCENTILES, "sum", "min", "max", "avg", "delta"})
TOTAL_LABEL = "$facet_total"
AFTER_ALL = 10**9  # a total group's rank: after its siblings


def value_of(event: Event, facet: str) -> Any:
    """``@test.status`` → event["test"]["status"]; ``service`` → event["service"]."""
    node: Any = event
    for part in facet.removeprefix("@").split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# -- the query, as a tree that renders to search syntax and evaluates itself -------------------


@dataclass(frozen=True)
class Query:
    """``kind``: term | wildcard | range | compare | text | not | and | or | in."""

    kind: str
    facet: str = ""
    value: Any = None
    children: tuple[Query, ...] = ()

    def render(self) -> str:
        if self.kind == "term":
            return f"{self.facet}:{self.value}"
        if self.kind == "wildcard":
            return f"{self.facet}:{self.value}"
        if self.kind == "in":
            return f"{self.facet}:({' OR '.join(self.value)})"
        if self.kind == "range":
            low, high = self.value
            return f"{self.facet}:[{low} TO {high}]"
        if self.kind == "compare":
            op, number = self.value
            return f"{self.facet}:{op}{number}"
        if self.kind == "text":
            return str(self.value)
        if self.kind == "not":
            return "-" + self.children[0].render()
        joiner = " AND " if self.kind == "and" else " OR "
        return "(" + joiner.join(child.render() for child in self.children) + ")"

    def matches(self, event: Event) -> bool:
        if self.kind in ("and", "or"):
            results = (child.matches(event) for child in self.children)
            return all(results) if self.kind == "and" else any(results)
        if self.kind == "not":
            return not self.children[0].matches(event)
        if self.kind == "text":
            name = value_of(event, "test.name")
            return isinstance(name, str) and str(self.value).lower() in name.lower()
        value = value_of(event, self.facet)
        if value is None:
            return False
        if self.kind == "term":
            return _text(value) == str(self.value)
        if self.kind == "in":
            return _text(value) in self.value
        if self.kind == "wildcard":
            pattern = "".join(
                ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in self.value
            )
            return isinstance(value, str) and re.fullmatch(pattern, value, re.S) is not None
        if self.kind == "range":
            low, high = (_number(v) for v in self.value)
            return low <= value <= high
        op, number = self.value
        return bool(_COMPARE[op](value, _number(number)))


_COMPARE: dict[str, Callable[[Any, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}
_UNITS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def _number(text: Any) -> float:
    found = re.fullmatch(r"(-?\d+(?:\.\d+)?)([a-z]*)", str(text))
    assert found, text
    return float(found[1]) * _UNITS[found[2] or "ns"]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- aggregations -----------------------------------------------------------------------------


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def _order_key(value: Any) -> Any:
    return value.encode() if isinstance(value, str) else value


def aggregate(aggregation: str, metric: str | None, events: Sequence[Event]) -> Any:
    """One compute over ``events`` (sorted by time), as the API reports it."""
    if aggregation == "count" and metric is None:
        return len(events)
    assert metric is not None
    values = [v for v in (value_of(e, metric) for e in events) if v is not None]
    if aggregation == "count":
        return len(values)
    if aggregation == "cardinality":
        return len(set(values))
    if not values:
        return None
    if aggregation in PERCENTILES:
        return quantile(values, PERCENTILES[aggregation])
    plain: dict[str, Callable[[], Any]] = {
        "sum": lambda: float(sum(values)),
        "min": lambda: float(min(values)),
        "max": lambda: float(max(values)),
        "avg": lambda: sum(values) / len(values),
        "delta": lambda: float(values[-1] - values[0]),
        "latest": lambda: values[-1],
        "earliest": lambda: values[0],
        "most_frequent": lambda: min(
            Counter(values).items(), key=lambda kv: (-kv[1], _order_key(kv[0]))
        )[0],
    }
    found = plain[aggregation]()
    return float(found) if isinstance(found, int) else found


# -- the request ------------------------------------------------------------------------------


def _group_key(event: Event, level: dict[str, Any]) -> Any:
    value = value_of(event, level["facet"])
    if value is None:
        return level.get("missing")
    return _text(value) if isinstance(value, bool) else value


def _chosen(level: dict[str, Any], events: Sequence[Event]) -> list[tuple[Any, list[Event]]]:
    groups: dict[Any, list[Event]] = {}
    for event in events:
        key = _group_key(event, level)
        if key is not None:
            groups.setdefault(key, []).append(event)
    sort = level.get("sort") or {}
    descending = sort.get("order", "desc" if sort.get("type") == "measure" else "asc") == "desc"
    if sort.get("type") == "measure":
        measured = {
            key: aggregate(sort["aggregation"], sort.get("metric"), group)
            for key, group in groups.items()
        }
        ordered = sorted(groups, key=_order_key)  # ties: by key, ascending
        with_value = [k for k in ordered if measured[k] is not None]
        with_value.sort(key=lambda k: measured[k], reverse=descending)
        keys = with_value + [k for k in ordered if measured[k] is None]
    else:
        keys = sorted(groups, key=_order_key, reverse=descending)
    return [(key, groups[key]) for key in keys[: level.get("limit", 10)]]


def _series(
    compute: dict[str, Any], events: Sequence[Event], start: int, end: int
) -> list[tuple[int, Any]]:
    interval = compute["interval_ms"]
    first = start // interval * interval
    last = max(start, end - 1) // interval * interval
    inside: dict[int, list[Event]] = {}
    for event in events:  # in time order, so each point's events are too
        inside.setdefault(event["timestamp"] // interval * interval, []).append(event)
    return [
        (moment, aggregate(compute["aggregation"], compute.get("metric"), inside.get(moment, [])))
        for moment in range(first, last + 1, interval)
    ]


def evaluate(
    events: Sequence[Event], request: dict[str, Any], query: Query | None, *, paged: bool
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(by, computes) per bucket, in the answer's order. ``paged`` (tests aggregate): all
    pages put together — the top level's ``limit`` is the page size, every top-level group is
    answered, page after page. ``request`` is an aggregate body (unwrapped) whose timeseries
    computes carry ``interval_ms``; ``query`` is its ``filter.query`` as a tree."""
    start, end = request["filter"]["from"], request["filter"]["to"]
    matched = [
        e for e in events if start <= e["timestamp"] < end and (query is None or query.matches(e))
    ]
    levels = request.get("group_by") or []
    found: list[tuple[tuple[int, ...], dict[str, Any], list[Event]]] = []

    def descend(index: int, here: list[Event], by: dict[str, Any], ranks: tuple[int, ...]) -> None:
        if index == len(levels):
            if here:
                found.append((ranks, by, here))
            return
        level = levels[index]
        if index == 0 and paged:
            level = {**level, "limit": len(here)}  # every page
        for rank, (key, group) in enumerate(_chosen(level, here), start=1):
            descend(index + 1, group, {**by, level["facet"]: key}, (*ranks, rank))
        total = level.get("total")
        if total:
            label = TOTAL_LABEL if total is True else total
            descend(index + 1, here, {**by, level["facet"]: label}, (*ranks, AFTER_ALL))

    descend(0, matched, {}, ())
    if not levels:
        found = [((), {}, matched)]
    answer = []
    for _, by, group in sorted(found, key=lambda row: row[0]):
        computes = {}
        for index, compute in enumerate(request["compute"]):
            if compute.get("type") == "timeseries":
                computes[f"c{index}"] = _series(compute, group, start, end)
            else:
                computes[f"c{index}"] = aggregate(
                    compute["aggregation"], compute.get("metric"), group
                )
        answer.append((by, computes))
    return answer
