"""Results as data: what a query returned, normalised across the APIs' response shapes.

Backends return the raw, API-shaped response (``qrunner query`` prints it verbatim);
:func:`normalize_response` turns it into :class:`QueryResult` for the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qrunner.errors import BackendResponseError
from qrunner.sources import Source


@dataclass(frozen=True, slots=True)
class TimePoint:
    time: str  # ISO-8601 as the API gave it
    value: float | None


Value = float | str | list[TimePoint] | None


@dataclass(frozen=True, slots=True)
class Bucket:
    by: dict[str, Any]  # {} for an ungrouped query; Tekton: {"group_value": ...}
    values: dict[str, Value]  # c0, c1... for Datadog; summary fields for Tekton (raw text)


@dataclass(slots=True)
class QueryResult:
    response: dict[str, Any]
    buckets: list[Bucket]
    grouped: bool
    partial: bool = False  # meta.status == "timeout", or pages left unread: never pass silently
    partial_reason: str = ""  # why, in words: "the query timed out", "not every page was fetched"
    warnings: list[str] = field(default_factory=list)


def _value(raw: Any) -> Value:
    if isinstance(raw, list):
        return [
            TimePoint(time=str(p.get("time")), value=p.get("value"))
            for p in raw
            if isinstance(p, dict)
        ]
    if isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, int | float | str) or raw is None:
        return raw
    raise BackendResponseError(f"unexpected compute value {raw!r}")


def normalize_response(source: Source, response: dict[str, Any], *, grouped: bool) -> QueryResult:
    """Read any of the APIs' shapes into buckets; raise on a shape we cannot read."""
    if source.backend == "tekton":
        rows = response.get("summary")
        if rows is None:
            # Grouped "{}" is no data; ungrouped "{}" is a server-side failure.
            if grouped:
                return QueryResult(response=response, buckets=[], grouped=True)
            raise BackendResponseError(
                "Tekton Results answered {} to an ungrouped summary: a server-side error"
            )
        if not isinstance(rows, list):
            raise BackendResponseError("Tekton summary is not a list")
        buckets = []
        for row in rows:
            if not isinstance(row, dict):
                raise BackendResponseError("Tekton summary row is not an object")
            by = {"group_value": row["group_value"]} if "group_value" in row else {}
            values = {k: v for k, v in row.items() if k != "group_value"}
            buckets.append(Bucket(by=by, values=values))
        return QueryResult(response=response, buckets=buckets, grouped=grouped)

    data = response.get("data")
    raw_buckets: list[Any]
    if isinstance(data, list):  # spans: [{"type": "bucket", "attributes": {...}}]
        raw_buckets = [b.get("attributes", {}) if isinstance(b, dict) else b for b in data]
    elif isinstance(data, dict) and isinstance(data.get("buckets", []), list):
        raw_buckets = data.get("buckets", [])
    else:
        raise BackendResponseError("response has no data.buckets")
    buckets = []
    for raw in raw_buckets:
        if not isinstance(raw, dict):
            raise BackendResponseError("bucket is not an object")
        computes = raw.get("computes", raw.get("compute")) or {}
        if not isinstance(computes, dict):
            raise BackendResponseError("bucket computes is not an object")
        by = raw.get("by") or {}
        buckets.append(Bucket(by=dict(by), values={k: _value(v) for k, v in computes.items()}))
    meta = response.get("meta") or {}
    warnings = [
        str(w.get("title") or w.get("detail") or w) if isinstance(w, dict) else str(w)
        for w in (meta.get("warnings") or [])
    ]
    reasons = []
    if meta.get("status") == "timeout":
        reasons.append("the query timed out")
    page = meta.get("page")
    if isinstance(page, dict) and page.get("after"):
        # A cursor left unfollowed (page cap, refused cursor): groups are missing.
        reasons.append("not every page was fetched")
    return QueryResult(
        response=response,
        buckets=buckets,
        grouped=grouped,
        partial=bool(reasons),
        partial_reason="; ".join(reasons),
        warnings=warnings,
    )
