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
from qrunner.judge.units import NANOSECONDS_PER_SECOND, Kind, parse_pg_interval

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


def _base_value(name: str, raw: Value, kind: Kind, tekton: bool, reduce: str) -> float | None:
    number: float | None
    if raw is None:
        return None
    if isinstance(raw, list):
        points = [p.value for p in raw if isinstance(p, TimePoint) and p.value is not None]
        number = REDUCERS[reduce]([float(v) for v in points]) if points else None
    elif isinstance(raw, str):
        try:
            number = parse_pg_interval(raw) if tekton and kind is Kind.DURATION else float(raw)
        except ValueError:
            raise Problem(f"{name} is {raw!r}, not a number", "") from None
    else:
        number = float(raw)
    if number is not None and kind is Kind.DURATION and not tekton:
        number /= NANOSECONDS_PER_SECOND
    return number


def _bucket_value(bucket: Bucket, node: Node, context: Context, reduce: str) -> float | None:
    values = {
        n: _base_value(n, bucket.values.get(n), context.kinds[n], context.tekton, reduce)
        for n in free_names(node)
    }
    return evaluate_expression(node, values)


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


def measure(check: CheckSpec, node: Node, context: Context, result: QueryResult) -> Measured:
    """The values of the buckets ``check.scope`` judges."""
    if check.scope == "total":
        if context.grouped:
            buckets = [
                b
                for b in result.buckets
                if b.by and all(v in (context.total_labels or []) for v in b.by.values())
            ]
        else:
            buckets = result.buckets[:1]
    else:
        buckets = [b for b in result.buckets if not _is_total(b, context.total_labels)]
    values = [(dict(b.by), _bucket_value(b, node, context, check.reduce)) for b in buckets]
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
