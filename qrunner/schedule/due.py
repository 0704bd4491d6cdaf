"""``run --due`` decides what is due before anything is rendered.

Rendering and validating a spec costs far more than reading its name and schedule, and on
most wake-ups most specs are not due. The screen asks of each spec that loaded what
``qrunner plan`` asks: is it selected, this shard's, scheduled, and does it owe a tick
according to the state (read without the lock; the writes are atomic)? Only the specs it lets
through are rendered and validated. It only narrows: the claim under the lock
(:func:`qrunner.schedule.pairs.plan_batch`) still decides what runs, so a tick another run
claimed meanwhile is not run twice. A file that fails to load is reported as ever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from qrunner.schedule.pairs import ScheduleOptions, check_schedule_options
from qrunner.schedule.shard import Shard
from qrunner.schedule.state import DEFAULT_STATE, StateFile, pending_ticks, utc_now
from qrunner.spec.cron import Schedule
from qrunner.spec.loader import LoadedSpec
from qrunner.spec.model import QuerySpec

# Why the screen kept a spec from being rendered.
UNSELECTED = "unselected"
OTHER_SHARD = "other shard"
UNSCHEDULED = "unscheduled"
NOT_DUE = "not due"


@dataclass(frozen=True, slots=True)
class DueScreen:
    selected: Callable[[QuerySpec], bool]  # the run's --select
    shard: Shard | None
    state: Mapping[str, Any]
    at: datetime
    catch_up: int
    now: datetime

    def __call__(self, loaded: LoadedSpec) -> str | None:
        spec = loaded.spec
        if not self.selected(spec):
            return UNSELECTED
        if self.shard is not None and not self.shard.owns(spec.name):
            return OTHER_SHARD
        if spec.schedule is None:
            return UNSCHEDULED
        schedule = spec.schedule.compile()
        pending = pending_ticks(
            self.state["specs"].get(spec.name),
            schedule,
            at=self.at,
            catch_up=self.catch_up,
            now=self.now,
            latest=_latest_tick(schedule, self.at),
        )
        return None if pending.run else NOT_DUE


@cache
def _latest_tick(schedule: Schedule, at: datetime) -> datetime:
    """Specs often share a schedule: each one's latest tick is computed once."""
    return schedule.latest_tick(at)


def due_screen(
    options: ScheduleOptions, selected: Callable[[QuerySpec], bool], at: datetime
) -> DueScreen | None:
    """The screen of a due run at ``at`` (None without ``--due``)."""
    if not options.due:
        return None
    check_schedule_options(options)
    data = StateFile(options.state or DEFAULT_STATE).read()
    return DueScreen(selected, options.shard, data, at, options.catch_up, utc_now())
