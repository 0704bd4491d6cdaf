"""Conditions over a baseline: reading them, the measures, and judging per group."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrunner.judge.baseline import compare, parse_measured, resolve_measured
from qrunner.judge.checks import evaluate_checks, validate_checks
from qrunner.judge.outcomes import CheckOutcome, Status
from qrunner.judge.results import normalize_response
from qrunner.judge.thresholds import ThresholdError
from qrunner.judge.units import Kind
from qrunner.sources import SOURCES
from qrunner.spec.model import CheckSpec, QuerySpec

NS = 1e9
REQUEST = {
    "compute": [{"aggregation": "pc90", "metric": "@duration"}],
    "group_by": [{"facet": "@ci.pipeline.name"}],
}


@pytest.mark.parametrize(
    ("text", "measure", "condition"),
    [
        ("change > 20%", "change", "> 20%"),
        ("delta >= 5m", "delta", ">= 5m"),
        ("zscore > 3", "zscore", "> 3"),
        ("mzscore>3.5", "mzscore", "> 3.5"),
        ("change not -10%..10%", "change", "not -10%..10%"),
        ("> 45m", None, "> 45m"),
        (5, None, ">= 5"),
    ],
)
def test_conditions_name_their_measure(text: Any, measure: str | None, condition: str) -> None:
    parsed = parse_measured(text)
    assert (parsed.measure, str(parsed.condition)) == (measure, condition)


def test_change_reads_percent_or_a_fraction_and_delta_the_metric_unit() -> None:
    assert resolve_measured(parse_measured("change > 20%"), Kind.DURATION, "m").condition.low == 0.2
    assert resolve_measured(parse_measured("change > 0.2"), Kind.DURATION, "m").condition.low == 0.2
    assert resolve_measured(parse_measured("delta > 5"), Kind.DURATION, "m").condition.low == 300
    with pytest.raises(ThresholdError, match="needs a unit"):
        resolve_measured(parse_measured("delta > 5"), Kind.DURATION, None)
    with pytest.raises(ThresholdError, match="without a unit"):
        resolve_measured(parse_measured("zscore > 3s"), Kind.DURATION, None)
    with pytest.raises(ThresholdError, match="needs a condition"):
        parse_measured("change")


@settings(deadline=None)  # the machine is shared: no per-example time limit
@given(st.text(max_size=40))
def test_reading_any_text_raises_only_threshold_errors(text: str) -> None:
    try:
        parsed = parse_measured(text)
        resolve_measured(parsed, Kind.DURATION, "s")
    except ThresholdError:
        pass


@settings(deadline=None)
@given(
    st.floats(-1e6, 1e6),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20),
    st.sampled_from(["median", "mean", "min", "max", "last"]),
)
def test_compare_is_defined_for_any_history(value: float, points: list[float], how: str) -> None:
    comparison = compare(value, points, how=how, min_points=1, scores=True)
    assert comparison.baseline is not None and comparison.delta is not None
    assert comparison.change is not None and not math.isnan(comparison.change)
    assert math.isclose(comparison.delta, value - comparison.baseline, abs_tol=1e-6)


def test_measures_against_a_history() -> None:
    points = [10.0, 12.0, 11.0, 9.0, 10.0, 30.0]  # newest first, one old outlier
    c = compare(15.0, points, how="median", min_points=5, scores=True)
    assert c.baseline == 10.5 and c.delta == 4.5
    assert c.change == pytest.approx(4.5 / 10.5)
    assert c.zscore is not None and c.zscore < 1  # the outlier inflates the deviation...
    assert c.mzscore is not None and c.mzscore > 3  # ...but not the robust score
    assert compare(1.0, [0.0, 0.0], how="median", min_points=1, scores=True).change == math.inf
    assert compare(0.0, [0.0, 0.0], how="median", min_points=1, scores=True).zscore == 0
    missing = compare(1.0, [1.0, 2.0], how="median", min_points=3, scores=True)
    assert missing.baseline is None and missing.missing == (
        "no baseline: 2 of 3 values"
    )


def judge(
    check: dict[str, Any],
    buckets: list[tuple[dict[str, Any], float]],
    history: Mapping[str, Sequence[float]] | None,
) -> CheckOutcome:
    spec = QuerySpec(
        version=1, name="s", source="datadog.ci_pipelines", request=REQUEST,
        checks=[CheckSpec(name="c", metric="c0", unit="m", **check)],
    )  # fmt: skip
    source = SOURCES["datadog.ci_pipelines"]
    response = {
        "data": {"buckets": [{"by": by, "computes": {"c0": v * 60 * NS}} for by, v in buckets]}
    }
    result = normalize_response(source, response, grouped=True)
    assert validate_checks(spec, source, REQUEST) == []
    baselines = (
        {0: {k: [v * 60 for v in values] for k, values in history.items()}} if history else {}
    )
    [outcome] = evaluate_checks(spec, source, REQUEST, result, baselines=baselines)
    return outcome


GROUPS = [({"@ci.pipeline.name": "build"}, 15.0), ({"@ci.pipeline.name": "deploy"}, 4.0)]
PAST = {"@ci.pipeline.name=build": [10.0] * 5, "@ci.pipeline.name=deploy": [4.0] * 5}


def test_each_group_is_compared_with_its_own_history() -> None:
    outcome = judge({"fail": ["> 45m", "change > 20%"], "baseline": {"history": 5}}, GROUPS, PAST)
    assert outcome.status is Status.FAIL
    assert [(o.by, o.observed, o.baseline, o.change) for o in outcome.offenders] == [
        ({"@ci.pipeline.name": "build"}, 15.0, 10.0, 50.0)
    ]
    assert (outcome.observed, outcome.baseline, outcome.change) == (15.0, 10.0, 50.0)
    assert [g.status for g in outcome.groups] == [Status.FAIL, Status.PASS]
    assert outcome.threshold == "fail > 45m or change > 20%"
    assert "baseline 10m, change +50.0%" in outcome.message


def test_absolute_conditions_still_apply_beside_a_baseline() -> None:
    outcome = judge({"fail": ["> 12m", "delta > 30m"], "baseline": {"history": 5}}, GROUPS, PAST)
    assert outcome.status is Status.FAIL and outcome.offenders[0].observed == 15.0
    assert [(b.level, b.low, b.high) for b in outcome.bands] == [("fail", 12.0, None)]


@pytest.mark.parametrize(
    ("policy", "status"),
    [("pass", Status.PASS), ("warn", Status.WARN), ("fail", Status.FAIL), ("error", Status.ERROR)],
)
def test_no_baseline_resolves_by_its_policy(policy: str, status: Status) -> None:
    check = {"warn": "change > 20%", "baseline": {"history": 10}, "no_baseline": policy}
    outcome = judge(check, GROUPS, {"@ci.pipeline.name=build": [10.0]})
    assert outcome.status is status
    assert outcome.baseline is None
    assert "no baseline: 1 of 3 values" in outcome.message


def test_a_zscore_needs_a_spread() -> None:
    steady = {"@ci.pipeline.name=build": [10.0, 10.5, 9.5, 10.2, 9.8]}
    outcome = judge({"fail": "zscore > 3", "baseline": {"history": 5}}, GROUPS[:1], steady)
    assert outcome.status is Status.FAIL and outcome.zscore is not None and outcome.zscore > 3
    calm = judge({"fail": "zscore > 3", "baseline": {"history": 5}}, [GROUPS[1]], PAST)
    assert calm.status is Status.PASS
