"""``qrunner explain`` output: the request, a compact view of the response, each check's steps.

Text for people (``format_explanation(e, "text")``) and JSON for tools (``"json"``); neither
shows what varies between identical runs (the response's ``elapsed``), so the output of a pinned
``--at`` over fixed data is stable.
"""

from __future__ import annotations

import json
from typing import Any

from qrunner.judge.outcomes import CheckOutcome, SpecExplanation, format_check_value
from qrunner.judge.results import Bucket, QueryResult, TimePoint, Value
from qrunner.judge.trace import ExplainStep
from qrunner.judge.units import format_number
from qrunner.reports.json_report import format_timestamp

MAX_BUCKETS_SHOWN = 20  # the text view; JSON has them all
EXPLAIN_FORMAT_VERSION = 1


def _value_text(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        points = [p.value for p in value if isinstance(p, TimePoint)]
        known = [p for p in points if p is not None]
        ends = (
            f", first {format_number(known[0])}, last {format_number(known[-1])}" if known else ""
        )
        return f"timeseries[{len(points)}] ({len(points) - len(known)} null{ends})"
    return format_number(value)


def _bucket_line(bucket: Bucket) -> str:
    by = ", ".join(f"{k}={v}" for k, v in bucket.by.items()) or "(all)"
    values = " ".join(f"{k}={_value_text(v)}" for k, v in bucket.values.items())
    return f"  {by}: {values}"


def _response_lines(result: QueryResult) -> list[str]:
    shape = "grouped" if result.grouped else "ungrouped"
    head = f"response: {len(result.buckets)} bucket(s), {shape}"
    if result.partial:
        head += f", partial ({result.partial_reason or 'incomplete'})"
    lines = [head]
    lines += [f"  warning: {w}" for w in result.warnings]
    lines += [_bucket_line(b) for b in result.buckets[:MAX_BUCKETS_SHOWN]]
    hidden = len(result.buckets) - MAX_BUCKETS_SHOWN
    if hidden > 0:
        lines.append(f"  ... {hidden} more (--format json shows all)")
    return lines


def _step_line(step: ExplainStep) -> str:
    where = f"[{', '.join(f'{k}={v}' for k, v in step.by.items())}] " if step.by else ""
    return f"  {step.kind:<9} {where}{step.detail}"


def format_trace(check: CheckOutcome) -> list[str]:
    """A check's steps, one per line (also used by ``qrunner test`` for a failing expectation)."""
    return [_step_line(step) for step in check.trace]


def _check_lines(check: CheckOutcome) -> list[str]:
    where = f" (line {check.line})" if check.line else ""
    shown = format_check_value(check, check.observed)
    head = f"check {check.name!r}{where}: {check.status} — observed {shown}; {check.threshold}"
    if check.unjudged:
        head += f" ({check.unjudged})"
    if check.mode == "shadow":
        head += " (shadow: never counts)"
    return [head, *format_trace(check)]


def _format_text(explanation: SpecExplanation) -> str:
    e = explanation
    lines = [f"spec {e.name} ({e.file}): {e.source} on target {e.target}"]
    if e.window is not None:
        tick = format_timestamp(e.tick) if e.tick else "?"
        start, end = (format_timestamp(t) for t in e.window)
        lines.append(f"tick {tick} · window {start} .. {end}")
    lines += ["", "request:"]
    lines += [f"  {line}" for line in e.request_text.splitlines()]
    lines += ["", *_response_lines(e.result)]
    for check in e.checks:
        lines += ["", *_check_lines(check)]
    if not e.checks:
        lines += ["", "no checks"]
    return "\n".join(lines) + "\n"


def _json_value(value: Value) -> Any:
    if isinstance(value, list):
        return [{"time": p.time, "value": p.value} for p in value]
    return value


def _format_json(explanation: SpecExplanation) -> str:
    e = explanation
    data = {
        "version": EXPLAIN_FORMAT_VERSION,
        "name": e.name,
        "file": e.file,
        "source": e.source,
        "target": e.target,
        "tick": format_timestamp(e.tick) if e.tick else None,
        "window": None
        if e.window is None
        else {"start": format_timestamp(e.window[0]), "end": format_timestamp(e.window[1])},
        "request": e.request,
        "request_text": e.request_text,
        "response": {
            "grouped": e.result.grouped,
            "partial": e.result.partial,
            "partial_reason": e.result.partial_reason,
            "warnings": list(e.result.warnings),
            "buckets": [
                {"by": b.by, "values": {k: _json_value(v) for k, v in b.values.items()}}
                for b in e.result.buckets
            ],
        },
        "checks": [
            {
                "name": c.name,
                "line": c.line,
                "metric": c.metric,
                "status": str(c.status),
                "observed": c.observed,
                "unit": c.unit,
                "baseline": c.baseline,
                "change": c.change,
                "threshold": c.threshold,
                "mode": c.mode,
                "message": c.message,
                "steps": [s.to_json() for s in c.trace],
            }
            for c in e.checks
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


EXPLAIN_FORMATS = {"text": _format_text, "json": _format_json}


def format_explanation(explanation: SpecExplanation, fmt: str) -> str:
    return EXPLAIN_FORMATS[fmt](explanation)
