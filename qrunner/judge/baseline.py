"""Conditions over a baseline: ``change > 20%``, ``delta > 5m``, ``zscore > 3``, ``mzscore > 3.5``.

A check with ``baseline:`` compares its observed value with what it was before:

* ``shift: 7d`` — the same request on the window moved back (one more query);
* ``history: 10`` — the check's last ten recorded values in the history store, reduced by
  ``reduce`` (``median`` default, ``mean``, ``min``, ``max``, ``last``); per group for
  ``scope: each``.

The measures a condition can name:

* ``change`` — relative change ``(observed - baseline) / |baseline|``, written in percent
  (``change > 20%``) or as a fraction (``change > 0.2``); a baseline of 0 makes any increase
  an infinite change;
* ``delta`` — ``observed - baseline`` in the metric's unit (``delta > 5m``);
* ``zscore`` — ``(observed - mean) / stdev`` over the history's values (sample deviation);
* ``mzscore`` — the robust variant (Iglewicz and Hoaglin's modified z-score):
  ``0.6745 * (observed - median) / MAD``, which one past outlier cannot mask.

Both scores need a ``history`` baseline with at least :data:`MIN_SCORE_POINTS` values. A
deviation of 0 makes any difference an infinite score (and no difference a score of 0).

Fewer values than ``min_points`` (default :data:`DEFAULT_MIN_POINTS`, at most ``history``), or
a shifted query without a value for the group, is **no baseline**: the check's
``no_baseline`` decides (``pass`` default — a fresh history must not fail every gate for its
first days, and the absolute conditions still apply; or ``warn``, ``fail``, ``error``).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qrunner.judge.thresholds import Condition, ResolvedCondition, ThresholdError, parse_condition
from qrunner.judge.units import Kind

MEASURES = ("change", "delta", "zscore", "mzscore")
SCORES = ("zscore", "mzscore")
DEFAULT_MIN_POINTS = 3
MIN_SCORE_POINTS = 2
MAD_SCALE = 0.6745  # makes the MAD comparable with a standard deviation for normal data

_MEASURE = re.compile(r"^\s*(change|delta|zscore|mzscore)\b\s*(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class MeasuredCondition:
    """One condition of a level: over the observed value (``measure`` None) or a baseline."""

    measure: str | None
    condition: Condition

    def __str__(self) -> str:
        return f"{self.measure} {self.condition}" if self.measure else str(self.condition)


@dataclass(frozen=True, slots=True)
class ResolvedMeasured:
    measure: str | None
    condition: ResolvedCondition


def split_threshold(raw: Any) -> list[str | float]:
    """A ``fail:``/``warn:`` value as its list of conditions (a list triggers on any)."""
    if raw is None:
        return []
    if isinstance(raw, list):
        if not raw:
            raise ThresholdError("an empty list of conditions")
        return list(raw)
    return [raw]


def parse_measured(raw: str | float) -> MeasuredCondition:
    """``> 5m`` or ``change > 20%``; raises ThresholdError."""
    if isinstance(raw, str):
        match = _MEASURE.match(raw)
        if match:
            rest = match.group(2)
            if not rest.strip():
                raise ThresholdError(f"{match.group(1)} needs a condition, like '{raw} > 3'")
            return MeasuredCondition(match.group(1), parse_condition(rest))
    return MeasuredCondition(None, parse_condition(raw))


def measure_kind(measure: str | None, kind: Kind) -> Kind:
    """The kind of quantity a measure is: change is a ratio, scores plain numbers."""
    if measure == "change":
        return Kind.RATIO
    if measure in SCORES:
        return Kind.NUMBER
    return kind


def resolve_measured(measured: MeasuredCondition, kind: Kind, unit: str | None) -> ResolvedMeasured:
    """Bounds in base units; raises ThresholdError (a % on a zscore, a bare duration...)."""
    judged = measure_kind(measured.measure, kind)
    default_unit = unit if judged is kind else None
    if measured.measure in SCORES and measured.condition.units:
        raise ThresholdError(
            f"a {measured.measure} is a plain number of deviations, without a unit: "
            f"write {measured.measure} {measured.condition.op} 3"
        )
    return ResolvedMeasured(measured.measure, measured.condition.resolve(judged, default_unit))


@dataclass(frozen=True, slots=True)
class Comparison:
    """An observed value against its baseline, all in base units; ``missing`` says why a
    measure could not be computed."""

    baseline: float | None = None
    change: float | None = None  # fraction
    delta: float | None = None
    zscore: float | None = None
    mzscore: float | None = None
    missing: str | None = None

    def measure(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value


NO_COMPARISON = Comparison(missing="no baseline configured")


def _ratio(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return 0.0 if numerator == 0 else math.copysign(math.inf, numerator)
    return numerator / denominator


def reduce_points(points: Sequence[float], how: str) -> float:
    """``points`` newest first → one baseline."""
    if how == "last":
        return points[0]
    if how == "mean":
        return statistics.fmean(points)
    if how == "min":
        return min(points)
    if how == "max":
        return max(points)
    return statistics.median(points)


def compare(
    value: float, points: Sequence[float], *, how: str, min_points: int, scores: bool
) -> Comparison:
    """``value`` against past ``points`` (newest first, base units)."""
    if len(points) < min_points or not points:
        values = "value" if min_points == 1 else "values"
        return Comparison(missing=f"no baseline: {len(points)} of {min_points} {values}")
    baseline = reduce_points(points, how)
    delta = value - baseline
    zscore = mzscore = None
    if len(points) >= MIN_SCORE_POINTS:
        mean = statistics.fmean(points)
        zscore = _ratio(value - mean, statistics.stdev(points))
        median = statistics.median(points)
        mad = statistics.median([abs(p - median) for p in points])
        mzscore = _ratio(MAD_SCALE * (value - median), mad)
    return Comparison(baseline, _ratio(delta, abs(baseline)), delta, zscore, mzscore)


def effective_min_points(history: int | None, min_points: int | None) -> int:
    if min_points is not None:
        return min_points
    return min(DEFAULT_MIN_POINTS, history) if history else 1


def group_key(by: Mapping[str, Any]) -> str:
    """How a group is named in the history: ``@ci.pipeline.name=build, env=prod``."""
    return ", ".join(f"{k}={v}" for k, v in by.items())


@dataclass(frozen=True, slots=True)
class BaselineInput:
    """What the run found for one check: the shifted query's values per group key, or the
    history's past values per group key (newest first, base units). The single value of a
    check that is not per group is under the key ``""``."""

    points: Mapping[str, Sequence[float]]
    how: str
    min_points: int
    scores: bool  # whether score measures may be computed (history baselines)

    def compare(self, key: str, value: float) -> Comparison:
        return compare(
            value,
            self.points.get(key, ()),
            how=self.how,
            min_points=self.min_points,
            scores=self.scores,
        )
