"""Results as data: what a query returned, normalised across the APIs' response shapes.

Backends return the raw, API-shaped response (``qrunner query`` prints it verbatim);
:func:`normalize_response` turns it into :class:`QueryResult` for the checks. Normalisation
is also where an answer's shape is checked: anything the checks could not read is a
:class:`BackendResponseError` naming the endpoint and a breadcrumb into the body
(``data.buckets[3].by``), so that a surprising answer is never an internal error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qrunner.errors import BackendResponseError
from qrunner.limits import excerpt
from qrunner.sources import Source


@dataclass(frozen=True, slots=True)
class TimePoint:
    time: str  # ISO-8601 as the API gave it
    value: float | None


Value = float | str | list[TimePoint] | None
Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Bucket:
    by: dict[str, Scalar]  # {} for an ungrouped query; Tekton: {"group_value": ...}
    values: dict[str, Value]  # c0, c1... for Datadog; summary fields for Tekton (raw text)


@dataclass(slots=True)
class QueryResult:
    response: dict[str, Any]
    buckets: list[Bucket]
    grouped: bool
    partial: bool = False  # meta.status == "timeout", or pages left unread: never pass silently
    partial_reason: str = ""  # why, in words: "the query timed out", "not every page was fetched"
    warnings: list[str] = field(default_factory=list)


class _Reader:
    """Reads one answer, raising a located :class:`BackendResponseError` on a surprise."""

    def __init__(self, source: Source) -> None:
        self.endpoint = source.path

    def fail(self, at: str, raw: Any, wanted: str) -> BackendResponseError:
        try:
            shown = json.dumps(raw, ensure_ascii=True, allow_nan=True)
        except (TypeError, ValueError, RecursionError):  # not plain JSON: its repr will do
            shown = repr(raw)
        return BackendResponseError(
            f"unexpected answer: {at} is {excerpt(shown)}, not {wanted}", url=self.endpoint
        )

    def mapping(self, raw: Any, at: str, *, optional: bool = False) -> dict[str, Any]:
        if optional and raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail(at, raw, "an object")
        return raw

    def listing(self, raw: Any, at: str, *, optional: bool = False) -> list[Any]:
        if optional and raw is None:
            return []
        if not isinstance(raw, list):
            raise self.fail(at, raw, "a list")
        return raw

    def scalar(self, raw: Any, at: str) -> Scalar:
        if raw is None or isinstance(raw, str | int | float | bool):
            return raw
        raise self.fail(at, raw, "a string, a number, a boolean or null")

    def number(self, raw: Any, at: str) -> float | None:
        if raw is None:
            return None
        if isinstance(raw, bool):
            return float(raw)
        if isinstance(raw, int | float):
            return raw
        raise self.fail(at, raw, "a number or null")

    def by(self, raw: Any, at: str) -> dict[str, Scalar]:
        fields = self.mapping(raw, at, optional=True)
        return {k: self.scalar(v, f"{at}.{k}") for k, v in fields.items()}

    def value(self, raw: Any, at: str) -> Value:
        """A compute value: a number, a string, or a timeseries list (API-FACTS)."""
        if isinstance(raw, list):
            return [self.point(p, f"{at}[{i}]") for i, p in enumerate(raw)]
        if isinstance(raw, str) or raw is None:
            return raw
        return self.number(raw, at)

    def point(self, raw: Any, at: str) -> TimePoint:
        point = self.mapping(raw, at)
        time = point.get("time")
        if not isinstance(time, str | int | float) or isinstance(time, bool):
            raise self.fail(f"{at}.time", time, "a time")
        return TimePoint(time=str(time), value=self.number(point.get("value"), f"{at}.value"))


def normalize_response(source: Source, response: Any, *, grouped: bool) -> QueryResult:
    """Read any of the APIs' shapes into buckets; raise on a shape we cannot read."""
    reader = _Reader(source)
    answer = reader.mapping(response, "the answer")
    if source.backend == "tekton":
        return _tekton_result(reader, answer, grouped)
    return _datadog_result(reader, answer, grouped)


def _tekton_result(reader: _Reader, response: dict[str, Any], grouped: bool) -> QueryResult:
    rows = response.get("summary")
    if rows is None:
        # Grouped "{}" is no data; ungrouped "{}" is a server-side failure.
        if grouped:
            return QueryResult(response=response, buckets=[], grouped=True)
        raise BackendResponseError(
            "Tekton Results answered {} to an ungrouped summary: a server-side error",
            url=reader.endpoint,
        )
    buckets = []
    for i, raw in enumerate(reader.listing(rows, "summary")):
        row = reader.mapping(raw, f"summary[{i}]")
        by = {
            k: reader.scalar(v, f"summary[{i}].{k}") for k, v in row.items() if k == "group_value"
        }
        values: dict[str, Value] = {}
        for key, value in row.items():
            if key != "group_value":
                scalar = reader.scalar(value, f"summary[{i}].{key}")
                values[key] = float(scalar) if isinstance(scalar, bool) else scalar
        buckets.append(Bucket(by=by, values=values))
    return QueryResult(response=response, buckets=buckets, grouped=grouped)


def _datadog_result(reader: _Reader, response: dict[str, Any], grouped: bool) -> QueryResult:
    data = response.get("data")
    found: list[tuple[str, Any]]
    if isinstance(data, list):  # spans: [{"type": "bucket", "attributes": {...}}]
        found = [
            (f"data[{i}].attributes", reader.mapping(b, f"data[{i}]").get("attributes", {}))
            for i, b in enumerate(data)
        ]
    elif isinstance(data, dict):
        raw_buckets = reader.listing(data.get("buckets"), "data.buckets", optional=True)
        found = [(f"data.buckets[{i}]", b) for i, b in enumerate(raw_buckets)]
    else:
        raise reader.fail("data", data, "an object with buckets (or a list of buckets)")
    buckets = []
    for at, raw in found:
        bucket = reader.mapping(raw, at)
        key = "computes" if "computes" in bucket else "compute"
        computes = reader.mapping(bucket.get(key), f"{at}.{key}", optional=True)
        values = {k: reader.value(v, f"{at}.{key}.{k}") for k, v in computes.items()}
        buckets.append(Bucket(by=reader.by(bucket.get("by"), f"{at}.by"), values=values))
    meta = reader.mapping(response.get("meta"), "meta", optional=True)
    warnings = [
        str(w.get("title") or w.get("detail") or w) if isinstance(w, dict) else str(w)
        for w in reader.listing(meta.get("warnings"), "meta.warnings", optional=True)
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
