"""``qrunner plan``: each spec's schedule, ticks, window and whether a due run would run it.

Nothing is rendered or run: specs are loaded (YAML and the model) and their schedules
evaluated at ``--at``; with ``--state`` the same :func:`~qrunner.schedule.state.pending_ticks` a
due run uses says what is due, so the plan and the run cannot disagree.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from qrunner.errors import ScheduleError
from qrunner.schedule.state import DEFAULT_STATE, StateFile, pending_ticks, utc_now
from qrunner.spec.cron import Schedule, format_utc


@dataclass(slots=True)
class PlanEntry:
    name: str
    file: str
    line: int
    schedule: Schedule | None
    latest_tick: datetime | None
    next_tick: datetime | None
    window: tuple[datetime, datetime] | None
    last_done: str | None
    due: bool
    why: str
    pending: list[datetime]
    shard: int | None

    def as_data(self) -> dict[str, Any]:
        schedule = self.schedule
        return {
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "schedule": None
            if schedule is None
            else {
                "cron": schedule.cron,
                "timezone": schedule.timezone,
                "window": _duration(schedule.window.total_seconds()),
                "delay": _duration(schedule.delay.total_seconds()),
                "description": schedule.describe(),
            },
            "due": self.due,
            "why": self.why,
            "last_done_tick": self.last_done,
            "latest_tick": format_utc(self.latest_tick) if self.latest_tick else None,
            "next_tick": format_utc(self.next_tick) if self.next_tick else None,
            "window": None
            if self.window is None
            else {"start": format_utc(self.window[0]), "end": format_utc(self.window[1])},
            "pending_ticks": [format_utc(t) for t in self.pending],
            "shard": self.shard,
        }


def _duration(seconds: float) -> str:
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


@cache
def _ticks(schedule: Schedule, at: datetime) -> tuple[datetime, datetime]:
    """Latest and next tick; specs often share schedules, so each is computed once."""
    return schedule.bracket(at)


# Below this many files a second process costs more than it saves (as in validate).
PARALLEL_MIN_FILES = 200


@dataclass(frozen=True, slots=True)
class _Context:
    at: datetime
    state: dict[str, Any]
    catch_up: int
    shards: int | None
    now: datetime


# Set before forking, inherited by the workers (nothing to pickle on the way in).
_WORKER_CONTEXT: _Context | None = None


def build_plan(
    paths: Sequence[Path],
    *,
    at: datetime,
    state: Path | None,
    catch_up: int = 1,
    shards: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """One entry (``PlanEntry.as_data``) per loadable spec, and the diagnostics of the files
    that did not load. ``state`` defaults to the one ``run --due`` defaults to. Large trees
    are split across the CPUs, as ``qrunner validate`` does."""
    import multiprocessing
    import os
    import threading

    from qrunner.spec.loader import discover_specs

    global _WORKER_CONTEXT  # noqa: PLW0603 - the fork start method hands state over this way
    _WORKER_CONTEXT = _Context(
        at, StateFile(state or DEFAULT_STATE).read(), catch_up, shards, utc_now()
    )
    files = discover_specs(paths)
    workers = min(os.cpu_count() or 1, 8)
    if (
        len(files) < PARALLEL_MIN_FILES
        or workers < 2
        or "fork" not in multiprocessing.get_all_start_methods()
        or threading.active_count() > 1
    ):
        results = _plan_chunk(files)
    else:
        first = _plan_chunk(files[:1])  # imports everything once, before forking
        size = -(-(len(files) - 1) // (workers * 2))
        chunks = [files[i : i + size] for i in range(1, len(files), size)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = first + [r for chunk in pool.map(_plan_chunk, chunks) for r in chunk]
    entries = [data for _, data, _ in results if data is not None]
    failed = {display: problems for display, data, problems in results if data is None}
    return entries, failed


def _plan_chunk(files: list[Path]) -> list[tuple[str, dict[str, Any] | None, list[str]]]:
    """Each file's plan. Only ``name`` and ``schedule`` are read (the YAML with its strict
    rules, then the schedule): checking the rest of a spec is ``qrunner validate``'s job."""
    from qrunner.errors import SpecError
    from qrunner.spec.cron import schedule_field
    from qrunner.spec.yamlsource import load_yaml_file

    assert _WORKER_CONTEXT is not None
    out: list[tuple[str, dict[str, Any] | None, list[str]]] = []
    for path in files:
        display = os.path.join(_display_folder(path.parent), path.name)
        try:
            doc = load_yaml_file(path, display)
        except SpecError as e:
            out.append((display, None, [str(e)]))
            continue
        data = doc.data if isinstance(doc.data, dict) else {}
        name, raw = data.get("name"), data.get("schedule")
        if not isinstance(name, str) or not (raw is None or isinstance(raw, dict)):
            out.append((display, None, [f"{display}: not a spec; `qrunner validate` says why"]))
            continue
        line = doc.positions.get(("name",), (1, 1))[0]
        try:
            item = _plan_spec(name, display, line, raw, _WORKER_CONTEXT)
        except ScheduleError as e:
            where, message = schedule_field(e)  # at the field, as `qrunner validate` says it
            out.append((display, None, [f"{doc.locate(where)}: {message} [{'.'.join(where)}]"]))
            continue
        out.append((display, item.as_data(), []))
    return out


@cache
def _display_folder(folder: Path) -> str:
    """The loader's display path, once per folder (it resolves paths: costly per file)."""
    from qrunner.spec.loader import display_path

    shown = display_path(folder)
    return "" if shown == "." else shown


def _plan_spec(
    name: str, display: str, line: int, raw: dict[str, Any] | None, context: _Context
) -> PlanEntry:
    from qrunner.spec.cron import parse_schedule

    shard = _shard_of(name, context.shards)
    item = PlanEntry(name, display, line, None, None, None, None, None, False, "", [], shard)
    if raw is None:
        item.why = "no schedule: runs on every run, never from --due"
        return item
    schedule = parse_schedule(
        raw.get("cron"), raw.get("timezone", "UTC"), raw.get("window"), raw.get("delay", "0m")
    )
    latest, following = _ticks(schedule, context.at)
    window = schedule.window_of(latest)
    entry = context.state["specs"].get(name)
    plan = pending_ticks(
        entry, schedule, at=context.at, catch_up=context.catch_up, now=context.now, latest=latest
    )
    item.schedule, item.latest_tick, item.next_tick = schedule, latest, following
    item.window = (window.start, window.end)
    item.due, item.why = bool(plan.run), _why(plan.run, plan.missed, plan.claimed, entry)
    item.last_done = entry.get("last_done") if entry else None
    item.pending = plan.run
    return item


def _shard_of(name: str, shards: int | None) -> int | None:
    from qrunner.schedule.shard import shard_of

    return shard_of(name, shards) if shards else None


def _why(run: list[datetime], missed: list[datetime], claimed: list[datetime], entry: Any) -> str:
    if run:
        ticks = ", ".join(format_utc(t) for t in run)
        text = f"tick {ticks} not done" if len(run) == 1 else f"ticks {ticks} not done"
        if entry is None:
            text += " (new to the state)"
        if missed:
            text += f"; {len(missed)} older tick(s) would be missed (--catch-up)"
        return text
    if claimed:
        return f"tick {format_utc(claimed[-1])} is being run by another run"
    return "latest tick done"
