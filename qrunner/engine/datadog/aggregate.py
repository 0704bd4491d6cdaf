"""Datadog aggregate semantics (CI tests, CI pipelines, spans) on DuckDB, in the APIs' shapes.

:func:`run_aggregate` answers a request body exactly as the live endpoint would shape it:
``{"meta", "data": {"buckets": [{"by", "computes"}]}}`` for tests/pipelines,
``{"data": [{"type": "bucket", "id", "attributes": {"compute", "by"}}], "meta"}`` for spans.

Semantics and the choices made where the APIs don't say:

* defaults: ``from`` now-15m, ``to`` now, ``query`` ``*``, compute ``type`` total, ``limit`` 10,
  ``total`` false, sort alphabetical ascending (byte order); a measure sort defaults to
  descending. Without ``compute`` the request counts events. Events match ``from <= t < to``.
* aggregations: count (with a metric: events having it), cardinality, pc75..pc99 and median
  (``quantile_cont``), sum, min, max, avg, latest/earliest (value at the latest/earliest event
  having it), most_frequent (ties → smallest value), delta (latest - earliest). Counts are
  integers, numbers floats, ``null`` when no event has a value; latest/earliest/most_frequent
  of a string attribute are strings. Numeric aggregations of a string/boolean attribute, a
  histogram of one, or an unknown aggregation are a :class:`QueryError` (the API's 400). An
  attribute no event has is not an error: its values are null.
* group_by: events lacking a facet are in no bucket unless ``missing`` gives their value;
  limits apply per level, and each level's groups are chosen among the events having its
  facet, whatever deeper facets they lack (a parent whose events all lack the child facet
  yields no bucket; its sort value counts all its events — API-FACTS); boolean facet values
  are ``"true"``/``"false"``; histogram buckets are keyed by their lower bound and values
  outside ``[min, max]`` are left out (at most 100 buckets). ``total`` adds, per kept parent
  bucket, one bucket keyed ``$facet_total`` (or the given string/number) over *all* matching
  events of that parent, placed after the others.
* pages (tests aggregate only, :mod:`.page`): when the top level has more groups
  than its ``limit``, ``meta.page.after`` is a cursor; the follow-up with ``page.cursor``
  answers the next groups. A top-level ``total`` comes with the last page.
* no group_by: always exactly one bucket with ``"by": {}`` — with count 0 / null values when
  nothing matched (the API is only documented to answer ``buckets: []`` for a grouped query).
* timeseries: points every ``interval`` (default: a round interval giving at most ~150 points)
  from the bucket holding ``from`` to the one holding ``to``; buckets align to the epoch shifted
  by the zone's UTC offset (``options.timezone`` at ``from``, or ``time_offset``/``timeOffset``
  seconds); empty buckets are 0 for counts and null otherwise.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from itertools import combinations
from typing import Any

from qrunner.engine.datadog.datemath import format_epoch_ms
from qrunner.engine.datadog.page import PAGED_SOURCES, make_cursor, read_offset
from qrunner.engine.datadog.request import AggregateRequest, Level, parse_request, sql_literal
from qrunner.engine.datadog.search.sql import compile_search
from qrunner.engine.datadog.sql import (
    ComputePlan,
    LevelPlan,
    StatementPlan,
    build_statement,
)
from qrunner.engine.datadog.unknown import RecordingResolver
from qrunner.engine.store.columns import TIME_COLUMN, Dataset
from qrunner.engine.store.datastore import LocalStore
from qrunner.errors import QueryError
from qrunner.sources import Source, aggregate_attributes

_AFTER_ALL = 2**62  # a total bucket's rank: after its siblings, on any page
_BUCKET_NAMESPACE = uuid.UUID("5b0f2a4e-8e0c-4b6e-9d8f-0b1c4c1f7a10")


AnswerObserver = Callable[[Source, dict[str, Any]], None]
_observers: list[AnswerObserver] = []


def observe_answers(observer: AnswerObserver) -> Callable[[], None]:
    """Have ``observer(source, answer)`` called with every answer :func:`run_aggregate` gives
    (the test suite checks each against its endpoint's response schema); returns a function
    that stops it."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)


def run_aggregate(
    store: LocalStore, source: Source, body: dict[str, Any], at: datetime
) -> dict[str, Any]:
    """Answer one aggregate request body for ``source`` as of ``at``."""
    answer = _answer(store, source, body, at)
    for observer in list(_observers):
        observer(source, answer)
    return answer


def _answer(
    store: LocalStore, source: Source, body: dict[str, Any], at: datetime
) -> dict[str, Any]:
    started = time.monotonic()
    if source.wrapped and "data" not in body and body:
        raise QueryError(
            "spans aggregate requests must be wrapped: "
            '{"data": {"type": "aggregate_request", "attributes": {...}}}'
        )
    attributes = aggregate_attributes(source, body)
    dataset = store.dataset(source.dataset)
    resolver = RecordingResolver(dataset.resolver, sorted(dataset.columns), source.dataset)
    request = parse_request(attributes, resolver, at, source.time_offset_key)
    where = (
        f"{TIME_COLUMN} >= {request.start_ms} AND {TIME_COLUMN} < {request.end_ms} "
        f"AND {compile_search(request.query, resolver, strict=False)}"
    )
    paged = source.name in PAGED_SOURCES and bool(request.levels)
    offset = read_offset(attributes) if paged else 0
    rows: list[dict[str, Any]] = []
    more = False
    total_levels = [i for i, level in enumerate(request.levels) if level.total is not None]
    for size in range(len(total_levels) + 1):
        for replaced in combinations(total_levels, size):
            if more and 0 in replaced:
                continue  # the top-level total comes with the last page
            counted = paged and not replaced
            plan = _plan(dataset, request, where, frozenset(replaced), offset, counted)
            found = _execute(store, plan, request, frozenset(replaced))
            if counted:
                groups = next(row["__groups"] for row in found if row["__part"] == -1)
                more = groups > offset + request.levels[0].limit
            rows.extend(row for row in found if row["__part"] >= 0)
    buckets = _assemble(request, rows)
    request_id = _request_id(source, body, at)
    meta: dict[str, Any] = {
        "elapsed": int((time.monotonic() - started) * 1000),
        "request_id": request_id,
        "status": "done",
    }
    if more:
        meta["page"] = {"after": make_cursor(attributes, offset + request.levels[0].limit)}
    if dataset.rows and resolver.missing:  # no event at all is no data, not a typo
        meta["warnings"] = resolver.warnings()
    if not source.wrapped:
        return {"meta": meta, "data": {"buckets": buckets}}
    data = [
        {
            "type": "bucket",
            "id": str(uuid.uuid5(_BUCKET_NAMESPACE, f"{request_id}/{index}")),
            "attributes": {"compute": bucket["computes"], "by": bucket["by"]},
        }
        for index, bucket in enumerate(buckets)
    ]
    return {"data": data, "meta": meta}


def _request_id(source: Source, body: dict[str, Any], at: datetime) -> str:
    text = json.dumps([source.name, body, at.isoformat()], sort_keys=True, default=str)
    return "qrunner-local-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _plan(
    dataset: Dataset,
    request: AggregateRequest,
    where: str,
    replaced: frozenset[int],
    offset: int,
    counted: bool,
) -> StatementPlan:
    levels = []
    for index, level in enumerate(request.levels):
        if index in replaced and level.total is not None:
            levels.append(LevelPlan(sql_literal(level.total), False, 1, "ASC", None))
        else:
            levels.append(
                LevelPlan(level.key_sql, level.required, level.limit, level.order, level.measure)
            )
    computes = tuple(
        ComputePlan(c.key, c.aggregation, c.metric_sql, c.interval_ms) for c in request.computes
    )
    return StatementPlan(
        dataset.table,
        where,
        tuple(levels),
        computes,
        request.offset_ms,
        offset=0 if 0 in replaced else offset,
        count_groups=counted,
    )


def _execute(
    store: LocalStore, plan: StatementPlan, request: AggregateRequest, replaced: frozenset[int]
) -> list[dict[str, Any]]:
    import duckdb

    sql = build_statement(plan)
    with store.cursor() as cursor:
        try:
            result = cursor.execute(sql)
            names = [d[0] for d in result.description]
            fetched = result.fetchall()
        except duckdb.Error as e:
            raise QueryError(f"the local engine could not run this query: {e}") from e
    rows = [dict(zip(names, row, strict=True)) for row in fetched]
    for row in rows:
        row["__ranks"] = tuple(
            _AFTER_ALL if i in replaced else row[f"r{i + 1}"] for i in range(len(request.levels))
        )
    return rows


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "float" or isinstance(value, int | float | Decimal):
        return _number(value)
    return str(value)


def _key(value: Any, level: Level) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if level.histogram and isinstance(value, int | float):
        return float(value)
    return value


def _assemble(request: AggregateRequest, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    intervals = sorted({c.interval_ms for c in request.computes if c.interval_ms is not None})
    buckets: dict[tuple[Any, ...], dict[str, Any]] = {}
    ranks: dict[tuple[Any, ...], tuple[int, ...]] = {}
    series: dict[tuple[tuple[Any, ...], str], dict[int, Any]] = {}
    for row in rows:
        key = tuple(_key(row[f"k{i + 1}"], lv) for i, lv in enumerate(request.levels))
        if key not in buckets:
            by = {lv.facet: value for lv, value in zip(request.levels, key, strict=True)}
            buckets[key] = {"by": by, "computes": {}}
            ranks[key] = row["__ranks"]
        part = row["__part"]
        for compute in request.computes:
            if part == 0 and compute.interval_ms is None:
                buckets[key]["computes"][compute.key] = _value(row[compute.key], compute.kind)
            elif part and compute.interval_ms == intervals[part - 1]:
                series.setdefault((key, compute.key), {})[int(row["__tb"])] = row[compute.key]
    if not request.levels and () not in buckets:
        buckets[()] = {"by": {}, "computes": {}}
        ranks[()] = ()
    for key, bucket in buckets.items():
        for compute in request.computes:
            if compute.interval_ms is None:
                continue
            points = series.get((key, compute.key), {})
            empty = 0 if compute.kind == "int" else None
            bucket["computes"][compute.key] = [
                {
                    "time": format_epoch_ms(moment),
                    "value": _value(points[moment], compute.kind) if moment in points else empty,
                }
                for moment in _bucket_starts(request, compute.interval_ms)
            ]
        bucket["computes"] = {c.key: bucket["computes"].get(c.key) for c in request.computes}
    return [buckets[key] for key in sorted(buckets, key=lambda k: ranks[k])]


def _bucket_starts(request: AggregateRequest, interval: int) -> range:
    off = request.offset_ms
    first = (request.start_ms + off) // interval * interval - off
    last = (max(request.start_ms, request.end_ms - 1) + off) // interval * interval - off
    return range(first, last + 1, interval)
