"""A check's levels: its ``fail`` and ``warn`` conditions read, resolved in the metric's units
and judged against a value and its baseline comparison; the text and bands reports show."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qrunner.judge.baseline import (
    SCORES,
    Comparison,
    MeasuredCondition,
    ResolvedMeasured,
    parse_measured,
    resolve_measured,
    split_threshold,
)
from qrunner.judge.expr import Node
from qrunner.judge.metrics import Problem
from qrunner.judge.outcomes import Band, Status
from qrunner.judge.thresholds import Quantity, ThresholdError
from qrunner.judge.units import DURATION_UNITS, Kind, from_base, tidy

if TYPE_CHECKING:
    from qrunner.spec.model import CheckSpec

Level = tuple[tuple[MeasuredCondition, ResolvedMeasured], ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    node: Node
    kind: Kind  # of the metric
    unit: str | None  # the unit observed values are reported in
    fail: Level
    warn: Level

    @property
    def higher_is_worse(self) -> bool | None:
        for parsed, _ in (*self.fail, *self.warn):
            if parsed.condition.higher_is_worse is not None:
                return parsed.condition.higher_is_worse
        return None

    @property
    def compares(self) -> bool:
        return any(parsed.measure for parsed, _ in (*self.fail, *self.warn))


def prepare_level(
    check: CheckSpec, level: str, at: str, kind: Kind
) -> tuple[tuple[MeasuredCondition, ResolvedMeasured], ...]:
    raw = getattr(check, level)
    try:
        items = split_threshold(raw)
    except ThresholdError as e:
        raise Problem(str(e), f"{at}.{level}") from None
    prepared = []
    for position, item in enumerate(items):
        pointer = f"{at}.{level}[{position}]" if isinstance(raw, list) else f"{at}.{level}"
        try:
            parsed = parse_measured(item)
            resolved = resolve_measured(parsed, kind, check.unit)
        except ThresholdError as e:
            raise Problem(str(e), pointer) from None
        if parsed.measure and check.baseline is None:
            raise Problem(
                f"{parsed.measure} compares with a baseline: add baseline: {{shift: 7d}} "
                "or baseline: {history: 10}",
                pointer,
            )
        if parsed.measure in SCORES and check.baseline and check.baseline.history is None:
            raise Problem(
                f"{parsed.measure} needs a spread of past values: use baseline: {{history: 10}}",
                pointer,
            )
        prepared.append((parsed, resolved))
    return tuple(prepared)


def check_baseline(check: CheckSpec, at: str) -> None:
    from qrunner.spec.render import parse_duration

    baseline = check.baseline
    if baseline is None:
        return
    if (baseline.shift is None) == (baseline.history is None):
        raise Problem("a baseline is either shift: DURATION or history: N", f"{at}.baseline")
    if baseline.shift is not None:
        try:
            parse_duration(baseline.shift)
        except ValueError as e:
            raise Problem(str(e), f"{at}.baseline.shift") from None
    if baseline.history is not None and (baseline.min_points or 0) > baseline.history:
        raise Problem(
            f"min_points {baseline.min_points} is more than the {baseline.history} values "
            "asked for",
            f"{at}.baseline.min_points",
        )


_POLICY = {"warn": Status.WARN, "fail": Status.FAIL, "error": Status.ERROR}


def judge_value(
    value: float, prepared: Prepared, comparison: Comparison, no_baseline: str
) -> tuple[Status, str]:
    """The status of ``value`` and the condition that set it (or why a baseline is missing)."""
    missing = False
    for level, status in ((prepared.fail, Status.FAIL), (prepared.warn, Status.WARN)):
        for parsed, resolved in level:
            quantity = value if parsed.measure is None else comparison.measure(parsed.measure)
            if quantity is None:
                missing = True
            elif resolved.condition.triggers(quantity):
                return status, f"{status} {parsed}"
    if missing and no_baseline in _POLICY:
        reason = comparison.missing or "no baseline"
        return _POLICY[no_baseline], f"{reason} (no_baseline: {no_baseline})"
    return Status.PASS, comparison.missing if missing and comparison.missing else ""


def _in_unit(measured: MeasuredCondition, unit: str | None) -> str:
    """A condition as written, its durations in the check's chosen ``unit:`` (``> 2700s`` with
    ``unit: m`` reads ``> 45m``), so thresholds and values are read in one unit."""
    if unit not in DURATION_UNITS:
        return str(measured)

    def convert(quantity: Quantity | None) -> Quantity | None:
        if quantity is None or quantity.unit not in DURATION_UNITS or quantity.unit == unit:
            return quantity
        scale = DURATION_UNITS[quantity.unit] / DURATION_UNITS[unit]
        return Quantity(tidy(quantity.number * scale), unit)

    condition = measured.condition
    bound = convert(condition.bound)
    assert bound is not None
    shown = replace(condition, bound=bound, upper=convert(condition.upper))
    return str(replace(measured, condition=shown))


def threshold_text(check: CheckSpec) -> str:
    parts = []
    for level in ("fail", "warn"):
        try:
            items = split_threshold(getattr(check, level))
            texts = [_in_unit(parse_measured(item), check.unit) for item in items]
        except ThresholdError:
            texts = [str(getattr(check, level))]
        if texts:
            parts.append(f"{level} {' or '.join(texts)}")
    return ", ".join(parts)


def bands_of(prepared: Prepared) -> list[Band]:
    """Where the absolute conditions trigger, in the display unit, for trend charts."""
    bands = []
    for name, level in (("fail", prepared.fail), ("warn", prepared.warn)):
        for parsed, resolved in level:
            if parsed.measure is not None:
                continue
            condition = resolved.condition
            low = tidy(from_base(condition.low, prepared.unit))
            high = (
                None if condition.high is None else tidy(from_base(condition.high, prepared.unit))
            )
            if condition.op in (">", ">="):
                bands.append(Band(name, low, None))
            elif condition.op in ("<", "<="):
                bands.append(Band(name, None, low))
            elif condition.op == "in":
                bands.append(Band(name, low, high))
            elif condition.op == "not in":
                bands += [Band(name, None, low), Band(name, high, None)]
    return bands
