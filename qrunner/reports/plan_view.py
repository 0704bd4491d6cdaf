"""Presentation of ``qrunner plan``: aligned text blocks, or a JSON list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def format_plan(entries: Sequence[Any], fmt: str) -> str:
    """``entries`` are :meth:`qrunner.schedule.plan.PlanEntry.as_data` mappings."""
    data = list(entries)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    lines: list[str] = []
    for item in data:
        schedule = item["schedule"]
        due = "yes" if item["due"] else "no"
        lines.append(f"{item['name']}  ({item['file']}:{item['line']})")
        if schedule is None:
            lines.append(f"  due: {due} - {item['why']}")
            lines.append("")
            continue
        lines.append(
            f"  schedule   {schedule['description']}; window {schedule['window']}, "
            f"delay {schedule['delay']}"
        )
        if item["shard"] is not None:
            lines.append(f"  shard      {item['shard']}")
        lines.append(f"  last done  {item['last_done_tick'] or '-'}")
        window = item["window"]
        lines.append(
            f"  latest     {item['latest_tick']}  window {window['start']} .. {window['end']}"
        )
        lines.append(f"  next       {item['next_tick']}")
        lines.append(f"  due        {due} - {item['why']}")
        lines.append("")
    due_count = sum(1 for item in data if item["due"])
    lines.append(f"{len(data)} spec(s), {due_count} due")
    return "\n".join(lines) + "\n"
