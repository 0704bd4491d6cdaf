"""An aggregate request body, checked and resolved against a dataset's columns.

Every problem the live API would answer with 400 is a :class:`QueryError` here, worded like
the API's errors; what the API would accept but find nothing for (an attribute no event has)
is not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from qrunner.engine.base import Column
from qrunner.engine.datadog.datemath import (
    default_interval,
    parse_instant,
    parse_interval,
    parse_timezone,
    utc_offset_ms,
)
from qrunner.engine.datadog.search.nodes import FieldResolver
from qrunner.engine.datadog.sql import AGGREGATIONS, NUMERIC_AGGREGATIONS
from qrunner.errors import QueryError

MAX_POINTS = 10_000
MAX_HISTOGRAM_BUCKETS = 100
TOTAL_LABEL = "$facet_total"


@dataclass(frozen=True, slots=True)
class Compute:
    key: str  # c0, c1...
    aggregation: str
    metric_sql: str | None
    interval_ms: int | None  # None: type total
    kind: str  # "int" | "float" | "any": how values are reported


@dataclass(frozen=True, slots=True)
class Level:
    facet: str  # as written in the request: the key of "by"
    key_sql: str  # NULL for an event in no bucket of this level (unless ``missing`` fills it)
    required: bool  # False when ``missing`` gives every event a key
    limit: int
    order: str  # ASC | DESC
    measure: tuple[str, str | None] | None
    total: str | float | None
    histogram: bool


@dataclass(frozen=True, slots=True)
class AggregateRequest:
    query: str
    start_ms: int
    end_ms: int
    computes: tuple[Compute, ...]
    levels: tuple[Level, ...]
    offset_ms: int


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise QueryError(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise QueryError(f"{where} must be a list of objects")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryError(f"{where} must be a number, not {value!r}")
    return float(value)


def sql_literal(value: str | float) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _resolve(name: Any, resolver: FieldResolver, where: str) -> Column | None:
    if not isinstance(name, str) or not name.strip("@ "):
        raise QueryError(f"{where} must name an attribute, not {name!r}")
    name = name.strip()
    if name.startswith("@"):
        return resolver.resolve(name[1:], reserved=False)
    return resolver.resolve(name, reserved=True)


def _metric(
    aggregation: Any, metric: Any, resolver: FieldResolver, where: str
) -> tuple[str, str | None, Column | None]:
    if aggregation not in AGGREGATIONS:
        allowed = ", ".join(sorted(AGGREGATIONS))
        raise QueryError(f"{where}.aggregation: invalid aggregation {aggregation!r} ({allowed})")
    if metric is None:
        if aggregation != "count":
            raise QueryError(f"{where}: aggregation {aggregation} needs a metric")
        return aggregation, None, None
    column = _resolve(metric, resolver, f"{where}.metric")
    if aggregation in NUMERIC_AGGREGATIONS and column is not None and column.kind != "number":
        raise QueryError(
            f"{where}: aggregation {aggregation} needs a numeric (measure) metric, "
            f"but {metric} is a {column.kind} facet"
        )
    return aggregation, column.sql if column else "CAST(NULL AS DOUBLE)", column


def _computes(raw: Any, resolver: FieldResolver, start_ms: int, end_ms: int) -> tuple[Compute, ...]:
    items = _list(raw, "compute") or [{"aggregation": "count"}]
    computes = []
    for index, item in enumerate(items):
        where = f"compute[{index}]"
        aggregation, metric_sql, column = _metric(
            item.get("aggregation"), item.get("metric"), resolver, where
        )
        kind = item.get("type") or "total"
        if kind not in ("total", "timeseries"):
            raise QueryError(f"{where}.type: invalid compute type {kind!r} (timeseries, total)")
        interval = None
        if kind == "timeseries":
            given = item.get("interval")
            try:
                interval = (
                    default_interval(start_ms, end_ms) if given is None else parse_interval(given)
                )
            except QueryError as e:
                raise QueryError(f"{where}.interval: {e}") from e
            if (end_ms - start_ms) / interval > MAX_POINTS:
                raise QueryError(
                    f"{where}.interval: {given} gives more than {MAX_POINTS} points over the range"
                )
        if aggregation in ("count", "cardinality"):
            shown = "int"
        elif aggregation in NUMERIC_AGGREGATIONS or (column and column.kind == "number"):
            shown = "float"
        else:
            shown = "any"
        computes.append(Compute(f"c{index}", aggregation, metric_sql, interval, shown))
    return tuple(computes)


def _histogram(facet: str, column: Column | None, raw: Mapping[str, Any], where: str) -> Level:
    interval = _number(raw.get("interval"), f"{where}.histogram.interval")
    low = _number(raw.get("min"), f"{where}.histogram.min")
    high = _number(raw.get("max"), f"{where}.histogram.max")
    if interval <= 0 or low > high:
        raise QueryError(f"{where}.histogram: needs interval > 0 and min <= max")
    if (high - low) / interval > MAX_HISTOGRAM_BUCKETS:
        raise QueryError(f"{where}.histogram: at most {MAX_HISTOGRAM_BUCKETS} buckets are allowed")
    if column is not None and column.kind != "number":
        raise QueryError(
            f"{where}.histogram: only measure facets can be histograms; {facet} is a "
            f"{column.kind} facet"
        )
    if column is None:
        return Level(facet, "CAST(NULL AS DOUBLE)", True, 0, "ASC", None, None, True)
    v, lo, iv = column.sql, sql_literal(low), sql_literal(interval)
    key = (
        f"CASE WHEN {v} BETWEEN {lo} AND {sql_literal(high)} "
        f"THEN CAST({lo} + floor(({v} - {lo}) / {iv}) * {iv} AS DOUBLE) END"
    )
    return Level(facet, key, True, 0, "ASC", None, None, True)


def _level(raw: Mapping[str, Any], index: int, resolver: FieldResolver) -> Level:
    where = f"group_by[{index}]"
    facet = raw.get("facet")
    column = _resolve(facet, resolver, f"{where}.facet")
    assert isinstance(facet, str)
    missing = raw.get("missing")
    if raw.get("histogram") is not None:
        base = _histogram(facet, column, _mapping(raw["histogram"], f"{where}.histogram"), where)
        key, required = base.key_sql, True
    elif column is None:
        key = "NULL" if missing is None else sql_literal(missing)
        required = missing is None
    else:
        key = f"CAST({column.sql} AS VARCHAR)" if column.kind == "boolean" else column.sql
        required = missing is None
        if missing is not None:
            same_kind = isinstance(missing, str) == (column.kind != "number")
            if not same_kind or column.kind == "boolean":
                key = f"CAST({key} AS VARCHAR)"
                missing = missing if isinstance(missing, str) else sql_literal(missing)
            key = f"COALESCE({key}, {sql_literal(missing)})"

    limit = raw.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise QueryError(f"{where}.limit must be a positive integer, not {limit!r}")
    sort = _mapping(raw.get("sort"), f"{where}.sort")
    sort_type = sort.get("type") or "alphabetical"
    if sort_type not in ("alphabetical", "measure"):
        raise QueryError(f"{where}.sort.type: invalid sort type {sort_type!r}")
    order = sort.get("order") or ("asc" if sort_type == "alphabetical" else "desc")
    if order not in ("asc", "desc"):
        raise QueryError(f"{where}.sort.order: invalid order {order!r} (asc, desc)")
    measure = None
    if sort_type == "measure":
        if sort.get("aggregation") is None:
            raise QueryError(f"{where}.sort: aggregation is required when type is measure")
        aggregation, metric_sql, _ = _metric(
            sort.get("aggregation"), sort.get("metric"), resolver, f"{where}.sort"
        )
        measure = (aggregation, metric_sql)
    total_raw = raw.get("total")
    total: str | float | None
    if total_raw is True:
        total = TOTAL_LABEL
    elif total_raw is None or total_raw is False:
        total = None
    elif isinstance(total_raw, str):
        total = total_raw
    else:
        total = _number(total_raw, f"{where}.total")
    return Level(
        facet,
        key,
        required,
        limit,
        order.upper(),
        measure,
        total,
        raw.get("histogram") is not None,
    )


def _zone(options: Mapping[str, Any], offset_key: str) -> tzinfo:
    name, offset = options.get("timezone"), options.get(offset_key)
    if name is not None and offset is not None:
        raise QueryError("options: supply either timezone or a time offset, not both")
    if name is not None:
        if not isinstance(name, str):
            raise QueryError(f"options.timezone must be a string, not {name!r}")
        return parse_timezone(name)
    if offset is not None:
        seconds = _number(offset, f"options.{offset_key}")
        if abs(seconds) >= 86_400:
            raise QueryError(f"options.{offset_key} must be less than a day")
        return timezone(timedelta(seconds=int(seconds)))
    return UTC


def parse_request(
    attributes: Mapping[str, Any], resolver: FieldResolver, at: datetime, offset_key: str
) -> AggregateRequest:
    """Check a ``{compute, filter, group_by, options}`` body and resolve its attributes."""
    zone = _zone(_mapping(attributes.get("options"), "options"), offset_key)
    window = _mapping(attributes.get("filter"), "filter")
    start = parse_instant(window.get("from", "now-15m"), at=at, zone=zone)
    end = parse_instant(window.get("to", "now"), at=at, zone=zone)
    if start > end:
        raise QueryError("filter: from must not be after to")
    query = window.get("query")
    if query is not None and not isinstance(query, str):
        raise QueryError("filter.query must be a string")
    computes = _computes(attributes.get("compute"), resolver, start, end)
    levels = tuple(
        _level(raw, i, resolver)
        for i, raw in enumerate(_list(attributes.get("group_by"), "group_by"))
    )
    return AggregateRequest(
        query=(query or "").strip() or "*",
        start_ms=start,
        end_ms=end,
        computes=computes,
        levels=levels,
        offset_ms=utc_offset_ms(zone, start),
    )
