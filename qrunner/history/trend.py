"""The trend report's data: each check's series over the last days, read from the store.
A scheduled run's values are placed at their tick (the time they measure), others at the
run's ``run_at``. A tick recorded twice (a re-run) counts once, as last recorded.

Missing ticks are gaps: in a series of ticks, where two consecutive ticks are further apart
than :data:`GAP_FACTOR` times the series' usual spacing (the median), a null point is put
between them, so the chart draws no line across ticks that have no value.

For each spec and check: its values over time with their statuses, baselines and changes;
the latest value, status and change; the warn and fail bands of its latest thresholds; and,
for per-group checks, the series of its worst groups (by latest status, then value).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from qrunner.history.store import query

WORST_GROUPS = 5  # series drawn for a per-group check
GAP_FACTOR = 1.5  # a spacing past this many usual spacings is a missing tick
_RANK = {"pass": 0, "no_data": 1, "warn": 2, "fail": 3, "error": 4}


@dataclass(slots=True)
class CheckSeries:
    spec: str
    check: str
    source: str | None
    owner: str | None
    tags: list[str]
    unit: str | None
    threshold: str | None
    bands: list[dict[str, Any]]
    x: list[str] = field(default_factory=list)  # ISO timestamps, UTC
    y: list[float | None] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    baseline: list[float | None] = field(default_factory=list)
    change: list[float | None] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    scheduled: bool = True  # every point is a tick: a longer spacing is a missing tick

    def mark_gaps(self) -> None:
        """A null point (status ``missing``) between ticks further apart than usual."""
        if not self.scheduled:
            return
        for at in reversed(missing_positions(self.x)):
            self.x.insert(at, _midpoint(self.x[at - 1], self.x[at]))
            self.y.insert(at, None)
            self.status.insert(at, "missing")
            self.baseline.insert(at, None)
            self.change.insert(at, None)
        for group in self.groups:
            for at in reversed(missing_positions(group["x"])):
                group["x"].insert(at, _midpoint(group["x"][at - 1], group["x"][at]))
                group["y"].insert(at, None)

    def as_data(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "check": self.check,
            "source": self.source,
            "owner": self.owner,
            "tags": self.tags,
            "unit": self.unit,
            "threshold": self.threshold,
            "bands": self.bands,
            "latest": self.y[-1] if self.y else None,
            "latest_status": self.status[-1] if self.status else "no_data",
            "latest_change": self.change[-1] if self.change else None,
            "x": self.x,
            "y": self.y,
            "status": self.status,
            "baseline": self.baseline,
            "groups": self.groups,
        }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def _midpoint(before: str, after: str) -> str:
    start = _parse(before)
    return _iso(start + (_parse(after) - start) / 2)


def missing_positions(times: list[str]) -> list[int]:
    """Indexes before which a tick is missing: where the spacing exceeds :data:`GAP_FACTOR`
    times the median spacing (at least three points are needed to know the usual one)."""
    moments = [_parse(t) for t in times]
    steps = [(b - a).total_seconds() for a, b in pairwise(moments)]
    usual = sorted(steps)[len(steps) // 2] if len(steps) >= 2 else 0.0
    if usual <= 0:
        return []
    return [i + 1 for i, step in enumerate(steps) if step > GAP_FACTOR * usual]


def read_trends(directory: Path, *, days: int, today: date) -> list[CheckSeries]:
    """Every check recorded in the last ``days`` days, by spec then check."""
    since = (today - timedelta(days=days)).isoformat()
    rows = query(
        directory,
        """
        SELECT spec, check_name, source, owner, tags, unit, threshold, bands,
               coalesce(tick, run_at) AS measured_at, tick IS NOT NULL, observed, status,
               baseline, change
        FROM {history}
        WHERE group_key IS NULL AND coalesce(tick, run_at) >= CAST(? AS TIMESTAMP)
        ORDER BY spec, check_name, measured_at, run_id
        """,
        [since],
    )
    series: dict[tuple[str, str], CheckSeries] = {}
    for spec, check, source, owner, tags, unit, threshold, bands, at, ticked, *values in rows:
        observed, status, baseline, change = values
        item = series.get((spec, check))
        if item is None:
            item = series[(spec, check)] = CheckSeries(
                spec, check, source, owner, list(tags or []), unit, threshold, []
            )
        # the latest run's metadata wins: thresholds and owners change over time
        item.source, item.owner, item.tags = source, owner, list(tags or [])
        item.unit, item.threshold, item.bands = unit, threshold, list(bands or [])
        item.scheduled = item.scheduled and bool(ticked)
        item.x.append(_iso(at))
        item.y.append(observed)
        item.status.append(status)
        item.baseline.append(baseline)
        item.change.append(change)
    _attach_groups(directory, series, since)
    for item in series.values():
        item.mark_gaps()
    return list(series.values())


def _attach_groups(directory: Path, series: dict[tuple[str, str], CheckSeries], since: str) -> None:
    rows = query(
        directory,
        """
        SELECT spec, check_name, group_key, coalesce(tick, run_at) AS measured_at, observed, status
        FROM {history}
        WHERE group_key IS NOT NULL AND coalesce(tick, run_at) >= CAST(? AS TIMESTAMP)
        ORDER BY spec, check_name, group_key, measured_at, run_id
        """,
        [since],
    )
    points: dict[tuple[str, str], dict[str, list[tuple[datetime, Any, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for spec, check, group, at, observed, status in rows:
        points[(spec, check)][group].append((at, observed, status))
    for key, groups in points.items():
        item = series.get(key)
        if item is None:
            continue

        def severity(values: list[tuple[datetime, Any, str]]) -> tuple[datetime, int, float]:
            at, observed, status = values[-1]
            return (at, _RANK.get(status, 0), observed if observed is not None else 0.0)

        worst = sorted(groups.items(), key=lambda kv: severity(kv[1]), reverse=True)
        item.groups = [
            {
                "name": name,
                "x": [_iso(at) for at, _, _ in values],
                "y": [observed for _, observed, _ in values],
                "latest_status": values[-1][2],
            }
            for name, values in worst[:WORST_GROUPS]
        ]


def trends_json(trends: list[CheckSeries], *, generated: datetime, days: int) -> str:
    """The report's data, safe to embed in a ``<script type="application/json">``."""
    data = {
        "generated": _iso(generated),
        "days": days,
        "checks": [t.as_data() for t in trends],
    }
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return text.replace("<", "\\u003c")
