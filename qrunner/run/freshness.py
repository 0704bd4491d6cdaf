"""``freshness:``: the guard against reports that stopped arriving.

A gate over a day with no events answers no data, and ``no_data: pass`` passes it; nothing
would notice that CI stopped sending reports. ``freshness: {max_age: 2d}`` (on the spec: every
check; on a check: that check, overriding the spec's) asks one more question of the same
backend: how many events of the source (``of: source``, the default: whatever the query
selects) — or of the query's ``filter.query`` (``of: filter``) — have a timestamp in the
``max_age`` before the **reference time**: the end of a scheduled spec's window, else the run's
``now``. None means the newest such event is older than ``max_age``: the check becomes
``fail`` (or ``level: warn``) with a message saying so, whatever its own verdict was, unless it
was already worse. Counting a window instead of reading the newest timestamp works the same on
the local engine and on Datadog's aggregate APIs, and a re-run of a tick gives the same answer
(events that arrived after the window do not count). The question is one aggregate request per
distinct ``(max_age, of)`` of a spec, through the run's own sender. Tekton sources have no
freshness (a validation error): their summary API cannot count records in a time range of the
run's choosing without rewriting the user's CEL filter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from qrunner.backends.base import PreparedQuery
from qrunner.errors import QrunnerError
from qrunner.judge.outcomes import CheckOutcome, Status
from qrunner.judge.trace import ExplainStep
from qrunner.sources import SOURCES, Source, aggregate_attributes
from qrunner.spec.cron import format_utc
from qrunner.spec.render import RenderedSpec, parse_duration

Send = Callable[[Source, PreparedQuery], Awaitable[dict[str, Any]]]


def reference_time(rendered: RenderedSpec) -> datetime:
    """What freshness is measured against: the window's end, else the run's ``now``."""
    return rendered.window.end if rendered.window is not None else rendered.at


def freshness_request(rendered: RenderedSpec, max_age: str, of: str) -> dict[str, Any]:
    """A count of the source's (or the filter's) events in the ``max_age`` before the
    reference time, as a request body of the spec's source."""
    source = SOURCES[rendered.spec.source]
    end = reference_time(rendered)
    start = end - parse_duration(max_age)
    query = "*"
    if of == "filter":
        window = aggregate_attributes(source, rendered.request).get("filter")
        found = window.get("query") if isinstance(window, dict) else None
        query = found if isinstance(found, str) and found.strip() else "*"
    attributes = {
        "compute": [{"aggregation": "count", "type": "total"}],
        "filter": {
            "from": str(int(start.timestamp() * 1000)),
            "to": str(int(end.timestamp() * 1000)),
            "query": query,
        },
    }
    if source.wrapped:
        return {"data": {"type": "aggregate_request", "attributes": attributes}}
    return attributes


async def judge_freshness(
    rendered: RenderedSpec, send: Send, checks: list[CheckOutcome]
) -> list[str]:
    """Turn the checks whose data is stale to their freshness ``level``; warnings for
    freshness questions that could not be answered (their checks cannot pass)."""
    from qrunner.judge.results import normalize_response

    spec = rendered.spec
    source = SOURCES[spec.source]
    counts: dict[tuple[str, str], float | None] = {}
    notes: list[str] = []
    for check, outcome in zip(spec.checks, checks, strict=True):
        rule = check.freshness or spec.freshness
        if rule is None:
            continue
        key = (rule.max_age, rule.of)
        if key not in counts:
            try:
                request = freshness_request(rendered, rule.max_age, rule.of)
                response = await send(source, PreparedQuery(spec.name, source, request))
                result = normalize_response(source, response, grouped=False)
                values = [b.values.get("c0") for b in result.buckets]
                counts[key] = sum(v for v in values if isinstance(v, int | float))
            except QrunnerError as e:
                counts[key] = None
                notes.append(f"freshness {rule.max_age}: {e}")
        _apply(outcome, rule, counts[key], source, reference_time(rendered))
    return notes


def _apply(
    outcome: CheckOutcome, rule: Any, count: float | None, source: Source, end: datetime
) -> None:
    events = f"{source.dataset} event" + (" matching filter.query" if rule.of == "filter" else "")
    if count:
        detail = f"{int(count)} {events}(s) in the {rule.max_age} before {format_utc(end)}: fresh"
        outcome.trace.insert(-1, ExplainStep("freshness", detail))
        return
    level = Status(rule.level)
    if count is None:
        why = "freshness could not be measured"
        level = Status.WARN
    else:
        why = (
            f"stale data: no {events} in the {rule.max_age} before {format_utc(end)} "
            "(freshness.max_age): reports may have stopped arriving"
        )
    if level.rank > outcome.status.rank:
        outcome.status = level
        outcome.message = f"{why}; {outcome.message}"
    verdict = [ExplainStep("verdict", f"{outcome.status}: {outcome.message}")]
    steps = [s for s in outcome.trace if s.kind != "verdict"]
    outcome.trace[:] = [*steps, ExplainStep("freshness", f"{why} → {outcome.status}"), *verdict]
