"""``qrunner explain``: one spec run like ``qrunner run`` would, with every step kept.

The spec is rendered and validated, its query runs on the chosen target, the response is read
into buckets and the checks are judged by the same judge as a run — with the same baselines: a
``shift`` re-runs the query with the window moved back, a ``history`` baseline reads the store
given by ``--history`` (values measured before the spec's tick). Nothing is recorded. The
result carries the rendered request, the response and each check's trace
(:class:`SpecExplanation`).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.judge.outcomes import CheckOutcome, SpecExplanation
from qrunner.judge.results import QueryResult
from qrunner.run.execute import is_grouped
from qrunner.run.history_hooks import RunHistory, open_history
from qrunner.run.single import render_one
from qrunner.run.targets import Backends
from qrunner.sources import SOURCES, Source
from qrunner.spec.render import RenderedSpec, Renderer


class _ExplainRun:
    """What the baselines need from a run (:class:`qrunner.run.baselines.RunContext`)."""

    def __init__(self, renderer: Renderer, history: RunHistory | None, backends: Backends):
        self.renderer, self.history, self.backends = renderer, history, backends

    async def _send(self, source: Source, query: PreparedQuery) -> dict[str, Any]:
        return await self.backends.get(source).execute(query)


async def _query_and_judge(
    rendered: RenderedSpec, options: TargetOptions, renderer: Renderer, history: RunHistory | None
) -> tuple[QueryResult, list[CheckOutcome], list[str]]:
    from qrunner.judge.results import normalize_response
    from qrunner.run.baselines import judge_checks

    source = SOURCES[rendered.spec.source]
    backends = Backends(options)
    try:
        run = _ExplainRun(renderer, history, backends)
        query = PreparedQuery(rendered.spec.name, source, rendered.request)
        response = await run._send(source, query)
        grouped = is_grouped(source, rendered.request)
        result = normalize_response(source, response, grouped=grouped)
        checks, notes = await judge_checks(rendered, run, result, grouped=grouped)
        return result, checks, [*backends.notices(), *notes]
    finally:
        await backends.aclose()


def explain_rendered(
    rendered: RenderedSpec,
    options: TargetOptions,
    renderer: Renderer,
    history: Path | None = None,
) -> SpecExplanation:
    """Run ``rendered``'s query on ``options``' target and judge its checks as ``qrunner run``
    would (baselines from ``history`` and shifted queries included), keeping the trace."""
    from qrunner.validate.specs import describe_request

    spec = rendered.spec
    source = SOURCES[spec.source]
    problems = io.StringIO()  # a history that cannot be read: a notice, as run prints it
    store = open_history(history, [rendered], stderr=problems)
    result, checks, notices = asyncio.run(_query_and_judge(rendered, options, renderer, store))
    notices = [
        line.removeprefix("qrunner: ") for line in problems.getvalue().splitlines()
    ] + notices
    return SpecExplanation(
        name=spec.name,
        file=rendered.loaded.display,
        source=spec.source,
        target=options.target,
        request_text=describe_request(source, rendered.request),
        request=rendered.request,
        result=result,
        checks=checks,
        notices=notices,
        tick=rendered.tick,
        window=None if rendered.window is None else (rendered.window.start, rendered.window.end),
    )


def explain_spec(
    path: Path, renderer: Renderer, options: TargetOptions, history: Path | None = None
) -> SpecExplanation:
    """Render, validate (its first problem is raised), run and judge the spec at ``path``."""
    return explain_rendered(render_one(path, renderer), options, renderer, history)
