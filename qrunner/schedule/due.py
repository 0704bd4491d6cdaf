"""``run --due`` decides what is due before anything is rendered.

Rendering and validating a spec costs far more than reading its name and schedule, and on
most wake-ups most specs are not due. The screen asks of each spec that loaded what
``qrunner plan`` asks: is it selected, this shard's, scheduled, and does it owe a tick
according to the state (read without the lock; the writes are atomic)? Only the specs it lets
through are rendered and validated. It only narrows: the claim under the lock
(:func:`qrunner.run.schedule.plan_batch`) still decides what runs, so a tick another run
claimed meanwhile is not run twice. A file that fails to load is reported as ever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from qrunner.errors import UsageError
from qrunner.run.schedule import ScheduleOptions, check_schedule_options
from qrunner.run.select import matches_selectors
from qrunner.run.shard import Shard
from qrunner.run.state import DEFAULT_STATE, StateFile, pending_ticks, utc_now
from qrunner.spec.loader import LoadedSpec
from qrunner.spec.schedule import Schedule

if TYPE_CHECKING:
    from pathlib import Path

    from qrunner.spec.loader import Diagnostic
    from qrunner.spec.render import RenderedSpec, Renderer
    from qrunner.validate.specs import ValidationReport

# Why the screen kept a spec from being rendered.
UNSELECTED = "unselected"
OTHER_SHARD = "other shard"
UNSCHEDULED = "unscheduled"
NOT_DUE = "not due"


@dataclass(frozen=True, slots=True)
class DueScreen:
    selectors: tuple[str, ...]
    shard: Shard | None
    state: Mapping[str, Any]
    at: datetime
    catch_up: int
    now: datetime

    def __call__(self, loaded: LoadedSpec) -> str | None:
        spec = loaded.spec
        if not matches_selectors(spec, self.selectors):
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
    options: ScheduleOptions, selectors: Sequence[str], at: datetime
) -> DueScreen | None:
    """The screen of a due run at ``at`` (None without ``--due``)."""
    if not options.due:
        return None
    check_schedule_options(options)
    data = StateFile(options.state or DEFAULT_STATE).read()
    return DueScreen(tuple(selectors), options.shard, data, at, options.catch_up, utc_now())


def shard_failures(report: ValidationReport, shard: Shard | None) -> dict[str, list[Diagnostic]]:
    """The failures this run reports: a file that did not load by the shard its path hashes
    to; a spec the screen let through (this shard's by name) that failed to render by this one."""
    return {
        display: diagnostics
        for display, diagnostics in report.failed.items()
        if shard is None or shard.owns(display) or display in report.admitted
    }


def select_specs(
    paths: Sequence[Path], selectors: Sequence[str], options: ScheduleOptions, renderer: Renderer
) -> tuple[ValidationReport, list[RenderedSpec], dict[str, list[Diagnostic]]]:
    """Validate (with ``--due``, only what is due) and select: the report, the selected
    ready specs, and the failures this run reports."""
    from qrunner.validate.specs import validate_specs

    screen = due_screen(options, selectors, renderer.at)
    report = validate_specs(paths, renderer, screen=screen)
    if report.total:
        report.check_command_line(paths)
    selected = [r for r in report.ready if matches_selectors(r.spec, selectors)]
    unselected = _count(report.screened, UNSELECTED)
    if not selected and not report.failed and len(report.screened) == unselected:
        what = " matching " + ", ".join(selectors) if selectors else ""
        raise UsageError(f"no specs selected{what} under {', '.join(map(str, paths))}")
    return report, selected, shard_failures(report, options.shard)


def screened_counts(report: ValidationReport) -> dict[str, int]:
    """For plan_batch's notices: the specs the screen kept out as unscheduled or not due."""
    return {
        "unscheduled": _count(report.screened, UNSCHEDULED),
        "not_due": _count(report.screened, NOT_DUE),
    }


def _count(screened: Mapping[str, str], reason: str) -> int:
    return sum(1 for why in screened.values() if why == reason)
