"""A check's metric: names resolved against what the request computes.

The metric is an expression (:mod:`qrunner.judge.expr`) over names:

* a Datadog compute key ``c0``, ``c1``... (one per ``request.compute`` entry, in order);
* a Tekton summary field listed in ``request.summary`` (``failed``, ``avg_duration``...);
* a name from the spec's ``metrics:`` mapping, itself an expression over the above (named
  metrics may use each other; cycles are errors).

What a metric measures is inferred: Datadog ``count``/``cardinality`` computes are counts; any
other aggregation of ``@duration``, ``@ci.queue_time`` or a metric whose last part ends in
``duration`` is a duration in nanoseconds; other measures are plain numbers. Tekton status
fields are counts, ``*_duration`` fields are durations (interval text), ``last_runtime`` is a
timestamp.

:func:`read_context` reads what a request computes (names, kinds, grouping, total buckets);
:func:`resolve` turns a metric's text into an expression over computed names only, raising
:class:`Problem` with a "did you mean" for unknown names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qrunner.judge.expr import (
    ExpressionError,
    Node,
    expanded_size,
    free_names,
    parse_expression,
    substitute,
)
from qrunner.judge.units import Kind
from qrunner.limits import MAX_DERIVED_SIZE, MAX_NESTING, excerpt, tree_depth_exceeds
from qrunner.sources import Source, aggregate_attributes

if TYPE_CHECKING:  # pydantic stays unimported until a spec is loaded
    from qrunner.spec.model import QuerySpec

TEKTON_FIELDS: dict[str, Kind] = {
    **dict.fromkeys(("total", "succeeded", "failed", "cancelled", "running", "others"), Kind.COUNT),
    "last_runtime": Kind.TIMESTAMP,
    **dict.fromkeys(
        ("avg_duration", "min_duration", "max_duration", "total_duration"), Kind.DURATION
    ),
}
DEFAULT_TOTAL_LABEL = "$facet_total"
_COMPUTE_KEY = re.compile(r"^c\d+$")
_DURATION_METRICS = ("@duration", "@ci.queue_time")


class Problem(Exception):
    """Something wrong with a metric or check, and where: ``pointer`` (``checks[0].metric``)."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer


@dataclass(frozen=True, slots=True)
class Context:
    """What the request computes, read once per spec."""

    source: Source
    kinds: dict[str, Kind]  # computed name → kind
    named: dict[str, str]  # spec.metrics
    grouped: bool
    total_labels: list[Any] | None  # one per group_by when every group_by asks for a total

    @property
    def tekton(self) -> bool:
        return self.source.backend == "tekton"


def _is_duration_metric(metric: str) -> bool:
    last = metric.lstrip("@").rsplit(".", 1)[-1].lower()
    return metric in _DURATION_METRICS or last.endswith("duration")


def read_context(spec: QuerySpec, source: Source, request: Mapping[str, Any]) -> Context:
    if source.backend == "tekton":
        summary = request.get("summary") or ""
        items = summary.split(",") if isinstance(summary, str) else list(summary)
        kinds = {
            str(i).strip(): TEKTON_FIELDS[str(i).strip()]
            for i in items
            if str(i).strip() in TEKTON_FIELDS
        }
        return Context(source, kinds, dict(spec.metrics), bool(request.get("group_by")), None)
    attributes = aggregate_attributes(source, dict(request))
    computes = attributes.get("compute")
    if not isinstance(computes, list):
        computes = [{"aggregation": "count"}]  # the API's default compute
    kinds = {}
    for index, entry in enumerate(computes):
        compute = entry if isinstance(entry, dict) else {}
        aggregation = str(compute.get("aggregation", "count")).lower()
        metric = compute.get("metric")
        if aggregation in ("count", "cardinality"):
            kinds[f"c{index}"] = Kind.COUNT
        elif isinstance(metric, str) and _is_duration_metric(metric):
            kinds[f"c{index}"] = Kind.DURATION
        else:
            kinds[f"c{index}"] = Kind.NUMBER
    group_by = attributes.get("group_by")
    group_by = group_by if isinstance(group_by, list) else []
    labels: list[Any] | None = []
    for entry in group_by:
        total = entry.get("total") if isinstance(entry, dict) else None
        if total is None or total is False:
            labels = None
            break
        assert labels is not None
        labels.append(DEFAULT_TOTAL_LABEL if total is True else total)
    return Context(source, kinds, dict(spec.metrics), bool(group_by), labels if group_by else None)


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unknown_name(name: str, context: Context) -> str:
    computed = sorted(context.kinds)
    if context.tekton and name in TEKTON_FIELDS:
        return (
            f"{name!r} is not computed: add it to request.summary "
            f"(now {','.join(computed) or 'empty'})"
        )
    if not context.tekton and _COMPUTE_KEY.match(name):
        return (
            f"{name!r} is not computed: the request has {len(computed)} compute(s) "
            f"({', '.join(computed)})"
        )
    candidates = [*computed, *context.named]
    if context.tekton:
        candidates += list(TEKTON_FIELDS)
    return f"unknown metric {name!r}" + _suggest(name, candidates)


class _TooDeep(Exception):  # an internal signal: resolve() reports it as a Problem
    pass


def resolve(text: str, context: Context, pointer: str, stack: tuple[str, ...] = ()) -> Node:
    """``text`` parsed, with named metrics substituted: an expression over computed names.
    Named metrics may refer to each other, but not expand past MAX_DERIVED_SIZE nodes (two
    metrics each using the previous one twice double at every step)."""
    try:
        node = _resolve(text, context, pointer, stack, {})
    except _TooDeep:
        raise Problem(
            f"named metrics refer to each other more than {MAX_NESTING} deep", pointer
        ) from None
    size = expanded_size(node, MAX_DERIVED_SIZE)
    if size > MAX_DERIVED_SIZE:
        raise Problem(
            f"{excerpt(text)!r} expands to more than {MAX_DERIVED_SIZE} terms once named "
            "metrics are substituted",
            pointer,
        )
    if size > MAX_NESTING * 4 and tree_depth_exceeds(node, MAX_NESTING * 4):
        raise Problem(
            f"{excerpt(text)!r} nests more than {MAX_NESTING * 4} operators deep once named "
            "metrics are substituted",
            pointer,
        )
    return node


def _resolve(
    text: str, context: Context, pointer: str, stack: tuple[str, ...], done: dict[str, Node]
) -> Node:
    if len(stack) > MAX_NESTING:
        raise _TooDeep
    try:
        node = parse_expression(text)
    except ExpressionError as e:
        raise Problem(f"cannot parse {excerpt(text)!r}: {e}", pointer) from None
    definitions: dict[str, Node] = {}
    for name in free_names(node):
        if name in context.kinds:
            continue
        if name in context.named:
            if name in stack:
                cycle = " → ".join((*stack, name))
                raise Problem(f"metric {name!r} is defined in terms of itself ({cycle})", pointer)
            if name not in done:
                done[name] = _resolve(
                    context.named[name], context, f"metrics.{name}", (*stack, name), done
                )
            definitions[name] = done[name]
            continue
        raise Problem(_unknown_name(name, context), pointer)
    return substitute(node, definitions)
