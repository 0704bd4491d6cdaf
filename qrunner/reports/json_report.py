"""The JSON report, format version 1: ``schemas/report-v1.schema.json`` describes it.

Compatibility: within version 1 keys are only ever added (consumers must ignore unknown
keys); removing or renaming a key, or changing its meaning, bumps ``version``. ``observed``
values are numbers in the check's ``unit`` (``null`` when nothing was measured); durations
without a ``unit:`` are in seconds and ratios in percent.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from qrunner.judge.outcomes import CheckOutcome, RunResult, SpecOutcome


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (naive datetimes are taken to be UTC already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat() + "Z"


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _check(check: CheckOutcome) -> dict[str, Any]:
    return {
        "name": check.name,
        "status": str(check.status),
        "observed": _number(check.observed),
        "threshold": check.threshold,
        "unit": check.unit,
        "offenders": [{"by": dict(o.by), "observed": _number(o.observed)} for o in check.offenders],
        "message": check.message,
        "mode": check.mode,
        "metric": check.metric,
        "line": check.line,
    }


def _spec(spec: SpecOutcome) -> dict[str, Any]:
    return {
        "name": spec.name,
        "source": spec.source,
        "file": spec.file,
        "line": spec.line,
        "status": str(spec.status),
        "error": spec.error,
        "checks": [_check(c) for c in spec.checks],
        "request_hash": spec.request_hash,
        "git_commit": spec.git_commit,
        "warnings": list(spec.warnings),
        "partial": spec.partial,
        "duration_s": round(spec.duration_s, 3),
        "tags": list(spec.tags),
    }


def report_data(run: RunResult) -> dict[str, Any]:
    """The report as plain JSON-able data."""
    return {
        "version": run.version,
        "status": str(run.status),
        "started_at": format_timestamp(run.started_at),
        "at": format_timestamp(run.at),
        "qrunner_version": run.qrunner_version,
        "target": run.target,
        "interrupted": run.interrupted,
        "specs": [_spec(s) for s in run.specs],
    }


class JsonReporter:
    def __init__(self, *, color: bool = False) -> None:
        del color  # JSON has no colour; the argument keeps REPORTERS uniform

    def render(self, run: RunResult) -> str:
        return json.dumps(report_data(run), indent=2, ensure_ascii=False, default=str) + "\n"
