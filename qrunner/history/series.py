"""``qrunner history show``: one check's values over time, as rows and as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qrunner.history.store import query
from qrunner.judge.units import format_quantity


@dataclass(frozen=True, slots=True)
class Point:
    run_at: datetime
    tick: datetime | None  # scheduled runs: the tick measured (what the point stands for)
    run_id: str
    check: str
    group: str | None
    observed: float | None
    unit: str | None
    status: str
    baseline: float | None
    change: float | None


def read_series(
    directory: Path,
    spec: str,
    *,
    check: str | None = None,
    group: str | None = None,
    limit: int = 100,
) -> list[Point]:
    """The last ``limit`` points by the time they measure (tick, else run time), oldest first;
    a tick recorded twice shows once, as last recorded. Without ``group``, each check's own
    value; with one, the groups whose key is ``group`` or has a facet equal to ``group``."""
    where = ["spec = ?"]
    parameters: list[object] = [spec]
    if check is not None:
        where.append("check_name = ?")
        parameters.append(check)
    if group is None:
        where.append("group_key IS NULL")
    else:
        # a facet's value ends the key or is followed by the next facet
        where.append(
            "(group_key = ? OR ends_with(group_key, '=' || ?) "
            "OR contains(group_key, '=' || ? || ', '))"
        )
        parameters += [group, group, group]
    sql = f"""
        SELECT run_at, tick, run_id, check_name, group_key, observed, unit, status, baseline,
               change
        FROM {{history}} WHERE {" AND ".join(where)}
        ORDER BY coalesce(tick, run_at) DESC, run_id DESC, check_name, group_key
        LIMIT {int(limit)}
    """
    return [Point(*row) for row in reversed(query(directory, sql, parameters))]


def recorded_checks(directory: Path, spec: str) -> list[str] | None:
    """The checks recorded for ``spec`` (None: the spec has no row at all)."""
    rows = query(
        directory, "SELECT DISTINCT check_name FROM {history} WHERE spec = ? ORDER BY 1", [spec]
    )
    return [name for (name,) in rows] or None


def format_series(points: list[Point]) -> str:
    """A plain table, one point per line: the tick it measured (``-`` for a run without a
    schedule) and when it ran, which differ for a catch-up or a re-run."""
    header = ("tick (UTC)", "run at (UTC)", "check", "group", "observed", "baseline", "change")
    lines = [(*header, "status")]
    for p in points:
        change = "" if p.change is None else f"{p.change:+.1f}%"
        lines.append(
            (
                "-" if p.tick is None else p.tick.strftime("%Y-%m-%d %H:%M"),
                p.run_at.strftime("%Y-%m-%d %H:%M"),
                p.check,
                p.group or "",
                format_quantity(p.observed, p.unit),
                "" if p.baseline is None else format_quantity(p.baseline, p.unit),
                change,
                p.status,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
