"""``qrunner explain``: one spec run like ``qrunner run`` would, with every step kept.

The spec is rendered and validated, its query runs on the chosen target, the response is read
into buckets and the checks are judged by the same judge as a run; the result carries the
rendered request, the response and each check's trace (:class:`SpecExplanation`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.judge.outcomes import SpecExplanation
from qrunner.run.execute import is_grouped
from qrunner.run.single import render_one
from qrunner.run.targets import Backends
from qrunner.sources import SOURCES
from qrunner.spec.render import RenderedSpec, Renderer


def _query(rendered: RenderedSpec, options: TargetOptions) -> tuple[dict[str, Any], list[str]]:
    source = SOURCES[rendered.spec.source]

    async def go() -> tuple[dict[str, Any], list[str]]:
        backends = Backends(options)
        try:
            query = PreparedQuery(rendered.spec.name, source, rendered.request)
            return await backends.get(source).execute(query), backends.notices()
        finally:
            await backends.aclose()

    return asyncio.run(go())


def explain_rendered(rendered: RenderedSpec, options: TargetOptions) -> SpecExplanation:
    """Run ``rendered``'s query on ``options``' target and judge its checks, keeping the trace."""
    from qrunner.judge.checks import evaluate_checks
    from qrunner.judge.results import normalize_response
    from qrunner.validate.specs import describe_request

    spec = rendered.spec
    source = SOURCES[spec.source]
    response, notices = _query(rendered, options)
    result = normalize_response(source, response, grouped=is_grouped(source, rendered.request))
    lines = {i: rendered.loaded.locate(("checks", i)).line for i in range(len(spec.checks))}
    return SpecExplanation(
        name=spec.name,
        file=rendered.loaded.display,
        source=spec.source,
        target=options.target,
        request_text=describe_request(source, rendered.request),
        request=rendered.request,
        result=result,
        checks=evaluate_checks(spec, source, rendered.request, result, lines=lines),
        notices=notices,
        tick=rendered.tick,
        window=None if rendered.window is None else (rendered.window.start, rendered.window.end),
    )


def explain_spec(path: Path, renderer: Renderer, options: TargetOptions) -> SpecExplanation:
    """Render, validate (its first problem is raised), run and judge the spec at ``path``."""
    return explain_rendered(render_one(path, renderer), options)
