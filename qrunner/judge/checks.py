"""Judging a query's output: checks → :class:`~qrunner.judge.outcomes.CheckOutcome`.

A check names a **metric** and the conditions that make it ``warn`` and ``fail`` (fail wins
when both trigger; syntax and units in :mod:`.thresholds` and :mod:`.units`).

The metric is an expression over the names the request computes (Datadog compute keys,
Tekton summary fields) and the spec's named ``metrics:``; how names resolve and what kind of
quantity each measures is described in :mod:`qrunner.judge.metrics`.

Scope — which value is judged:

* ``each`` (default): every group is judged; warning/failing groups are the offenders, worst
  first; the check's status and observed value are the worst group's.
* ``total``: the ungrouped value. On a grouped Datadog request it is the total bucket that
  ``group_by[].total`` adds (``$facet_total`` or the label given), which every group_by must
  then ask for; otherwise (and on a grouped Tekton summary, which has no total row) it is a
  validation error. Total buckets are never judged as groups by the other scopes.
* ``max``, ``min``, ``sum``, ``avg``: the groups' values reduced to one; ``count``: how many
  groups have a value (a count: unitless; zero groups is a count of 0, not "no data").

A timeseries value becomes one number by ``reduce`` (``last`` default, ``first``, ``max``,
``min``, ``avg``, ``sum``); null points are ignored.

No data — no buckets, or no bucket with a value — is resolved by ``no_data``: ``pass``
(reported as ``no_data``), ``warn``, ``fail`` (default: fail closed) or ``error``.

A partial result (the query timed out, or pages were left unread) or one with warnings never
passes silently: a check that would pass (or resolve to ``no_data``) is reported as ``warn``
with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qrunner.judge.expr import Node, evaluate_expression, free_names, infer_kind
from qrunner.judge.metrics import (
    DEFAULT_TOTAL_LABEL,
    TEKTON_FIELDS,
    Context,
    Problem,
    read_context,
    resolve,
)
from qrunner.judge.outcomes import CheckOutcome, Offender, Status
from qrunner.judge.results import Bucket, QueryResult, TimePoint, Value
from qrunner.judge.thresholds import Condition, ResolvedCondition, ThresholdError, parse_condition
from qrunner.judge.units import (
    NANOSECONDS_PER_SECOND,
    Kind,
    display_unit,
    format_quantity,
    from_base,
    parse_pg_interval,
    tidy,
    unit_problem,
)
from qrunner.sources import Source

if TYPE_CHECKING:  # pydantic stays unimported until a spec is loaded
    from qrunner.spec.model import CheckSpec, QuerySpec

# TEKTON_FIELDS and DEFAULT_TOTAL_LABEL moved to qrunner.judge.metrics; still importable from here
__all__ = ["DEFAULT_TOTAL_LABEL", "TEKTON_FIELDS", "evaluate_checks", "validate_checks"]


@dataclass(frozen=True, slots=True)
class _Prepared:
    node: Node
    kind: Kind  # of the metric
    unit: str | None  # the unit observed values are reported in
    fail: tuple[Condition, ResolvedCondition] | None
    warn: tuple[Condition, ResolvedCondition] | None

    @property
    def higher_is_worse(self) -> bool | None:
        for level in (self.fail, self.warn):
            if level is not None and level[0].higher_is_worse is not None:
                return level[0].higher_is_worse
        return None


def _prepare(check: CheckSpec, index: int, context: Context) -> _Prepared:
    """Everything about a check that can be known before running; raises Problem."""
    at = f"checks[{index}]"
    node = resolve(check.metric, context, f"{at}.metric")
    kind = infer_kind(node, context.kinds)
    judged_kind = Kind.COUNT if check.scope == "count" else kind
    if check.unit is not None:
        problem = unit_problem(judged_kind, check.unit)
        if problem:
            raise Problem(problem, f"{at}.unit")
    if check.fail is None and check.warn is None:
        raise Problem("a check needs a fail: or a warn: threshold (or both)", at)
    if check.scope == "total" and context.grouped and context.total_labels is None:
        if context.tekton:
            advice = "a grouped Tekton summary has no total row"
        else:
            advice = "ask every group_by for a total bucket (group_by[].total: true)"
        raise Problem(
            f"scope total on a grouped request: {advice}, or judge the groups with "
            "scope each, max, min, sum, avg or count",
            f"{at}.scope",
        )
    levels: dict[str, tuple[Condition, ResolvedCondition] | None] = {}
    for level in ("fail", "warn"):
        raw = getattr(check, level)
        if raw is None:
            levels[level] = None
            continue
        try:
            condition = parse_condition(raw)
            levels[level] = (condition, condition.resolve(judged_kind, check.unit))
        except ThresholdError as e:
            raise Problem(str(e), f"{at}.{level}") from None
    return _Prepared(
        node, judged_kind, display_unit(judged_kind, check.unit), levels["fail"], levels["warn"]
    )


def validate_checks(
    spec: QuerySpec, source: Source, request: dict[str, Any]
) -> list[tuple[str, str]]:
    """Every problem with ``spec``'s metrics and checks that can be seen before running,
    as ``(pointer, message)``: ``("checks[0].metric", "unknown metric 'faild'; did you mean
    'failed'?")``."""
    context = read_context(spec, source, request)
    problems: list[tuple[str, str]] = []
    for name, text in spec.metrics.items():
        if name in context.kinds:
            problems.append((f"metrics.{name}", f"{name!r} is already a computed value"))
            continue
        try:
            resolve(text, context, f"metrics.{name}", (name,))
        except Problem as e:
            if (e.pointer, e.message) not in problems:
                problems.append((e.pointer, e.message))
    for index, check in enumerate(spec.checks):
        try:
            _prepare(check, index, context)
        except Problem as e:
            if not e.pointer.startswith("metrics.") and (e.pointer, e.message) not in problems:
                problems.append((e.pointer, e.message))
    return problems


_REDUCERS: dict[str, Callable[[list[float]], float]] = {
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
        number = _REDUCERS[reduce]([float(v) for v in points]) if points else None
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


def _bucket_value(
    bucket: Bucket, prepared: _Prepared, context: Context, reduce: str
) -> float | None:
    names = free_names(prepared.node)
    values = {
        n: _base_value(n, bucket.values.get(n), context.kinds[n], context.tekton, reduce)
        for n in names
    }
    return evaluate_expression(prepared.node, values)


def _is_total(bucket: Bucket, labels: list[Any] | None) -> bool:
    if not labels:
        return False
    return any(v in labels for v in bucket.by.values())


def _judge(value: float, prepared: _Prepared) -> Status:
    if prepared.fail is not None and prepared.fail[1].triggers(value):
        return Status.FAIL
    if prepared.warn is not None and prepared.warn[1].triggers(value):
        return Status.WARN
    return Status.PASS


def _threshold_text(check: CheckSpec) -> str:
    parts = []
    for level in ("fail", "warn"):
        raw = getattr(check, level)
        if raw is None:
            continue
        try:
            parts.append(f"{level} {parse_condition(raw)}")
        except ThresholdError:
            parts.append(f"{level} {raw}")
    return ", ".join(parts)


def _describe_by(by: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in by.items()) or "(all)"


def _evaluate(
    check: CheckSpec, prepared: _Prepared, context: Context, result: QueryResult
) -> tuple[Status, float | None, list[Offender], str]:
    """(status, observed in base units, offenders in display units, message)."""
    unit = prepared.unit

    def show(value: float) -> str:
        return format_quantity(from_base(value, unit), unit)

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
    values = [(b.by, _bucket_value(b, prepared, context, check.reduce)) for b in buckets]
    present = [(by, v) for by, v in values if v is not None]
    for by, v in present:
        if not math.isfinite(v):
            # NaN compares false with everything: judged, it would pass any gate.
            where = f" for {_describe_by(by)}" if by else ""
            raise Problem(f"observed value is {v}{where}, not a finite number: not judged", "")

    if check.scope == "count":
        count = float(len(present))
        status = _judge(count, prepared)
        return status, count, [], f"{len(present)} group(s) with a value: {status}"
    if not present:
        reason = "the query returned no buckets" if not buckets else "every value is null"
        policy = check.no_data
        status = Status.NO_DATA if policy == "pass" else Status(policy)
        return status, None, [], f"no data: {reason} (no_data: {policy})"

    if check.scope == "each" and context.grouped:
        judged = [(by, v, _judge(v, prepared)) for by, v in present]
        higher = prepared.higher_is_worse

        def severity(item: tuple[dict[str, Any], float, Status]) -> tuple[int, float]:
            direction = 0.0 if higher is None else (item[1] if higher else -item[1])
            return (item[2].rank, direction)

        ranked = sorted(judged, key=severity, reverse=True)
        worst_by, worst_value, status = ranked[0]
        offenders = [
            Offender(dict(by), tidy(from_base(v, unit)))
            for by, v, s in ranked
            if s is not Status.PASS
        ]
        if offenders:
            message = (
                f"{len(offenders)} of {len(judged)} groups breach; worst "
                f"{_describe_by(worst_by)}: {show(worst_value)}"
            )
        else:
            message = f"all {len(judged)} groups within thresholds; worst {show(worst_value)}"
        return status, worst_value, offenders, message

    numbers = [v for _, v in present]
    single = check.scope in ("each", "total")
    value = numbers[0] if single else _REDUCERS[check.scope](numbers)
    status = _judge(value, prepared)
    level = prepared.fail if status is Status.FAIL else prepared.warn
    if status is Status.PASS or level is None:
        return status, value, [], f"{check.metric} = {show(value)}: within thresholds"
    return status, value, [], f"{check.metric} = {show(value)}: {status} {level[0]}"


def evaluate_checks(
    spec: QuerySpec,
    source: Source,
    request: dict[str, Any],
    result: QueryResult,
    *,
    lines: Mapping[int, int] | None = None,
) -> list[CheckOutcome]:
    """Judge every check of ``spec`` against ``result``; problems become ``error`` outcomes."""
    context = read_context(spec, source, request)
    outcomes = []
    for index, check in enumerate(spec.checks):
        observed: float | None = None
        offenders: list[Offender] = []
        unit = check.unit
        try:
            prepared = _prepare(check, index, context)
            unit = prepared.unit
            status, base, offenders, message = _evaluate(check, prepared, context, result)
            observed = None if base is None else tidy(from_base(base, unit))
        except Problem as e:
            status, message = Status.ERROR, e.message
        if status in (Status.PASS, Status.NO_DATA) and (result.partial or result.warnings):
            reasons = [f"{result.partial_reason}: partial result"] if result.partial else []
            reasons += [f"warning: {w}" for w in result.warnings]
            status, message = Status.WARN, f"{message}; not trusted as a pass: {'; '.join(reasons)}"
        outcomes.append(
            CheckOutcome(
                name=check.name,
                status=status,
                observed=observed,
                threshold=_threshold_text(check),
                unit=unit,
                offenders=offenders,
                message=message,
                mode=check.mode,
                line=(lines or {}).get(index, 0),
                metric=check.metric,
            )
        )
    return outcomes
