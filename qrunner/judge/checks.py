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

``fail``/``warn`` may be a list of conditions (the level triggers when any does), mixing
absolute conditions with conditions over a ``baseline:`` (:mod:`.baseline`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qrunner.judge.baseline import (
    NO_COMPARISON,
    BaselineInput,
    Comparison,
    effective_min_points,
    group_key,
)
from qrunner.judge.expr import infer_kind
from qrunner.judge.levels import (
    Prepared,
    bands_of,
    check_baseline,
    judge_value,
    prepare_level,
    threshold_text,
)
from qrunner.judge.measure import measure, per_group, single_value
from qrunner.judge.metrics import (
    DEFAULT_TOTAL_LABEL,
    TEKTON_FIELDS,
    Context,
    Problem,
    read_context,
    resolve,
)
from qrunner.judge.outcomes import CheckOutcome, GroupResult, Offender, Status
from qrunner.judge.results import QueryResult
from qrunner.judge.trace import ExplainStep
from qrunner.judge.units import (
    Kind,
    display_unit,
    format_quantity,
    from_base,
    tidy,
    unit_problem,
)
from qrunner.sources import Source

if TYPE_CHECKING:  # pydantic stays unimported until a spec is loaded
    from qrunner.spec.model import CheckSpec, QuerySpec

# TEKTON_FIELDS and DEFAULT_TOTAL_LABEL moved to qrunner.judge.metrics; still importable from here
__all__ = ["DEFAULT_TOTAL_LABEL", "TEKTON_FIELDS", "evaluate_checks", "validate_checks"]

# What the run found for a check's baseline: the shifted query's result, or the history's
# values per group key (newest first, base units).
BaselineData = QueryResult | Mapping[str, Sequence[float]]


def _prepare(check: CheckSpec, index: int, context: Context) -> Prepared:
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
    check_baseline(check, at)
    fail = prepare_level(check, "fail", at, judged_kind)
    warn = prepare_level(check, "warn", at, judged_kind)
    return Prepared(node, judged_kind, display_unit(judged_kind, check.unit), fail, warn)


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


def _describe_by(by: Mapping[str, Any]) -> str:
    return group_key(by) or "(all)"


def _baseline_input(
    check: CheckSpec, context: Context, prepared: Prepared, data: BaselineData | None
) -> BaselineInput | None:
    if check.baseline is None:
        return None
    if data is None:  # not looked up (explain) or the shifted query failed: nothing to compare
        if check.baseline.history is None:
            return BaselineInput({}, "last", 1, scores=False)
        data = {}
    if isinstance(data, QueryResult):  # a shifted query: read the same way as the check
        shifted = measure(check, prepared.node, context, data).present
        if per_group(check, context):
            points = {group_key(by): [v] for by, v in shifted}
        else:
            points = (
                {"": [single_value(check, shifted)]} if shifted or check.scope == "count" else {}
            )
        return BaselineInput(points, "last", 1, scores=False)
    history = check.baseline.history
    return BaselineInput(
        data,
        check.baseline.reduce,
        effective_min_points(history, check.baseline.min_points),
        scores=True,
    )


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else tidy(fraction * 100)


def _shown(value: float | None, unit: str | None) -> float | None:
    return None if value is None else tidy(from_base(value, unit))


def _evaluate(
    check: CheckSpec,
    prepared: Prepared,
    context: Context,
    result: QueryResult,
    baseline: BaselineInput | None,
    outcome: CheckOutcome,
    steps: list[ExplainStep],
) -> None:
    """Fill ``outcome`` (status, observed, baseline, offenders, groups, message), recording in
    ``steps`` each decision as it is taken."""
    unit = prepared.unit
    bounds = [b for band in bands_of(prepared) for b in (band.low, band.high) if b is not None]

    def show(value: float) -> str:
        shown = from_base(value, unit)
        return format_quantity(shown, unit, exact=check.unit is not None, apart_from=bounds)

    def against(key: str, value: float) -> Comparison:
        return baseline.compare(key, value) if baseline is not None else NO_COMPARISON

    measured = measure(check, prepared.node, context, result, steps)
    present = measured.present
    for by, v in present:
        if not math.isfinite(v):
            # NaN compares false with everything: judged, it would pass any gate.
            where = f" for {_describe_by(by)}" if by else ""
            raise Problem(f"observed value is {v}{where}, not a finite number: not judged", "")
    if not present and check.scope != "count":
        policy = check.no_data
        outcome.status = Status.NO_DATA if policy == "pass" else Status(policy)
        outcome.message = f"no data: {measured.reason} (no_data: {policy})"
        applied = f"{measured.reason}; no_data: {policy} → {outcome.status}"
        steps.append(ExplainStep("no_data", applied))
        return

    if per_group(check, context):
        judged = []
        for by, value in present:
            comparison = against(group_key(by), value)
            status, why = judge_value(value, prepared, comparison, check.no_baseline)
            judged.append((by, value, status, comparison))
            steps.append(ExplainStep("threshold", _compared(show(value), why, check, status), by))
        higher = prepared.higher_is_worse

        def severity(item: tuple[dict[str, Any], float, Status, Comparison]) -> tuple[int, float]:
            direction = 0.0 if higher is None else (item[1] if higher else -item[1])
            return (item[2].rank, direction)

        ranked = sorted(judged, key=severity, reverse=True)
        worst_by, worst_value, status, worst = ranked[0]
        outcome.groups = [
            GroupResult(dict(by), _shown(v, unit), s, _shown(c.baseline, unit), _percent(c.change))
            for by, v, s, c in ranked
        ]
        outcome.offenders = [
            Offender(g.by, g.observed, g.baseline, g.change)
            for g in outcome.groups
            if g.status is not Status.PASS
        ]
        if outcome.offenders:
            message = (
                f"{len(outcome.offenders)} of {len(judged)} groups breach; worst "
                f"{_describe_by(worst_by)}: {show(worst_value)}"
            )
        else:
            message = f"all {len(judged)} groups within thresholds; worst {show(worst_value)}"
        value, comparison = worst_value, worst
        steps.append(
            ExplainStep(
                "scope",
                f"each: {len(judged)} group(s) judged, {len(outcome.offenders)} breach; the worst "
                f"({_describe_by(worst_by)}: {show(worst_value)}, {status}) is the check's",
            )
        )
    else:
        value = single_value(check, present)
        if check.scope == "count":
            steps.append(ExplainStep("scope", f"count: {len(present)} group(s) with a value"))
        elif check.scope not in ("each", "total"):
            shown = ", ".join(show(v) for _, v in present)
            what = f"{check.scope} of {len(present)} group(s) [{shown}] → {show(value)}"
            steps.append(ExplainStep("scope", what))
        comparison = against("", value)
        status, why = judge_value(value, prepared, comparison, check.no_baseline)
        shown_value = show(value) if check.scope != "count" else format_quantity(value, None)
        steps.append(ExplainStep("threshold", _compared(shown_value, why, check, status)))
        if check.scope == "count":
            message = f"{len(present)} group(s) with a value: {status}"
        elif status is Status.PASS:
            message = f"{check.metric} = {show(value)}: within thresholds"
        else:
            message = f"{check.metric} = {show(value)}: {why}"
    outcome.status = status
    outcome.observed = _shown(value, unit)
    if baseline is not None:
        outcome.baseline = _shown(comparison.baseline, unit)
        outcome.change = _percent(comparison.change)
        outcome.zscore = None if comparison.zscore is None else tidy(comparison.zscore)
        note = comparison.missing or "no baseline"
        if comparison.baseline is not None:
            note = f"baseline {show(comparison.baseline)}"
            note += f", change {_describe_change(comparison.change)}"
        if comparison.baseline is not None or comparison.missing:
            message += f" ({note})"
        steps.append(ExplainStep("baseline", note))
        if status is Status.PASS:
            outcome.unjudged = _unjudged(comparison, outcome.groups)
    outcome.message = message


def _unjudged(chosen: Comparison, groups: list[GroupResult]) -> str | None:
    """Why a passing check's baseline condition was not judged, if it was not."""
    lacking = sum(1 for g in groups if g.baseline is None)
    if groups and 0 < lacking < len(groups):
        return f"no baseline for {lacking} of {len(groups)} groups"
    return chosen.missing


def _compared(shown: str, why: str, check: CheckSpec, status: Status) -> str:
    """A value against the check's levels: the condition that triggered, or none did."""
    if status is Status.PASS:
        return f"{shown}: none of {threshold_text(check)} triggers → pass"
    return f"{shown}: {why} → {status}"


def _describe_metric(check: CheckSpec, prepared: Prepared, context: Context) -> str:
    defined = context.named.get(check.metric)
    text = f"{check.metric} = {defined}" if defined else check.metric
    shown = f", shown in {prepared.unit}" if prepared.unit else ""
    if check.scope == "each" and not context.grouped:
        scope = "one value (the request is ungrouped)"
    else:
        scope = f"scope {check.scope}"
    if check.reduce != "last":
        scope += f", timeseries reduced by {check.reduce}"
    return f"{text}: a {prepared.kind}{shown}; {scope}; no_data: {check.no_data}"


def _describe_change(change: float | None) -> str:
    if change is None:
        return "n/a"
    return f"{change * 100:+.1f}%" if abs(change) != float("inf") else f"{change:+}"


def evaluate_checks(
    spec: QuerySpec,
    source: Source,
    request: dict[str, Any],
    result: QueryResult,
    *,
    lines: Mapping[int, int] | None = None,
    baselines: Mapping[int, BaselineData] | None = None,
) -> list[CheckOutcome]:
    """Judge every check of ``spec`` against ``result``; problems become ``error`` outcomes.
    ``baselines`` holds, by check index, what the run found for each check's ``baseline:``."""
    context = read_context(spec, source, request)
    outcomes = []
    for index, check in enumerate(spec.checks):
        outcome = CheckOutcome(
            name=check.name,
            status=Status.ERROR,
            observed=None,
            threshold=threshold_text(check),
            unit=check.unit,
            offenders=[],
            message="",
            mode=check.mode,
            line=(lines or {}).get(index, 0),
            metric=check.metric,
        )
        steps = outcome.trace
        try:
            prepared = _prepare(check, index, context)
            outcome.unit = prepared.unit
            outcome.unit_chosen = check.unit is not None
            outcome.bands = bands_of(prepared)
            steps.append(ExplainStep("metric", _describe_metric(check, prepared, context)))
            data = (baselines or {}).get(index)
            _evaluate(
                check,
                prepared,
                context,
                result,
                _baseline_input(check, context, prepared, data),
                outcome,
                steps,
            )
        except Problem as e:
            outcome.status, outcome.message = Status.ERROR, e.message
            steps.append(ExplainStep("error", e.message))
        if outcome.status in (Status.PASS, Status.NO_DATA) and (result.partial or result.warnings):
            reasons = [f"{result.partial_reason}: partial result"] if result.partial else []
            reasons += [f"warning: {w}" for w in result.warnings]
            why = "; ".join(reasons)
            steps.append(ExplainStep("partial", f"{outcome.status} is not trusted: {why} → warn"))
            outcome.status = Status.WARN
            outcome.message = f"{outcome.message}; not trusted as a pass: {why}"
        steps.append(ExplainStep("verdict", f"{outcome.status}: {outcome.message}"))
        outcomes.append(outcome)
    return outcomes
