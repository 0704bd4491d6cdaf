"""The run's side of the history store: the past values its baselines and trends need, read
once before the queries run, and the run's own rows, appended once it is judged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from qrunner.errors import QrunnerError
from qrunner.history.rows import default_run_id, naive_utc, rows_from_report
from qrunner.history.store import Appended, append_rows, recent_values
from qrunner.judge.outcomes import RunResult
from qrunner.judge.units import from_base, tidy, to_base
from qrunner.reports.json_report import format_timestamp, report_data
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


Past = dict[tuple[str, str, str], list[tuple[float, str | None]]]


@dataclass(slots=True)
class RunHistory:
    """Past values (newest first, as recorded: ``(observed, unit)``) by (spec, check, group),
    read from the store in one pass for every selected check when first needed: by a
    baseline while the queries run, else by the trends once they are judged. A store that
    cannot be read is reported and treated as empty: its baselines resolve by ``no_baseline``."""

    directory: Path
    keys: list[tuple[str, str]]
    limit: int
    before: str | None  # the run's tick or time, naive UTC: only values recorded before it
    stderr: TextIO
    _past: Past | None = None

    @property
    def past(self) -> Past:
        if self._past is None:
            try:
                self._past = recent_values(
                    self.directory, self.keys, self.limit, before=self.before
                )
            except QrunnerError as e:
                message = f"qrunner: error: history: {e}; judging without it"
                print(inert(message), file=self.stderr)
                self._past = {}
        return self._past

    def points(self, spec: str, check: str, limit: int) -> dict[str, list[float]]:
        """Each group's last ``limit`` values in base units (the check's own under ``""``)."""
        return {
            group: [_base(v, u) for v, u in values[:limit]]
            for (s, c, group), values in self.past.items()
            if s == spec and c == check
        }

    def trend(self, spec: str, check: str, unit: str | None) -> list[float]:
        """The check's recent values, oldest first, in ``unit``."""
        values = self.past.get((spec, check, ""), [])[:TREND_POINTS]
        return [tidy(from_base(_base(v, u), unit)) for v, u in reversed(values)]


def open_history(
    directory: Path | None, ready: Sequence[RenderedSpec], *, stderr: TextIO
) -> RunHistory | None:
    """What every selected check may need from the store (None without ``--history``)."""
    if directory is None:
        return None
    keys = [(r.spec.name, c.name) for r in ready for c in r.spec.checks]
    depth = [c.baseline.history for r in ready for c in r.spec.checks if c.baseline]
    limit = max([TREND_POINTS, *(d for d in depth if d)])
    at = naive_utc(format_timestamp(ready[0].at)) if ready else None
    return RunHistory(directory, keys, limit, at, stderr)


def attach_trends(run: RunResult, history: RunHistory | None) -> None:
    """Give each check its recent values, this run's last, for the Markdown sparkline."""
    if history is None:
        return
    for spec in run.specs:
        for check in spec.checks:
            past = history.trend(spec.name, check.name, check.unit)
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
