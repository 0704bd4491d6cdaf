"""Reading a check's values out of a query result, in base units: which buckets the scope
judges, how a timeseries becomes one number, and the groups' values.

Shared by the check itself and by a ``shift`` baseline, whose shifted result is read the
same way so that the two are comparable group by group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qrunner.judge.expr import Node, evaluate_expression, free_names
from qrunner.judge.metrics import Context, Problem
from qrunner.judge.results import Bucket, QueryResult, TimePoint, Value
from qrunner.judge.trace import ExplainStep
from qrunner.judge.units import (
    NANOSECONDS_PER_SECOND,
    Kind,
    format_number,
    parse_pg_interval,
    tidy,
)

if TYPE_CHECKING:
    from qrunner.spec.model import CheckSpec

REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "last": lambda v: v[-1],
    "first": lambda v: v[0],
    "max": max,
    "min": min,
    "sum": sum,
    "avg": lambda v: sum(v) / len(v),
}


def _base_value(
    name: str, raw: Value, kind: Kind, tekton: bool, reduce: str
) -> tuple[float | None, str]:
    """The value of ``name`` in base units (seconds for durations), and how it was read."""
    number: float | None
    if raw is None:
        return None, f"{name} is null"
    if isinstance(raw, list):
        points = [p.value for p in raw if isinstance(p, TimePoint) and p.value is not None]
        number = REDUCERS[reduce]([float(v) for v in points]) if points else None
        shown = "null" if number is None else format_number(number)
        nulls = len(raw) - len(points)
        how = f"{name}: timeseries of {len(raw)} points ({nulls} null), reduce {reduce} → {shown}"
    elif isinstance(raw, str):
        interval = tekton and kind is Kind.DURATION
        try:
            number = parse_pg_interval(raw) if interval else float(raw)
        except ValueError:
            raise Problem(f"{name} is {raw!r}, not a number", "") from None
        how = f"{name} = {raw!r}" + (f" (interval) → {format_number(number)} s" if interval else "")
    else:
        number = float(raw)
        how = f"{name} = {format_number(number)}"
    if number is not None and kind is Kind.DURATION and not tekton:
        number /= NANOSECONDS_PER_SECOND
        how += f" ns → {format_number(tidy(number))} s"
    return number, how


def _bucket_value(
    bucket: Bucket, node: Node, context: Context, check: CheckSpec
) -> tuple[float | None, str]:
    """The bucket's value of the metric, and how it was read (each name, then the result)."""
    values: dict[str, float | None] = {}
    reads = []
    names = free_names(node)
    for name in names:
        kind = context.kinds[name]
        values[name], how = _base_value(
            name, bucket.values.get(name), kind, context.tekton, check.reduce
        )
        reads.append(how)
    value = evaluate_expression(node, values)
    if names != [check.metric]:
        reads.append(f"{check.metric} → {'no value' if value is None else format_number(value)}")
    return value, "; ".join(reads)


def _is_total(bucket: Bucket, labels: list[Any] | None) -> bool:
    if not labels:
        return False
    return any(v in labels for v in bucket.by.values())


@dataclass(frozen=True, slots=True)
class Measured:
    """The judged buckets' values (base units); ``buckets`` counts them, present or not."""

    present: list[tuple[dict[str, Any], float]]
    buckets: int

    @property
    def reason(self) -> str:
        return "the query returned no buckets" if not self.buckets else "every value is null"


def measure(
    check: CheckSpec,
    node: Node,
    context: Context,
    result: QueryResult,
    steps: list[ExplainStep] | None = None,
) -> Measured:
    """The values of the buckets ``check.scope`` judges; with ``steps``, which buckets and
    each value read are recorded there as they are decided."""
    labels = context.total_labels or []
    if check.scope == "total" and context.grouped:
        buckets = [b for b in result.buckets if b.by and all(v in labels for v in b.by.values())]
        why = f"the total bucket ({', '.join(map(str, labels))})"
    elif check.scope == "total":
        buckets = result.buckets[:1]
        why = "the single ungrouped bucket"
    else:
        buckets = [b for b in result.buckets if not _is_total(b, context.total_labels)]
        why = "every group" if context.grouped else "the single ungrouped bucket"
        if len(buckets) < len(result.buckets):
            why += f" ({len(result.buckets) - len(buckets)} total bucket(s) set aside)"
    if steps is not None:
        judged = f"{len(result.buckets)} in the response; judging {why}: {len(buckets)}"
        steps.append(ExplainStep("buckets", judged))
    values = []
    for bucket in buckets:
        value, how = _bucket_value(bucket, node, context, check)
        values.append((dict(bucket.by), value))
        if steps is not None:
            steps.append(ExplainStep("value", how, dict(bucket.by) if context.grouped else None))
    return Measured([(by, v) for by, v in values if v is not None], len(buckets))


def per_group(check: CheckSpec, context: Context) -> bool:
    """Whether each group is judged (and recorded) on its own."""
    return check.scope == "each" and context.grouped


def single_value(check: CheckSpec, present: Sequence[tuple[dict[str, Any], float]]) -> float:
    """The one judged value of a check that is not per group (``present`` is not empty,
    except for ``scope: count``)."""
    if check.scope == "count":
        return float(len(present))
    numbers = [v for _, v in present]
    if check.scope in ("each", "total"):
        return numbers[0]
    return REDUCERS[check.scope](numbers)
