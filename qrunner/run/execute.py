"""The queries of a run, executed concurrently and judged; one erroring spec never stops the
others, and SIGINT/SIGTERM or ``--timeout`` stop new work (what ran is kept)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import time
from collections.abc import Callable, Mapping
from typing import Any

from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.errors import ExitCode, QrunnerError
from qrunner.judge.outcomes import SpecOutcome, Status, spec_status
from qrunner.run.guard import format_traceback, internal_error_message
from qrunner.run.select import git_commit_of
from qrunner.run.targets import Backends
from qrunner.schedule.pairs import window_of
from qrunner.sources import SOURCES, Source
from qrunner.spec.render import RenderedSpec, Renderer

Progress = Callable[[Any, list[str]], None]  # (a finished task, the backends' notices so far)


def execute_batch(
    ready: list[RenderedSpec], targets: TargetOptions, progress: Progress, *,
    renderer: Renderer, history: Any, concurrency: int, timeout: float | None, traceback: bool,
) -> tuple[list[SpecOutcome], bool, list[str]]:  # fmt: skip
    """Each spec's outcome (in ``ready``'s order), whether the run was interrupted, and the
    backends' notices."""
    if not ready:
        return [], False, []
    return asyncio.run(
        _execute(
            ready, targets, progress, renderer=renderer, history=history,
            concurrency=concurrency, timeout=timeout, traceback=traceback,
        )
    )  # fmt: skip


def request_hash(source: Source, request: Mapping[str, Any]) -> str:
    canonical = json.dumps([source.name, request], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class SpecRunner:
    """Runs and judges the specs of one run, at most ``concurrency`` queries at a time."""

    def __init__(
        self, targets: TargetOptions, renderer: Renderer, history: Any, *, concurrency: int,
        traceback: bool,
    ) -> None:  # fmt: skip
        self.renderer, self.history, self.traceback = renderer, history, traceback
        self.backends = Backends(targets)
        self.semaphore = asyncio.Semaphore(concurrency)
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
            notify=spec.notify_settings(),
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
            if self.traceback:
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


def error_outcome(
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


async def _execute(
    ready: list[RenderedSpec], targets: TargetOptions, progress: Any, *, renderer: Renderer,
    history: Any, concurrency: int, timeout: float | None, traceback: bool,
) -> tuple[list[SpecOutcome], bool, list[str]]:  # fmt: skip
    run = SpecRunner(targets, renderer, history, concurrency=concurrency, traceback=traceback)
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
        task.add_done_callback(  # with the notices so far: they print before the progress line
            lambda t: progress(t, run.backends.notices()) if not t.cancelled() else None
        )
    try:
        if timeout is not None:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
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
            results.append(error_outcome(rendered.loaded.display, message, code, rendered))
        else:
            message, code = internal_error_message(outcome), ExitCode.INTERNAL_ERROR
            results.append(error_outcome(rendered.loaded.display, message, code, rendered))
    return results, interrupted, run.backends.notices() + run.tracebacks
