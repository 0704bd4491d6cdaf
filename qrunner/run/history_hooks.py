"""The run's side of the history store: the past values its baselines and trends need, read
once before the queries run, and the run's own rows, appended once it is judged.

Ticks are respected: a spec's tick sees only values measured before it — from the store,
before the spec's earliest tick in this run, and from this run's own earlier ticks (a
catch-up) — so a catch-up, a re-run and a re-run after later ticks judge as the first run did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from qrunner.errors import QrunnerError
from qrunner.history.rows import default_run_id, rows_from_report
from qrunner.history.store import Appended, Past, append_rows, recent_values
from qrunner.judge.baseline import group_key
from qrunner.judge.outcomes import RunResult, SpecOutcome
from qrunner.judge.units import from_base, tidy, to_base
from qrunner.reports.json_report import report_data
from qrunner.secrets import inert
from qrunner.spec.render import RenderedSpec

TREND_POINTS = 14  # past values behind a Markdown sparkline

__all__ = [
    "TREND_POINTS",
    "RunHistory",
    "attach_trends",
    "default_run_id",
    "finish_history",
    "open_history",
    "record_run",
]


def _base(value: float, unit: str | None) -> float:
    return to_base(value, unit) if unit else value


def naive(moment: datetime) -> datetime:
    """As the store keeps times: naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass(slots=True)
class RunHistory:
    """Past values by (spec, check, group), newest first, as recorded: ``(measured at,
    observed, unit)``. ``past`` is what the store held before this run's earliest tick of each
    spec; ``made`` is what this run measured (a catch-up's earlier ticks), so that each tick
    sees exactly the values before it, as when its ticks ran one run at a time.

    The store is read in one pass for every selected check when first needed: by a baseline
    while the queries run, else by the trends once they are judged. A store that cannot be
    read is reported and treated as empty: its baselines resolve by ``no_baseline``."""

    directory: Path
    before: dict[tuple[str, str], str]  # per (spec, check): only values measured before this
    limit: int  # values per (spec, check, group)
    stderr: TextIO
    at: datetime | None = None  # the run's now: what a spec without a tick measures
    ticks: dict[str, list[datetime]] = field(default_factory=dict)  # per spec, this run's
    made: dict[tuple[str, str, str], list[Past]] = field(default_factory=dict)
    judged: dict[tuple[str, datetime], asyncio.Event] = field(default_factory=dict)
    _past: dict[tuple[str, str, str], list[Past]] | None = None

    @property
    def past(self) -> dict[tuple[str, str, str], list[Past]]:
        """What the store held before this run's earliest tick of each spec."""
        if self._past is None:
            try:
                self._past = recent_values(
                    self.directory, list(self.before), self.limit, before=self.before
                )
            except QrunnerError as e:
                message = f"qrunner: error: history: {e}; judging without it"
                print(inert(message), file=self.stderr)
                self._past = {}
        return self._past

    def _values(self, key: tuple[str, str, str], before: datetime | None) -> list[Past]:
        values = self.past.get(key, []) + self.made.get(key, [])
        if before is not None:
            values = [v for v in values if v[0] < naive(before)]
        return sorted(values, key=lambda v: v[0], reverse=True)

    def points(
        self, spec: str, check: str, limit: int, before: datetime | None = None
    ) -> dict[str, list[float]]:
        """Each group's last ``limit`` values measured before ``before``, in base units (the
        check's own under ``""``)."""
        keys = {k for k in [*self.past, *self.made] if k[0] == spec and k[1] == check}
        return {
            key[2]: [_base(v, u) for _, v, u in self._values(key, before)[:limit]] for key in keys
        }

    def trend(
        self, spec: str, check: str, unit: str | None, before: datetime | None
    ) -> list[float]:
        """The check's recent values measured before ``before``, oldest first, in ``unit``."""
        values = self._values((spec, check, ""), before)[:TREND_POINTS]
        return [tidy(from_base(_base(v, u), unit)) for _, v, u in reversed(values)]

    async def wait_for_earlier_ticks(self, spec: str, tick: datetime | None) -> None:
        """A catch-up judges a spec's history baselines in tick order: each tick waits until
        this run has judged the spec's earlier ticks."""
        for earlier in self.ticks.get(spec, []):
            if tick is not None and earlier < tick and (spec, earlier) in self.judged:
                await self.judged[(spec, earlier)].wait()

    def remember(self, outcome: SpecOutcome) -> None:
        """Keep what ``outcome`` measured for the later ticks of this run; wake them."""
        measured = outcome.tick or self.at
        if measured is not None:
            for check in outcome.checks:
                own = [("", check.observed, check.status)]
                groups = [(group_key(g.by), g.observed, g.status) for g in check.groups]
                for group, observed, status in own + groups:
                    if observed is not None and status != "error":
                        key = (outcome.name, check.name, group)
                        entry = (naive(measured), float(observed), check.unit)
                        self.made.setdefault(key, []).append(entry)
        if outcome.tick is not None and (outcome.name, outcome.tick) in self.judged:
            self.judged[(outcome.name, outcome.tick)].set()


def measured_at(rendered: RenderedSpec) -> datetime:
    """What a rendered spec measures: its tick, else the run's now."""
    return rendered.tick or rendered.at


def open_history(
    directory: Path | None, ready: Sequence[RenderedSpec], *, stderr: TextIO
) -> RunHistory | None:
    """What every selected check may need from the store (None without ``--history``):
    values measured before the spec's earliest tick in this run (a re-run of a tick never sees
    that tick's old value, nor later ones)."""
    if directory is None:
        return None
    earliest: dict[str, datetime] = {}
    ticks: dict[str, list[datetime]] = {}
    for r in ready:
        moment = measured_at(r)
        earliest[r.spec.name] = min(moment, earliest.get(r.spec.name, moment))
        if r.tick is not None:
            ticks.setdefault(r.spec.name, []).append(r.tick)
    before = {
        (r.spec.name, c.name): naive(earliest[r.spec.name]).isoformat(sep=" ")
        for r in ready
        for c in r.spec.checks
    }
    depth = [c.baseline.history for r in ready for c in r.spec.checks if c.baseline]
    limit = max([TREND_POINTS, *(d for d in depth if d)])
    at = ready[0].at if ready else None
    history = RunHistory(directory, before, limit, stderr, at=at, ticks=ticks)
    history.judged = {(name, t): asyncio.Event() for name, ts in ticks.items() for t in ts}
    return history


def attach_trends(run: RunResult, history: RunHistory | None) -> None:
    """Give each check its recent values, this run's last, for the Markdown sparkline."""
    if history is None:
        return
    for spec in run.specs:
        for check in spec.checks:
            past = history.trend(spec.name, check.name, check.unit, spec.tick or history.at)
            if past:
                check.trend = [*past, *([check.observed] if check.observed is not None else [])]


def record_run(directory: Path, run: RunResult) -> Appended:
    """Append the run's rows as one new file."""
    data = report_data(run)
    return append_rows(directory, str(data["run_id"]), rows_from_report(data))


def finish_history(run: RunResult, history: RunHistory | None, *, stderr: TextIO) -> None:
    """Record the run; a store that cannot be written is reported, the verdict unchanged."""
    if history is None:
        return
    try:
        appended = record_run(history.directory, run)
    except QrunnerError as e:
        print(inert(f"qrunner: error: history: {e}"), file=stderr)
        return
    where = appended.path if appended.path is not None else "already recorded"
    print(inert(f"qrunner: history: {appended.rows} row(s) → {where}"), file=stderr)
