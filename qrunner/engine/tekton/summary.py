"""Tekton Results' summary endpoint (``.../records/summary``), answered locally over records.

:func:`summarize` takes the query parameters the server would get and returns the JSON body it
would answer, following what was measured against the real server (``API-FACTS.md``):
validation order and messages (``parent``, then ``summary``, ``group_by``, ``order_by``, then the
CEL ``filter``), status buckets from the first condition's reason, durations as PostgreSQL
interval text, time groups as Unix seconds of the bucket start (UTC, weeks from Monday), and
``{}`` for a grouped query without match — or whenever the server's SQL would fail.

Group fields are those the server reads: ``metadata.namespace``, the label
``tekton.dev/pipeline`` and the annotation ``pipelinesascode.tekton.dev/repository``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from qrunner.engine.tekton.cel.compile import (
    CelFilter,
    CelFilterError,
    CelSqlFailure,
    compile_filter,
    json_field,
)
from qrunner.engine.tekton.cel.compile import parse_timestamp as _parse_timestamp
from qrunner.engine.tekton.records import (
    Interval,
    Record,
    format_interval,
    load_tekton_records,
    parse_interval,
)
from qrunner.engine.tekton.sample import generate_tekton_sample
from qrunner.errors import QueryError
from qrunner.sources import server_order_by, tekton_query_params

__all__ = [
    "FIELD_GROUPS",
    "PIPELINE_LABEL",
    "REPOSITORY_ANNOTATION",
    "SUMMARY_ITEMS",
    "TIME_GROUPS",
    "Record",
    "TektonQueryError",
    "format_interval",
    "generate_tekton_sample",
    "load_tekton_records",
    "parse_interval",
    "server_order_by",
    "summarize",
    "tekton_query_params",
]

SUMMARY_ITEMS = (
    "total",
    "succeeded",
    "failed",
    "cancelled",
    "running",
    "others",
    "last_runtime",
    "avg_duration",
    "min_duration",
    "max_duration",
    "total_duration",
)
TIME_GROUPS = ("year", "month", "week", "day", "hour", "minute")
TIME_GROUP_FIELDS = ("completionTime", "startTime")
FIELD_GROUPS = ("namespace", "pipeline", "repository")
PIPELINE_LABEL = "tekton.dev/pipeline"
REPOSITORY_ANNOTATION = "pipelinesascode.tekton.dev/repository"

_PARENT = re.compile(r"([a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63})")
_PARENT_MESSAGE = "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)"
_ORDER_BY = re.compile(r"[\w.]+\s*(ASC|asc|DESC|desc)?", re.ASCII)
_SUCCEEDED = ("Succeeded", "Completed")
_KNOWN_REASONS = ("Succeeded", "Completed", "Failed", "Cancelled", "Running")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TektonQueryError(QueryError):
    """The server's HTTP 400: ``message`` is its text, ``body`` its JSON answer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.body: dict[str, Any] = {"code": 3, "message": message}


@dataclass(frozen=True, slots=True)
class SummaryQuery:
    """The validated parameters; ``None`` namespace or result means the ``-`` wildcard."""

    namespace: str | None
    result_name: str | None
    items: tuple[str, ...]
    group_by: str  # "" when not grouped
    order_by: tuple[str, bool] | None  # (item, descending)
    filter: str  # "" when none


def parse_summary_query(params: Mapping[str, str]) -> SummaryQuery:
    """Validate the parameters in the server's order; raise :class:`TektonQueryError`."""
    parent = params.get("parent", "")
    if not parent:
        raise TektonQueryError("parent missing")
    match = _PARENT.fullmatch(parent)
    if match is None:
        raise TektonQueryError(_PARENT_MESSAGE)
    namespace, result_name = match.groups()

    # Split as given: the server trims group_by and order_by, never the summary or its items.
    items = params.get("summary", "").split(",")
    if items == [""]:
        items.append("total")  # the server's default, which the empty item before it defeats
    for item in items:
        if item not in SUMMARY_ITEMS:
            raise TektonQueryError(f"invalid aggregate query: {item}")

    group_by = params.get("group_by", "").strip()
    if group_by:
        _check_group_by(group_by)

    order: tuple[str, bool] | None = None
    order_by = params.get("order_by", "").strip()
    if order_by and group_by:  # without group_by the server ignores order_by entirely
        parts = order_by.split(" ")
        if len(parts) != 2 or _ORDER_BY.fullmatch(order_by) is None:
            raise TektonQueryError(f"order_by does not recognize {order_by}")
        if parts[0] not in items:
            raise TektonQueryError(f"field name {parts[0]} is not allowed, must be one of summary")
        order = (parts[0], parts[1].upper() == "DESC")

    return SummaryQuery(
        None if namespace == "-" else namespace,
        None if result_name == "-" else result_name,
        tuple(items),
        group_by,
        order,
        params.get("filter", "").strip(),
    )


def _check_group_by(group_by: str) -> None:
    parts = group_by.split(" ")
    if parts[0] in TIME_GROUPS and len(parts) == 2:
        if parts[1] not in TIME_GROUP_FIELDS:
            raise TektonQueryError(f"group_by does not recognize {parts[1]}")
    elif parts[0] not in (*TIME_GROUPS, *FIELD_GROUPS) or len(parts) != 1:
        raise TektonQueryError(f"group_by does not recognize {group_by}")


def summarize(records: Sequence[Record], params: Mapping[str, str]) -> dict[str, Any]:
    """The JSON body the server answers for these query parameters over these records.

    ``{"summary": [...]}``, or ``{}`` for a grouped query without match and whenever the
    server's SQL would fail. Raises :class:`TektonQueryError` where the server answers 400.
    """
    query = parse_summary_query(params)
    try:
        cel_filter = compile_filter(query.filter) if query.filter else None
    except CelFilterError as e:
        raise TektonQueryError(e.message) from e
    except CelSqlFailure:
        return {}
    try:
        selected = [r for r in records if _selected(r, query, cel_filter)]
        rows = _aggregate(selected, query)
    except CelSqlFailure:
        return {}
    if not rows:
        return {}
    return {"summary": rows}


def _selected(record: Record, query: SummaryQuery, cel_filter: CelFilter | None) -> bool:
    if query.namespace is not None and record.namespace != query.namespace:
        return False
    if query.result_name is not None and record.result_name != query.result_name:
        return False
    if cel_filter is None:
        return True
    return cel_filter.matches(
        {
            "parent": record.namespace,
            "result_name": record.result_name,
            "name": record.short_name,
            "data_type": record.data_type,
            "data": record.data,
        }
    )


# ---------------------------------------------------------------------------------------------
# aggregation


def _micros(data: dict[str, Any], path: tuple[str, ...]) -> int | None:
    """A timestamp field cast like ``(data->...->>'x')::TIMESTAMP WITH TIME ZONE``, in µs."""
    text = json_field(data, path)
    if text is None:
        return None
    moment = _parse_timestamp(text)
    if moment is None:
        raise CelSqlFailure(f'invalid input syntax for type timestamp with time zone: "{text}"')
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _reason(record: Record) -> str | None:
    return json_field(record.data, ("status", "conditions", 0, "reason"))


def _duration(record: Record) -> Interval | None:
    end = _micros(record.data, ("status", "completionTime"))
    start = _micros(record.data, ("status", "startTime"))
    if end is None or start is None:
        return None
    return Interval.between(start, end)


def _truncate(moment: datetime, unit: str) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    if unit == "minute":
        return moment
    moment = moment.replace(minute=0)
    if unit == "hour":
        return moment
    moment = moment.replace(hour=0)
    if unit == "day":
        return moment
    if unit == "week":
        return moment - timedelta(days=moment.weekday())
    moment = moment.replace(day=1)
    return moment if unit == "month" else moment.replace(month=1)


def _group_key(group_by: str) -> Callable[[Record], Any]:
    parts = group_by.split(" ")
    if parts[0] in TIME_GROUPS:
        unit = parts[0]
        path = ("status", parts[1]) if len(parts) == 2 else ("metadata", "creationTimestamp")

        def time_key(record: Record) -> int | None:
            micros = _micros(record.data, path)
            if micros is None:
                return None
            moment = _EPOCH + timedelta(microseconds=micros)
            return int((_truncate(moment, unit) - _EPOCH).total_seconds())

        return time_key
    if parts[0] == "namespace":
        return lambda record: json_field(record.data, ("metadata", "namespace"))
    key_path = (
        ("metadata", "labels", PIPELINE_LABEL)
        if parts[0] == "pipeline"
        else ("metadata", "annotations", REPOSITORY_ANNOTATION)
    )

    def concat_key(record: Record) -> str:
        # CONCAT(namespace, '/', value): NULLs become empty strings.
        namespace = json_field(record.data, ("metadata", "namespace")) or ""
        return f"{namespace}/{json_field(record.data, key_path) or ''}"

    return concat_key


def _aggregate(selected: list[Record], query: SummaryQuery) -> list[dict[str, Any]]:
    if not query.group_by:
        return [_summary_row(selected, query.items)]
    key_of = _group_key(query.group_by)
    groups: dict[Any, list[Record]] = {}
    for record in selected:
        groups.setdefault(key_of(record), []).append(record)
    # The server leaves the order to PostgreSQL; ours is by group value, NULL last.
    keys = sorted(groups, key=lambda k: (k is None, k if k is not None else 0))
    rows = []
    for key in keys:
        row = _summary_row(groups[key], query.items)
        row["group_value"] = key
        rows.append(dict(sorted(row.items())))
    if query.order_by is not None:
        item, descending = query.order_by
        # ASC puts NULLs last and DESC puts them first: NULL is the largest value either way.
        present = [r for r in rows if r[item] is not None]
        missing = [r for r in rows if r[item] is None]
        present.sort(key=lambda r: _sort_value(r[item]), reverse=descending)
        rows = missing + present if descending else present + missing
    return rows


def _sort_value(value: Any) -> float:
    if isinstance(value, str):
        return parse_interval(value)
    return float(value)


def _summary_row(records: list[Record], items: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    needs_reason = {"succeeded", "failed", "cancelled", "running", "others"} & set(items)
    reasons = [_reason(r) for r in records] if needs_reason else []
    durations: list[Interval] = []
    if any(item.endswith("_duration") for item in items):
        durations = [d for r in records if (d := _duration(r)) is not None]
    for item in items:
        if item == "total":
            row[item] = len(records)
        elif item == "succeeded":
            row[item] = sum(reason in _SUCCEEDED for reason in reasons)
        elif item == "others":
            row[item] = sum(r is not None and r not in _KNOWN_REASONS for r in reasons)
        elif item in ("failed", "cancelled", "running"):
            row[item] = sum(reason == item.capitalize() for reason in reasons)
        elif item == "last_runtime":
            starts = [
                m for r in records if (m := _micros(r.data, ("status", "startTime"))) is not None
            ]
            row[item] = _epoch_seconds(max(starts)) if starts else None
        else:
            row[item] = _duration_text(item, durations)
    return dict(sorted(row.items()))


def _duration_text(item: str, durations: list[Interval]) -> str | None:
    if not durations:
        return None
    if item == "min_duration":
        return str(min(durations, key=Interval.sort_key))
    if item == "max_duration":
        return str(max(durations, key=Interval.sort_key))
    total = durations[0]
    for duration in durations[1:]:
        total = total + duration
    return str(total if item == "total_duration" else total.divide(len(durations)))


def _epoch_seconds(micros: int) -> int | float:
    return micros // 1_000_000 if micros % 1_000_000 == 0 else micros / 1_000_000
