"""Scheduled runs: which (spec, tick) pairs a run executes, and the state it commits.

Without ``--due`` every selected spec runs once: a scheduled one at its latest tick at or
before ``--at`` (or at ``--tick``), as rendered by the validate stage. With ``--due`` the
state decides (:mod:`qrunner.schedule.state`): a spec runs the newest ``--catch-up`` ticks it
still owes, oldest first, each rendered with its own window; specs without a schedule are
never due. ``--shard K/N`` keeps this shard's specs first (:mod:`qrunner.schedule.shard`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from qrunner.errors import UsageError
from qrunner.judge.outcomes import SpecOutcome, Status
from qrunner.schedule.shard import Shard
from qrunner.schedule.state import (
    CLAIM_LEASE,
    DEFAULT_STATE,
    Pending,
    StateFile,
    claim_ticks,
    pending_ticks,
    settle_ticks,
    utc_now,
)
from qrunner.spec.cron import Schedule
from qrunner.spec.render import RenderedSpec, Renderer


@dataclass(slots=True)
class ScheduleOptions:
    tick: str | None = None
    due: bool = False
    state: Path | None = None
    catch_up: int = 1
    shard: Shard | None = None


@dataclass(slots=True)
class Batch:
    """The renders to run, the ticks given up per spec, and the state to commit to."""

    ready: list[RenderedSpec]
    missed: dict[str, list[datetime]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    state: StateFile | None = None
    schedules: dict[str, Schedule] = field(default_factory=dict)
    known: dict[str, list[datetime]] = field(default_factory=dict)  # ticks seen at claim time

    def annotate(self, outcomes: Sequence[SpecOutcome]) -> None:
        """Missed ticks go on each spec's newest outcome."""
        newest: dict[str, SpecOutcome] = {}
        for outcome in outcomes:
            newest[outcome.name] = outcome
        for name, ticks in self.missed.items():
            if name in newest:
                newest[name].missed_ticks = list(ticks)

    def commit(self, outcomes: Sequence[SpecOutcome]) -> None:
        """After the reports are written: done ticks are recorded, claims released."""
        self._settle(outcomes, release_only=False)

    def release(self, outcomes: Sequence[SpecOutcome] = ()) -> None:
        """The run failed before its reports were written: nothing is done."""
        self._settle(outcomes, release_only=True)

    def _settle(self, outcomes: Sequence[SpecOutcome], *, release_only: bool) -> None:
        if self.state is None:
            return
        statuses = {(o.name, o.tick): str(o.status) for o in outcomes}
        finished = [
            (r.spec.name, r.tick, statuses.get((r.spec.name, r.tick), str(Status.ERROR)))
            for r in self.ready
            if r.tick is not None and r.spec.name in self.schedules
        ]
        with self.state.locked() as data:
            settle_ticks(
                data, finished, self.schedules, release_only=release_only, known=self.known
            )
        self.state = None


def window_of(rendered: RenderedSpec) -> tuple[datetime, datetime] | None:
    window: Any = rendered.window
    return (window.start, window.end) if window is not None else None


def check_schedule_options(options: ScheduleOptions) -> None:
    if options.due and options.tick is not None:
        raise UsageError("--due and --tick exclude each other: --tick runs one given tick")
    if options.catch_up < 1:
        raise UsageError("--catch-up must be at least 1")


def plan_batch(
    selected: Sequence[RenderedSpec],
    options: ScheduleOptions,
    renderer: Renderer,
    *,
    timeout: float | None = None,
    unscheduled: int = 0,
    not_due: int = 0,
) -> Batch:
    """Shard, then (with ``--due``) claim the owed ticks; re-render older ticks.
    ``unscheduled`` and ``not_due`` count the specs the due screen already kept out
    (:mod:`qrunner.schedule.due`), for the notices."""
    check_schedule_options(options)
    shard = options.shard
    mine = [r for r in selected if shard is None or shard.owns(r.spec.name)]
    if not options.due:
        return Batch(ready=mine)
    scheduled = [r for r in mine if r.spec.schedule is not None]
    batch = Batch(ready=[], state=StateFile(options.state or DEFAULT_STATE))
    unscheduled += len(mine) - len(scheduled)
    if unscheduled:
        batch.notices.append(
            f"--due: {unscheduled} spec(s) without a schedule skipped "
            "(they have no ticks to be due)"
        )
    lease = timedelta(seconds=timeout) + timedelta(minutes=10) if timeout else CLAIM_LEASE
    now = utc_now()
    plans: dict[str, tuple[Schedule, Pending]] = {}
    assert batch.state is not None
    with batch.state.locked() as data:
        for rendered in scheduled:
            schedule = rendered.spec.schedule.compile()
            entry = data["specs"].get(rendered.spec.name)
            pending = pending_ticks(
                entry,
                schedule,
                at=renderer.at,
                catch_up=options.catch_up,
                now=now,
                latest=rendered.tick,
            )
            plans[rendered.spec.name] = (schedule, pending)
        claim_ticks(data, plans, lease=lease, now=now)
    for rendered in scheduled:
        schedule, pending = plans[rendered.spec.name]
        batch.schedules[rendered.spec.name] = schedule
        batch.known[rendered.spec.name] = pending.ticks
        if pending.missed:
            batch.missed[rendered.spec.name] = pending.missed
        if not pending.run:
            not_due += 1
        for tick in pending.run:
            again = rendered if tick == rendered.tick else _render_at(rendered, renderer, tick)
            if again is not None:
                batch.ready.append(again)
            else:
                batch.notices.append(f"{rendered.spec.name}: tick {tick} did not render")
    if not_due:
        batch.notices.append(f"--due: {not_due} spec(s) not due (latest tick done or claimed)")
    return batch


def _render_at(rendered: RenderedSpec, renderer: Renderer, tick: datetime) -> RenderedSpec | None:
    from qrunner.validate.specs import validate_loaded

    again, diagnostics = validate_loaded(rendered.loaded, renderer, tick)
    if any(d.severity != "warning" for d in diagnostics):
        return None
    return again
