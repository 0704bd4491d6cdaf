"""The run: select specs, execute their queries concurrently, judge the checks, report.

``execute_run`` is the one core function behind ``qrunner run``. One erroring spec never
stops the others; SIGINT/SIGTERM stop new work and the reports are still written,
marked interrupted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from qrunner import __version__
from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.errors import (
    ExitCode,
    QrunnerError,
    SpecError,
    UsageError,
)
from qrunner.judge.outcomes import (
    RunResult,
    SpecOutcome,
    Status,
    exit_code_for,
    run_status,
    spec_status,
)
from qrunner.reports.output import ReportRequest, check_destinations, write_reports
from qrunner.run.guard import format_traceback, internal_error_message, terminate_as_interrupt
from qrunner.run.history_hooks import attach_trends, default_run_id, finish_history, open_history
from qrunner.run.select import git_commit_of, select_specs
from qrunner.run.targets import Backends, target_options
from qrunner.schedule import due
from qrunner.schedule.pairs import ScheduleOptions, plan_batch, window_of
from qrunner.schedule.shard import shard_environ
from qrunner.secrets import inert
from qrunner.sources import SOURCES, Source
from qrunner.spec.cron import pin_tick
from qrunner.spec.loader import load_specs
from qrunner.spec.render import RenderedSpec, Renderer, build_renderer


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


def render_one(path: Path, renderer: Renderer) -> RenderedSpec:
    """Load, render and validate one spec file; its first problem is raised."""
    from qrunner.validate.specs import unused_overrides, validate_loaded

    if path.is_dir() or not path.exists():  # a FIFO or a device is refused when read
        raise UsageError(f"no such spec file: {path}")
    loaded = load_specs([path])
    for diagnostics in loaded.failed.values():
        first = diagnostics[0]
        raise SpecError(first.message, first.location, first.pointer)
    unused = unused_overrides(loaded.specs[0], renderer)
    if unused:
        raise UsageError(
            f"--var {', '.join(unused)}: {path} neither declares nor uses it (a typo?)"
        )
    rendered, diagnostics = validate_loaded(loaded.specs[0], renderer)
    diagnostics = [d for d in diagnostics if d.severity != "warning"]
    if diagnostics:
        first = diagnostics[0]
        raise SpecError(first.message, first.location, first.pointer)
    assert rendered is not None
    return rendered


def query_one(
    path: Path, renderer: Renderer, options: TargetOptions
) -> tuple[dict[str, Any], list[str]]:
    rendered = render_one(path, renderer)
    source = SOURCES[rendered.spec.source]

    async def go() -> tuple[dict[str, Any], list[str]]:
        backends = Backends(options)
        try:
            backend = backends.get(source)
            query = PreparedQuery(rendered.spec.name, source, rendered.request)
            return await backend.execute(query), backends.notices()
        finally:
            await backends.aclose()

    return asyncio.run(go())


def request_hash(source: Source, request: Mapping[str, Any]) -> str:
    canonical = json.dumps([source.name, request], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class _Run:
    def __init__(
        self, options: RunOptions, targets: TargetOptions, renderer: Renderer, history: Any
    ) -> None:
        self.options, self.renderer, self.history = options, renderer, history
        self.backends = Backends(targets)
        self.semaphore = asyncio.Semaphore(options.concurrency)
        self.stopping = False
        self.stop_reason = "interrupted"
        self.tracebacks: list[str] = []

    async def _send(self, source: Source, query: PreparedQuery) -> dict[str, Any]:
        async with self.semaphore:
            if self.stopping:
                raise asyncio.CancelledError
            return await self.backends.get(source).execute(query)

    async def judge(self, rendered: RenderedSpec) -> SpecOutcome:
        from qrunner.judge.results import normalize_response
        from qrunner.run.baselines import judge_checks

        spec = rendered.spec
        source = SOURCES[spec.source]
        loaded = rendered.loaded
        digest = request_hash(source, rendered.request)
        started = time.monotonic()
        outcome = SpecOutcome(
            name=spec.name,
            source=spec.source,
            file=loaded.display,
            line=loaded.line,
            status=Status.ERROR,
            error=None,
            checks=[],
            request_hash=digest,
            git_commit=git_commit_of(loaded.path),
            duration_s=0.0,
            tags=list(spec.tags),
            tick=rendered.tick,
            window=window_of(rendered),
            owner=spec.owner,
        )
        try:
            query = PreparedQuery(spec.name, source, rendered.request)
            response = await self._send(source, query)
            grouped = is_grouped(source, rendered.request)
            result = normalize_response(source, response, grouped=grouped)
            outcome.checks, notes = await judge_checks(rendered, self, result, grouped=grouped)
            outcome.partial = result.partial
            outcome.partial_reason = result.partial_reason or outcome.partial_reason
            outcome.warnings = [*result.warnings, *notes]
        except asyncio.CancelledError:
            outcome.error = f"{self.stop_reason} before the query finished"
            outcome.error_code = ExitCode.BACKEND_ERROR
        except QrunnerError as e:
            outcome.error = str(e)
            outcome.error_code = e.exit_code
        except Exception as e:  # a bug: this spec's error, marked internal; the others go on
            outcome.error = internal_error_message(e)
            outcome.error_code = ExitCode.INTERNAL_ERROR
            if self.options.traceback:
                self.tracebacks.append(format_traceback(spec.name, e))
        outcome.status = spec_status(outcome.checks, outcome.error)
        if self.history is not None:  # a catch-up's later ticks see this one's values
            self.history.remember(outcome)
        outcome.duration_s = round(time.monotonic() - started, 3)
        return outcome


def is_grouped(source: Source, request: Mapping[str, Any]) -> bool:
    from qrunner.sources import aggregate_attributes

    if source.backend == "tekton":
        return bool(request.get("group_by"))
    return bool(aggregate_attributes(source, dict(request)).get("group_by"))


def _error_outcome(
    display: str, error: str, code: ExitCode, rendered: RenderedSpec | None = None, line: int = 0
) -> SpecOutcome:
    """A spec that produced no checks: invalid (``rendered`` is None) or never answered."""
    return SpecOutcome(
        name=rendered.spec.name if rendered else display,
        source=rendered.spec.source if rendered else "",
        file=display,
        line=rendered.loaded.line if rendered else line,
        status=Status.ERROR,
        error=error,
        checks=[],
        request_hash=None,
        git_commit=None,
        duration_s=0.0,
        error_code=code,
        tick=rendered.tick if rendered else None,
        window=window_of(rendered) if rendered else None,
    )


async def _run_async(
    options: RunOptions, ready: list[RenderedSpec], targets: TargetOptions, progress: Any, *,
    renderer: Renderer, history: Any,
) -> tuple[list[SpecOutcome], bool, list[str]]:  # fmt: skip
    run = _Run(options, targets, renderer, history)
    loop = asyncio.get_running_loop()
    interrupted = False

    def stop() -> None:
        nonlocal interrupted
        interrupted = True
        run.stopping = True
        for task in tasks:
            task.cancel()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    tasks = [asyncio.ensure_future(run.judge(r)) for r in ready]
    for task in tasks:
        task.add_done_callback(lambda t: progress(t) if not t.cancelled() else None)
    try:
        if options.timeout is not None:
            _, pending = await asyncio.wait(tasks, timeout=options.timeout)
            if pending:
                run.stopping = True
                run.stop_reason = "run deadline exceeded (--timeout)"
                for task in pending:
                    task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await run.backends.aclose()
    why = "interrupted" if interrupted else run.stop_reason
    results = []
    for rendered, outcome in zip(ready, outcomes, strict=True):
        if isinstance(outcome, SpecOutcome):
            results.append(outcome)
        elif isinstance(outcome, asyncio.CancelledError) or not isinstance(outcome, Exception):
            message, code = f"{why} before the query finished", ExitCode.BACKEND_ERROR
            results.append(_error_outcome(rendered.loaded.display, message, code, rendered))
        else:
            message, code = internal_error_message(outcome), ExitCode.INTERNAL_ERROR
            results.append(_error_outcome(rendered.loaded.display, message, code, rendered))
    return results, interrupted, run.backends.notices() + run.tracebacks


def execute_run(options: RunOptions, *, stdout: TextIO, stderr: TextIO) -> int:
    """Run everything ``options`` describes; write the reports; return the exit code."""

    started_at = datetime.now(UTC)
    app_id = options.application_id or options.environ.get(
        "QRUNNER_PRODUCT_ANALYTICS_APPLICATION_ID"
    )
    if options.publish and not app_id:
        raise UsageError(
            "--publish datadog needs --application-id or QRUNNER_PRODUCT_ANALYTICS_APPLICATION_ID"
        )
    check_destinations(options.reports)
    renderer = pin_tick(
        build_renderer(at=options.at, variables=options.variables, environ=options.environ),
        options.schedule.tick,
    )
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
    shard = options.schedule.shard
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
        **due.screened_counts(report),
    )
    ready = batch.ready
    for notice in batch.notices:
        print(inert(f"qrunner: {notice}"), file=stderr)

    done = 0

    def progress(task: Any) -> None:
        # A terminal gets one line rewritten in place; CI logs get a plain line per spec.
        nonlocal done
        done += 1
        if task.exception() is not None:
            return
        outcome = task.result()
        line = f"[{done}/{len(ready)}] {outcome.name}: {outcome.status} ({outcome.duration_s:.2f}s)"
        if options.interactive:
            end = "\n" if done == len(ready) else ""
            print(f"\r\x1b[2K{inert(line)}", end=end, file=stderr, flush=True)
        else:
            print(inert(f"qrunner: {line}"), file=stderr)

    history = open_history(options.history, ready, stderr=stderr)
    try:
        outcomes, interrupted, notices = (
            asyncio.run(
                _run_async(options, ready, targets, progress, renderer=renderer, history=history)
            )
            if ready
            else ([], False, [])
        )
    except BaseException:
        batch.release()
        raise
    batch.annotate(outcomes)
    for notice in notices:
        print(inert(f"qrunner: {notice}"), file=stderr)
    invalid = [
        _error_outcome(display, "; ".join(d.message for d in ds), ExitCode.SPEC_ERROR, line=line)
        for display, ds in failed.items()
        for line in [next((d.location.line for d in ds if d.location.line), 0)]
    ]
    specs = invalid + outcomes
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
    attach_trends(run, history)
    try:
        unwritten = write_reports(
            run,
            options.reports,
            environ=options.environ,
            interactive=options.interactive,
            stdout=stdout,
            stderr=stderr,
        )
    except BaseException:
        batch.release(outcomes)
        raise
    if unwritten:
        batch.release(outcomes)
    else:
        batch.commit(outcomes)  # only now, with the reports written, are the ticks done
    finish_history(run, history, stderr=stderr)
    if options.publish:
        from qrunner.run.publish import publish_run

        publish_run(
            run,
            application_id=options.application_id,
            environ=options.environ,
            stderr=stderr,
            deadline=deadline,
        )
    code = exit_code_for(run, fail_on=options.fail_on)
    if unwritten and code is not ExitCode.INTERNAL_ERROR:
        return int(ExitCode.SPEC_ERROR)  # a gate whose report is missing has not passed
    return int(code)
