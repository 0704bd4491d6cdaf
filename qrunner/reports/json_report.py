"""The JSON report, format version 1: ``schemas/report-v1.schema.json`` describes it.

Compatibility: within version 1 keys are only ever added (consumers must ignore unknown
keys), and each addition bumps ``minor_version`` (:data:`MINOR_VERSION`); removing or renaming
a key, or changing its meaning, bumps ``version``. Minor versions: 0 the original keys; 1 adds
``minor_version``, ``shard``, and per spec ``tick``, ``window``, ``missed_ticks`` and
``error_code``; 2 adds ``run_id``, per spec ``owner``, and per check ``baseline``, ``change``,
``zscore``, ``bands`` and ``groups``; 3 adds per spec ``notify`` (its notify blocks) and the
run's ``notifications[]`` (one entry per event and destination: ``qrunner run --notify``
writes the report, delivers, then rewrites it with this key added); 4 adds per check
``unit_chosen`` (the spec's ``unit:`` chose ``unit``) and ``baseline_missing`` (why a passing
check's baseline could not be judged). ``observed``
values are numbers in the check's ``unit`` (``null`` when nothing was measured); durations
without a ``unit:`` are in seconds and ratios in percent. ``baseline`` is in the same unit;
``change`` is in percent. Per-group checks list every group under ``groups`` (the history
store keeps them all), not only the offenders.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qrunner.judge.outcomes import CheckOutcome, GroupResult, Offender, RunResult, SpecOutcome

MINOR_VERSION = 4


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
        "offenders": [_group(o) for o in check.offenders],
        "message": check.message,
        "mode": check.mode,
        "metric": check.metric,
        "line": check.line,
        "baseline": _number(check.baseline),
        "change": _number(check.change),
        "zscore": _number(check.zscore),
        "bands": [{"level": b.level, "low": b.low, "high": b.high} for b in check.bands],
        "groups": [_group(g) | {"status": str(g.status)} for g in check.groups],
        "unit_chosen": check.unit_chosen,
        "baseline_missing": check.unjudged,
    }


def _group(group: Offender | GroupResult) -> dict[str, Any]:
    data: dict[str, Any] = {"by": dict(group.by), "observed": _number(group.observed)}
    if group.baseline is not None or group.change is not None:
        data |= {"baseline": _number(group.baseline), "change": _number(group.change)}
    return data


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
        "tick": format_timestamp(spec.tick) if spec.tick else None,
        "window": (
            {"start": format_timestamp(spec.window[0]), "end": format_timestamp(spec.window[1])}
            if spec.window
            else None
        ),
        "missed_ticks": [format_timestamp(t) for t in spec.missed_ticks],
        "error_code": int(spec.error_code) if spec.error_code is not None else None,
        "owner": spec.owner,
        "notify": spec.notify,
    }


def report_data(run: RunResult) -> dict[str, Any]:
    """The report as plain JSON-able data."""
    return {
        "version": run.version,
        "minor_version": MINOR_VERSION,
        "status": str(run.status),
        "started_at": format_timestamp(run.started_at),
        "at": format_timestamp(run.at),
        "qrunner_version": run.qrunner_version,
        "target": run.target,
        "interrupted": run.interrupted,
        "shard": {"index": run.shard[0], "count": run.shard[1]} if run.shard else None,
        "run_id": run.run_id,
        "specs": [_spec(s) for s in run.specs],
        "notifications": [],
    }


class JsonReporter:
    def __init__(self, *, color: bool = False) -> None:
        del color  # JSON has no colour; the argument keeps REPORTERS uniform

    def render(self, run: RunResult) -> str:
        return json.dumps(report_data(run), indent=2, ensure_ascii=False, default=str) + "\n"


def read_report_data(path: Path) -> dict[str, Any]:
    """A ``--report json`` file's data, refusing what is not a version-1 report."""
    from qrunner.errors import LimitError, UsageError
    from qrunner.limits import open_regular_file

    try:
        with open_regular_file(path) as source:  # a FIFO would block the reader forever
            data = json.loads(source.read().decode("utf-8"))
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror}") from None
    except LimitError as e:
        raise UsageError(f"{path}: cannot read: {e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: not a JSON report: {e}") from None
    if not isinstance(data, dict) or "version" not in data:
        raise UsageError(f"{path}: not a qrunner JSON report (no top-level version)")
    if data["version"] != 1:
        raise UsageError(
            f"{path}: a JSON report of version {data['version']!r}; this qrunner reads version 1"
        )
    specs = data.get("specs")
    if not isinstance(data.get("at"), str) or not isinstance(specs, list):
        raise UsageError(f"{path}: not a qrunner JSON report (no 'at' time or 'specs' list)")
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise UsageError(f"{path}: specs[{i}]: not a spec result (no name)")
        if not isinstance(spec.get("checks", []), list) or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str) for c in spec.get("checks", [])
        ):
            raise UsageError(f"{path}: specs[{i}].checks: not a list of check results")
    return data
