"""Verdicts as data: ``Status``, ``CheckOutcome``, ``SpecOutcome``, ``RunResult``.

The verdict lattice, from best to worst::

    pass  <  no_data  <  warn  <  fail  <  error

* ``no_data`` is what a check whose query matched nothing becomes under ``no_data: pass``;
  the other policies resolve it to ``warn``, ``fail`` (the default: a gate that cannot see
  data must not pass silently) or ``error``. It never fails a run.
* ``error`` means "could not be measured" (the spec is broken, the backend did not answer, a
  value could not be read). It ranks worst, so a spec with an error is never reported green.
* A spec's status is its error if it has one, else the worst of its **enforced** checks
  (``pass`` when it has none); ``mode: shadow`` checks keep their real status in reports but
  never count. A run's status is the worst of its specs.

Exit codes (:func:`exit_code_for`), by precedence — the first that applies wins:

1. ``4`` an internal error was recorded for a spec (a bug in qrunner);
2. ``2`` a spec is broken: invalid spec, template, request or query (HTTP 400), unreadable data;
3. ``1`` an enforced check failed (or warned, with ``fail_on="warn"``);
4. ``3`` something could not be measured and nothing failed outright: a backend error, or an
   enforced check in ``error`` (``no_data: error``, an unreadable value);
5. ``0`` everything passed, warned, or had no data under ``no_data: pass``.

A real failure outranks a flaky backend because it is a finding; a broken spec outranks a
failure because the gate itself is wrong and its other verdicts cannot be trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from qrunner.errors import ExitCode
from qrunner.judge.results import QueryResult
from qrunner.judge.trace import ExplainStep


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    NO_DATA = "no_data"

    @property
    def rank(self) -> int:
        """Position in the lattice: higher is worse."""
        return _RANK[self]


_RANK = {Status.PASS: 0, Status.NO_DATA: 1, Status.WARN: 2, Status.FAIL: 3, Status.ERROR: 4}


def worst_status(statuses: Iterable[Status]) -> Status:
    """The worst status of ``statuses``; ``pass`` when there are none."""
    return max(statuses, key=lambda s: _RANK[s], default=Status.PASS)


@dataclass(slots=True)
class Offender:
    """One bucket that warned or failed a per-bucket check."""

    by: dict[str, Any]
    observed: float | None
    baseline: float | None = None  # in the check's unit, when the check has a baseline
    change: float | None = None  # percent


@dataclass(slots=True)
class GroupResult:
    """One group of a per-group check, whatever its status (the history keeps them all)."""

    by: dict[str, Any]
    observed: float | None
    status: Status
    baseline: float | None = None
    change: float | None = None  # percent


@dataclass(frozen=True, slots=True)
class Band:
    """Where a level's absolute condition triggers, in the check's unit (None: unbounded)."""

    level: str  # "fail" | "warn"
    low: float | None
    high: float | None


@dataclass(slots=True)
class CheckOutcome:
    """The verdict of one check. ``observed`` and offenders' values are expressed in ``unit``."""

    name: str
    status: Status
    observed: float | None
    threshold: str  # "fail > 5m, warn > 2m"
    unit: str | None
    offenders: list[Offender]
    message: str
    mode: str  # "enforce" | "shadow"
    line: int  # the check's line in its spec file, 0 when unknown
    metric: str
    baseline: float | None = None  # in ``unit``: what the observed value is compared with
    change: float | None = None  # percent: (observed - baseline) / |baseline|
    zscore: float | None = None
    bands: list[Band] = field(default_factory=list)
    groups: list[GroupResult] = field(default_factory=list)  # per-group checks only
    trend: list[float] = field(default_factory=list)  # recent history, oldest first (display)
    trace: list[ExplainStep] = field(default_factory=list)  # how the judge decided
    # why a baseline condition could not be judged, when the check passed anyway
    # ("no baseline: 0 of 5 values"): every report says it beside the pass
    unjudged: str | None = None
    unit_chosen: bool = False  # the spec's ``unit:`` set ``unit``: values are shown in it

    @property
    def enforced(self) -> bool:
        return self.mode != "shadow"


@dataclass(slots=True)
class SpecOutcome:
    """The verdict of one spec. ``error_code`` says which kind of error ``error`` is
    (``ExitCode.SPEC_ERROR`` when not given)."""

    name: str
    source: str
    file: str
    line: int
    status: Status
    error: str | None
    checks: list[CheckOutcome]
    request_hash: str | None
    git_commit: str | None
    duration_s: float
    warnings: list[str] = field(default_factory=list)
    partial: bool = False
    partial_reason: str = "the query timed out"  # or "not every page was fetched"
    tags: list[str] = field(default_factory=list)
    error_code: ExitCode | None = None
    tick: datetime | None = None  # scheduled specs: the tick this outcome measured
    window: tuple[datetime, datetime] | None = None  # its data window, start and end (UTC)
    missed_ticks: list[datetime] = field(default_factory=list)  # --due: given up, oldest first
    owner: str | None = None
    notify: dict[str, Any] | None = None  # the spec's notify blocks, as plain data


@dataclass(slots=True)
class RunResult:
    status: Status
    started_at: datetime
    at: datetime  # the run's "now" (templates and relative times)
    qrunner_version: str
    target: str
    specs: list[SpecOutcome]
    interrupted: bool = False
    version: int = 1  # of the JSON report format
    shard: tuple[int, int] | None = None  # (K, N) for a --shard K/N run
    run_id: str | None = None  # names the run in the history; shards of one CI run share it


def spec_status(checks: Iterable[CheckOutcome], error: str | None) -> Status:
    """``error`` when the spec errored, else the worst enforced check."""
    if error is not None:
        return Status.ERROR
    return worst_status(c.status for c in checks if c.enforced)


def run_status(specs: Iterable[SpecOutcome]) -> Status:
    """The worst spec status."""
    return worst_status(s.status for s in specs)


def exit_code_for(run: RunResult, *, fail_on: str = "fail") -> ExitCode:
    """The process exit code for ``run``; the precedence is in the module docstring."""
    if fail_on not in ("fail", "warn"):
        raise ValueError(f"fail_on must be 'fail' or 'warn', not {fail_on!r}")
    failing = {Status.FAIL, Status.WARN} if fail_on == "warn" else {Status.FAIL}
    found: set[ExitCode] = set()
    for spec in run.specs:
        if spec.error is not None:
            found.add(spec.error_code or ExitCode.SPEC_ERROR)
        for check in spec.checks:
            if not check.enforced:
                continue
            if check.status in failing:
                found.add(ExitCode.CHECK_FAILED)
            elif check.status is Status.ERROR:
                found.add(ExitCode.BACKEND_ERROR)
    return most_severe(found)


@dataclass(frozen=True, slots=True)
class RunCounts:
    """How many specs and checks ended in each status (shadow checks counted apart)."""

    specs: dict[Status, int]
    checks: dict[Status, int]
    shadow: int

    @property
    def spec_total(self) -> int:
        return sum(self.specs.values())

    @property
    def check_total(self) -> int:
        return sum(self.checks.values())


def count_outcomes(run: RunResult) -> RunCounts:
    """Counts for summary lines; ``checks`` counts enforced checks only."""
    specs = dict.fromkeys(Status, 0)
    checks = dict.fromkeys(Status, 0)
    shadow = 0
    for spec in run.specs:
        specs[spec.status] += 1
        for check in spec.checks:
            if check.enforced:
                checks[check.status] += 1
            else:
                shadow += 1
    return RunCounts(specs, checks, shadow)


def describe_counts(counts: dict[Status, int]) -> str:
    """``2 pass, 1 fail`` in lattice order, zeros left out (``none`` when empty)."""
    ordered = sorted((s for s in counts if counts[s]), key=lambda s: s.rank)
    return ", ".join(f"{counts[s]} {s}" for s in ordered) or "none"


@dataclass(slots=True)
class SpecExplanation:
    """What ``qrunner explain`` shows for one spec: the request sent, the response (read into
    buckets), and each check with the steps that decided it (``CheckOutcome.trace``)."""

    name: str
    file: str
    source: str
    target: str
    request_text: str  # as `qrunner render` prints it
    request: dict[str, Any]
    result: QueryResult
    checks: list[CheckOutcome] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    tick: datetime | None = None  # scheduled specs: the tick rendered
    window: tuple[datetime, datetime] | None = None  # and its data interval


# The precedence of exit codes when a run (or a run of spec tests) has several: see above.
_PRECEDENCE = (
    ExitCode.INTERNAL_ERROR,
    ExitCode.SPEC_ERROR,
    ExitCode.CHECK_FAILED,
    ExitCode.BACKEND_ERROR,
)


def most_severe(found: set[ExitCode]) -> ExitCode:
    """The exit code that wins among ``found`` (``OK`` when empty)."""
    return next((code for code in _PRECEDENCE if code in found), ExitCode.OK)


def format_check_value(check: CheckOutcome, value: float | None) -> str:
    """A value of ``check`` (observed, an offender's, a baseline) as every report shows it: in
    the check's chosen unit, with enough digits never to read equal to a threshold bound it
    is not."""
    from qrunner.judge.units import format_quantity

    bounds = [b for band in check.bands for b in (band.low, band.high) if b is not None]
    return format_quantity(value, check.unit, exact=check.unit_chosen, apart_from=bounds)
