"""A run as history rows: one per check result, plus one per group of a per-group check.

Rows are built from the JSON report's data (:func:`qrunner.reports.json_report.report_data`)
both when a run records itself live and when ``qrunner history import`` reads an archived
report, so the two always produce the same rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from qrunner.judge.baseline import group_key

SPEC_CHECK = "(spec)"  # the check name of a row recording a spec that could not be judged

# Column → DuckDB type, in file order. ``group_key`` is NULL on a check's own row and names
# the group (``facet=value, facet=value``) on each per-group row.
COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "run_at": "TIMESTAMP",
    "started_at": "TIMESTAMP",
    "tick": "TIMESTAMP",
    "window_start": "TIMESTAMP",
    "window_end": "TIMESTAMP",
    "spec": "VARCHAR",
    "source": "VARCHAR",
    "file": "VARCHAR",
    "owner": "VARCHAR",
    "tags": "VARCHAR[]",
    "check_name": "VARCHAR",
    "metric": "VARCHAR",
    "group_key": "VARCHAR",
    "observed": "DOUBLE",
    "unit": "VARCHAR",
    "status": "VARCHAR",
    "mode": "VARCHAR",
    "threshold": "VARCHAR",
    "bands": "STRUCT(level VARCHAR, low DOUBLE, high DOUBLE)[]",
    "baseline": "DOUBLE",
    "change": "DOUBLE",
    "zscore": "DOUBLE",
    "message": "VARCHAR",
    "request_hash": "VARCHAR",
    "git_commit": "VARCHAR",
    "target": "VARCHAR",
    "qrunner_version": "VARCHAR",
}


def naive_utc(text: str | None) -> str | None:
    """``2024-05-01T12:00:05Z`` → ``2024-05-01 12:00:05`` (stored as a UTC TIMESTAMP)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ")


def default_run_id(environ: Mapping[str, str], started_at: datetime) -> str:
    """``QRUNNER_RUN_ID``, else ``GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT``, else the start time."""
    if environ.get("QRUNNER_RUN_ID"):
        return environ["QRUNNER_RUN_ID"]
    if environ.get("GITHUB_RUN_ID"):
        return f"{environ['GITHUB_RUN_ID']}-{environ.get('GITHUB_RUN_ATTEMPT', '1')}"
    return started_at.strftime("%Y%m%dT%H%M%S.%fZ") + f"-{os.getpid()}"


def _window(spec: Mapping[str, Any], report: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """Tick and window, when the run was scheduled (nullable otherwise)."""
    window = spec.get("window") or report.get("window") or {}
    if not isinstance(window, Mapping):
        window = {}
    tick = spec.get("tick") or report.get("tick")
    start = window.get("start") or window.get("from")
    end = window.get("end") or window.get("to")
    return (
        naive_utc(tick) if isinstance(tick, str) else None,
        naive_utc(start) if isinstance(start, str) else None,
        naive_utc(end) if isinstance(end, str) else None,
    )


def rows_from_report(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every row a run's report records."""
    rows: list[dict[str, Any]] = []
    run = {
        "run_id": report.get("run_id") or report.get("started_at"),
        "run_at": naive_utc(report.get("at")),
        "started_at": naive_utc(report.get("started_at")),
        "target": report.get("target"),
        "qrunner_version": report.get("qrunner_version"),
    }
    for spec in report.get("specs", []):
        tick, start, end = _window(spec, report)
        common = run | {
            "tick": tick,
            "window_start": start,
            "window_end": end,
            "spec": spec.get("name"),
            "source": spec.get("source"),
            "file": spec.get("file"),
            "owner": spec.get("owner"),
            "tags": list(spec.get("tags") or []),
            "request_hash": spec.get("request_hash"),
            "git_commit": spec.get("git_commit"),
        }
        if spec.get("error") is not None:
            rows.append(_row(common, check_name=SPEC_CHECK, status="error", message=spec["error"]))
        for check in spec.get("checks", []):
            own = {
                "check_name": check.get("name"),
                "metric": check.get("metric"),
                "unit": check.get("unit"),
                "mode": check.get("mode"),
                "threshold": check.get("threshold"),
                "bands": list(check.get("bands") or []),
            }
            rows.append(
                _row(
                    common | own,
                    observed=check.get("observed"),
                    status=check.get("status"),
                    baseline=check.get("baseline"),
                    change=check.get("change"),
                    zscore=check.get("zscore"),
                    message=check.get("message"),
                )
            )
            for group in check.get("groups") or []:
                rows.append(
                    _row(
                        common | own,
                        group_key=group_key(group.get("by") or {}),
                        observed=group.get("observed"),
                        status=group.get("status"),
                        baseline=group.get("baseline"),
                        change=group.get("change"),
                    )
                )
    return rows


def _row(base: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    row = dict.fromkeys(COLUMNS)
    row["tags"], row["bands"] = [], []
    row.update(base)
    row.update(values)
    return row
