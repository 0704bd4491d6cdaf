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
    """The last ``limit`` points, oldest first. Without ``group``, each check's own value;
    with one, the groups whose key is ``group`` or has a facet equal to ``group``."""
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
        SELECT run_at, run_id, check_name, group_key, observed, unit, status, baseline, change
        FROM {{history}} WHERE {" AND ".join(where)}
        ORDER BY run_at DESC, run_id DESC, check_name, group_key LIMIT {int(limit)}
    """
    return [Point(*row) for row in reversed(query(directory, sql, parameters))]


def format_series(points: list[Point]) -> str:
    """A plain table, one point per line."""
    header = ("run at (UTC)", "check", "group", "observed", "baseline", "change", "status")
    lines = [header]
    for p in points:
        change = "" if p.change is None else f"{p.change:+.1f}%"
        lines.append(
            (
                p.run_at.strftime("%Y-%m-%d %H:%M"),
                p.check,
                p.group or "",
                format_quantity(p.observed, p.unit),
                "" if p.baseline is None else format_quantity(p.baseline, p.unit),
                change,
                p.status,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
