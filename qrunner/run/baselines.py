"""Finding what each check's ``baseline:`` compares with, while the run judges a spec.

* ``shift: 7d`` renders the spec again with ``now`` (and a scheduled spec's tick, so its
  window) moved back by the shift and pins a
  Datadog request's ``filter.from``/``to`` to absolute epoch milliseconds, so that relative
  times (``now-7d``) move too, whichever server answers. The shifted request goes through the
  run's own sender: the same concurrency, pacing, retries and coalescing as every query.
  Tekton requests carry their window in templates (``ago('1d')``), which the re-render moves.
* ``history: N`` takes the check's values measured before the spec's tick (else the run's
  ``now``): from the store read at the start of the run, and from this run's earlier ticks.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from qrunner.backends.base import PreparedQuery
from qrunner.errors import QrunnerError
from qrunner.judge.checks import BaselineData, evaluate_checks
from qrunner.judge.outcomes import CheckOutcome
from qrunner.judge.results import QueryResult
from qrunner.run.freshness import judge_freshness
from qrunner.run.history_hooks import RunHistory
from qrunner.sources import SOURCES, Source, aggregate_attributes
from qrunner.spec.render import RenderedSpec, Renderer, parse_duration


def shifted_request(rendered: RenderedSpec, renderer: Renderer, shift: str) -> dict[str, Any]:
    """``rendered``'s request with its window moved ``shift`` back."""
    from qrunner.engine.datadog.datemath import parse_instant, parse_timezone

    delta = parse_duration(shift)
    at = rendered.at - delta
    again = Renderer(at=at, environ=renderer.environ, overrides=renderer.overrides)
    # a scheduled spec moves its tick, and with it its window (``window.start``/``end``)
    tick = rendered.tick - delta if rendered.tick is not None else None
    request = copy.deepcopy(again.render(rendered.loaded, tick=tick).request)
    source = SOURCES[rendered.spec.source]
    if source.backend == "tekton":
        return request
    attributes = aggregate_attributes(source, request)
    window = attributes.get("filter")
    options = attributes.get("options")
    zone_name = options.get("timezone") if isinstance(options, Mapping) else None
    zone = parse_timezone(zone_name) if isinstance(zone_name, str) else None
    if isinstance(window, dict):
        for key in ("from", "to"):
            if key in window:
                instant = parse_instant(window[key], at=at, **({"zone": zone} if zone else {}))
                window[key] = str(instant)
    return request


class RunContext(Protocol):
    """What a baseline needs from the run: its renderer, history and sender."""

    renderer: Renderer
    history: RunHistory | None

    def _send(self, source: Source, query: PreparedQuery) -> Awaitable[dict[str, Any]]: ...


async def find_baselines(
    rendered: RenderedSpec, run: RunContext, *, grouped: bool
) -> tuple[dict[int, BaselineData], list[str]]:
    """By check index, what each baseline compares with; warnings for shifts that failed.
    Shifted queries go through the run's own sender (concurrency, pacing, coalescing)."""
    renderer, history, send = run.renderer, run.history, run._send
    from qrunner.judge.results import normalize_response

    spec = rendered.spec
    source = SOURCES[spec.source]
    found: dict[int, BaselineData] = {}
    warnings: list[str] = []
    shifted: dict[str, BaselineData | None] = {}
    for index, check in enumerate(spec.checks):
        baseline = check.baseline
        if baseline is None:
            continue
        if baseline.history is not None:
            before = rendered.tick or rendered.at
            found[index] = (
                history.points(spec.name, check.name, baseline.history, before) if history else {}
            )
            continue
        shift = baseline.shift or ""
        if shift not in shifted:
            try:
                request = shifted_request(rendered, renderer, shift)
                query = PreparedQuery(spec.name, source, request)
                response = await send(source, query)
                shifted[shift] = normalize_response(source, response, grouped=grouped)
            except QrunnerError as e:
                shifted[shift] = None
                warnings.append(f"baseline shift {shift}: {e}")
        result = shifted[shift]
        if result is not None:
            found[index] = result
    return found, warnings


async def judge_checks(
    rendered: RenderedSpec, run: RunContext, result: QueryResult, *, grouped: bool
) -> tuple[list[CheckOutcome], list[str]]:
    """Judge ``rendered``'s checks on ``result`` with their baselines and freshness; warnings
    for shifts and freshness questions that failed. A spec with history baselines first waits
    for this run's earlier ticks of it."""
    spec = rendered.spec
    if run.history is not None and any(c.baseline and c.baseline.history for c in spec.checks):
        await run.history.wait_for_earlier_ticks(spec.name, rendered.tick)
    baselines, notes = await find_baselines(rendered, run, grouped=grouped)
    lines = {i: rendered.loaded.locate(("checks", i)).line for i in range(len(spec.checks))}
    source = SOURCES[spec.source]
    checks = evaluate_checks(
        spec, source, rendered.request, result, lines=lines, baselines=baselines
    )
    return checks, [*notes, *await judge_freshness(rendered, run._send, checks)]
