"""The run: select specs, execute their queries concurrently, judge the checks, conclude.

``execute_run`` is the one core function behind ``qrunner run``, in three phases: prepare
(targets, selection, the ticks claimed), execute (:mod:`qrunner.run.execute`), conclude
(:mod:`qrunner.run.conclude`: reports, ticks settled, history, publishing). One erroring spec
never stops the others; SIGINT/SIGTERM stop new work and the reports are still written, marked
interrupted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from qrunner import __version__
from qrunner.errors import ExitCode, UsageError
from qrunner.judge.outcomes import RunResult, run_status
from qrunner.reports.output import ReportRequest, check_destinations
from qrunner.run.conclude import Conclusion, conclude_run
from qrunner.run.execute import error_outcome, execute_batch
from qrunner.run.guard import terminate_as_interrupt
from qrunner.run.history_hooks import default_run_id, open_history
from qrunner.run.notify_step import NotifyRequest
from qrunner.run.select import select_specs
from qrunner.run.targets import target_options
from qrunner.schedule import due
from qrunner.schedule.pairs import ScheduleOptions, plan_batch
from qrunner.schedule.shard import shard_environ
from qrunner.secrets import inert
from qrunner.spec.cron import pin_tick
from qrunner.spec.render import build_renderer


@dataclass(slots=True)
class RunOptions:
    paths: list[Path]
    selectors: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    at: str | None = None
    target: str | None = None
    data_dir: Path | None = None
    tekton_ca: str | None = None
    tekton_insecure: bool = False
    reports: list[ReportRequest] = field(default_factory=list)
    fail_on: str = "fail"
    concurrency: int = 8
    timeout: float | None = None
    publish: str | None = None
    application_id: str | None = None
    environ: dict[str, str] = field(default_factory=dict)
    interactive: bool = False
    traceback: bool = False  # print the traceback of a spec's internal error
    schedule: ScheduleOptions = field(default_factory=ScheduleOptions)
    history: Path | None = None  # the history store: baselines read from it, results added
    notify: NotifyRequest | None = None  # --notify: deliver what the run owes, last


def execute_run(options: RunOptions, *, stdout: TextIO, stderr: TextIO) -> int:
    """Run everything ``options`` describes; write the reports; return the exit code."""
    started_at = datetime.now(UTC)
    if options.notify is not None and options.schedule.shard is not None:
        raise UsageError(
            "--notify with --shard: shards never notify on their own; run qrunner notify "
            "on the merged report (qrunner merge … --report json:merged.json)"
        )
    if options.publish and not (
        options.application_id or options.environ.get("QRUNNER_PRODUCT_ANALYTICS_APPLICATION_ID")
    ):
        raise UsageError(
            "--publish datadog needs --application-id or QRUNNER_PRODUCT_ANALYTICS_APPLICATION_ID"
        )
    renderer = pin_tick(
        build_renderer(at=options.at, variables=options.variables, environ=options.environ),
        options.schedule.tick,
    )
    with terminate_as_interrupt():
        report, selected, failed = select_specs(
            options.paths, options.selectors, options.schedule, renderer
        )
    for diagnostic in [d for ds in failed.values() for d in ds] + report.warnings:
        print(inert(f"qrunner: {diagnostic}"), file=stderr)
    batch = plan_batch(
        selected,
        options.schedule,
        renderer,
        timeout=options.timeout,
        unscheduled=report.screened_as(due.UNSCHEDULED),
        not_due=report.screened_as(due.NOT_DUE),
    )
    ready = batch.ready
    for notice in batch.notices:
        print(inert(f"qrunner: {notice}"), file=stderr)
    deadline = time.monotonic() + options.timeout if options.timeout else None
    targets = target_options(
        target=options.target,
        data_dir=options.data_dir,
        at=renderer.at,
        environ=shard_environ(options.environ, options.schedule.shard),
        concurrency=options.concurrency,
        deadline=deadline,
        tekton_ca=options.tekton_ca,
        tekton_insecure=options.tekton_insecure,
    )
    check_destinations(options.reports)
    history = open_history(options.history, ready, stderr=stderr)
    progress = _Progress(len(ready), interactive=options.interactive, stderr=stderr)
    try:
        outcomes, interrupted, notices = execute_batch(
            ready,
            targets,
            progress,
            renderer=renderer,
            history=history,
            concurrency=options.concurrency,
            timeout=options.timeout,
            traceback=options.traceback,
        )
    except BaseException:
        batch.release()
        raise
    batch.annotate(outcomes)
    progress.say(notices)
    invalid = [
        error_outcome(display, "; ".join(d.message for d in ds), ExitCode.SPEC_ERROR, line=line)
        for display, ds in failed.items()
        for line in [next((d.location.line for d in ds if d.location.line), 0)]
    ]
    specs = invalid + outcomes
    shard = options.schedule.shard
    run = RunResult(
        status=run_status(specs),
        started_at=started_at,
        at=renderer.at,
        qrunner_version=__version__,
        target=targets.target,
        specs=specs,
        interrupted=interrupted,
        shard=(shard.index, shard.count) if shard else None,
        run_id=default_run_id(options.environ, started_at),
    )
    conclusion = Conclusion(
        reports=options.reports,
        fail_on=options.fail_on,
        environ=options.environ,
        interactive=options.interactive,
        publish=options.publish,
        application_id=options.application_id,
        deadline=deadline,
        notify=replace(options.notify, history=options.history) if options.notify else None,
    )
    return conclude_run(run, batch, outcomes, history, conclusion, stdout=stdout, stderr=stderr)


class _Progress:
    """A terminal gets one line rewritten in place; CI logs get a plain line per spec. The
    backends' notices (the sample dataset, data warnings) print once, before the line they
    precede."""

    def __init__(self, total: int, *, interactive: bool, stderr: TextIO) -> None:
        self.total, self.interactive, self.stderr = total, interactive, stderr
        self.done = 0
        self.said: set[str] = set()

    def say(self, notices: list[str]) -> None:
        for notice in [n for n in notices if n not in self.said]:
            self.said.add(notice)
            clear = "\r\x1b[2K" if self.interactive else ""  # over a progress line in place
            print(clear + inert(f"qrunner: {notice}"), file=self.stderr)

    def __call__(self, task: Any, notices: list[str]) -> None:
        self.done += 1
        self.say(notices)
        if task.exception() is not None:
            return
        outcome = task.result()
        done, total = self.done, self.total
        line = f"[{done}/{total}] {outcome.name}: {outcome.status} ({outcome.duration_s:.2f}s)"
        if self.interactive:
            end = "\n" if done == total else ""
            print(f"\r\x1b[2K{inert(line)}", end=end, file=self.stderr, flush=True)
        else:
            print(inert(f"qrunner: {line}"), file=self.stderr)
