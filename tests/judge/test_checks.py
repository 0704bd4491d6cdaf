"""Judging: every check form, scope, reducer and no-data policy; validation before running."""

from __future__ import annotations

from typing import Any

import pytest

from qrunner.judge.checks import evaluate_checks, validate_checks
from qrunner.judge.outcomes import CheckOutcome, Status
from qrunner.judge.results import normalize_response
from qrunner.sources import SOURCES
from qrunner.spec.model import CheckSpec, QuerySpec

NS = 1e9  # Datadog durations are nanoseconds

PIPELINES = {
    "compute": [
        {"aggregation": "pc90", "metric": "@duration"},
        {"aggregation": "count"},
        {"aggregation": "avg", "metric": "@http.status_code"},
    ],
    "group_by": [{"facet": "@ci.pipeline.name"}],
}
UNGROUPED = {"compute": PIPELINES["compute"]}
TEKTON = {"summary": "total,failed,succeeded,avg_duration,last_runtime"}


def _spec(
    check: dict[str, Any], request: dict[str, Any], source: str, metrics: dict[str, str]
) -> QuerySpec:
    return QuerySpec(
        version=1,
        name="s",
        source=source,  # type: ignore[arg-type]
        request=request,
        metrics=metrics,
        checks=[CheckSpec(name="c", **check)],
    )


def judge(
    check: dict[str, Any],
    buckets: list[tuple[dict[str, Any], dict[str, Any]]],
    *,
    request: dict[str, Any] | None = None,
    source: str = "datadog.ci_pipelines",
    metrics: dict[str, str] | None = None,
    status: str = "done",
    warnings: list[str] | None = None,
) -> CheckOutcome:
    """Run one check against buckets given as (by, values), through the real normaliser."""
    request = request if request is not None else PIPELINES
    spec = _spec(check, request, source, metrics or {})
    src = SOURCES[source]
    if src.backend == "tekton":
        response: dict[str, Any] = {"summary": [{**v, **by} for by, v in buckets]}
        grouped = bool(request.get("group_by"))
    else:
        response = {
            "data": {"buckets": [{"by": by, "computes": v} for by, v in buckets]},
            "meta": {"status": status, "warnings": [{"title": w} for w in (warnings or [])]},
        }
        grouped = bool(request.get("group_by"))
    result = normalize_response(src, response, grouped=grouped)
    assert validate_checks(spec, src, request) == []
    [outcome] = evaluate_checks(spec, src, request, result, lines={0: 12})
    assert outcome.line == 12
    return outcome


def p(
    name: str, seconds: float | None = None, **values: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pipeline bucket: c0 (p90 duration) given in seconds."""
    if seconds is not None:
        values["c0"] = seconds * NS
    return {"@ci.pipeline.name": name}, values


GROUPS = [p("a", 120, c1=10), p("b", 400, c1=3), p("c", 250, c1=0)]


# (check, expected status, expected observed (in the check's unit), expected unit)
CASES = [
    ({"metric": "c0", "fail": "> 5m", "warn": "> 3m"}, Status.FAIL, 400.0, "s"),
    ({"metric": "c0", "fail": "> 10m", "warn": "> 3m"}, Status.WARN, 400.0, "s"),
    ({"metric": "c0", "fail": "> 10m"}, Status.PASS, 400.0, "s"),
    ({"metric": "c0", "fail": "< 3m"}, Status.FAIL, 120.0, "s"),  # worst is the smallest
    ({"metric": "c0", "fail": "> 5m", "unit": "ms"}, Status.FAIL, 400_000.0, "ms"),
    ({"metric": "c0", "fail": "> 300000", "unit": "ms"}, Status.FAIL, 400_000.0, "ms"),
    ({"metric": "c0", "fail": "> 5m", "unit": "m"}, Status.FAIL, pytest.approx(400 / 60), "m"),
    ({"metric": "c1", "fail": "== 0"}, Status.FAIL, 0.0, None),
    ({"metric": "c1", "fail": "!= 0"}, Status.FAIL, 10.0, None),
    ({"metric": "c1", "fail": "3..5"}, Status.FAIL, 3.0, None),
    ({"metric": "c1", "fail": "not 0..10"}, Status.PASS, 10.0, None),
    ({"metric": "c1", "warn": 10}, Status.WARN, 10.0, None),
    ({"metric": "c0", "fail": "> 5m", "scope": "max"}, Status.FAIL, 400.0, "s"),
    ({"metric": "c0", "fail": "> 5m", "scope": "min"}, Status.PASS, 120.0, "s"),
    (
        {"metric": "c0", "fail": "> 5m", "scope": "avg"},
        Status.PASS,
        pytest.approx(256.667, 1e-3),
        "s",
    ),
    ({"metric": "c1", "fail": "> 12", "scope": "sum"}, Status.FAIL, 13.0, None),
    ({"metric": "c0", "fail": "> 2", "scope": "count"}, Status.FAIL, 3.0, None),
    ({"metric": "c1 / c1", "fail": "< 100%"}, Status.PASS, 100.0, "%"),  # c: 0/0 has no value
]


@pytest.mark.parametrize(("check", "status", "observed", "unit"), CASES)
def test_grouped_datadog_checks(
    check: dict[str, Any], status: Status, observed: float | None, unit: str | None
) -> None:
    outcome = judge(check, GROUPS)
    assert (outcome.status, outcome.observed, outcome.unit) == (status, observed, unit)


def test_each_lists_offenders_worst_first() -> None:
    outcome = judge({"metric": "c0", "fail": "> 5m", "warn": "> 2m"}, GROUPS)
    assert [(o.by["@ci.pipeline.name"], o.observed) for o in outcome.offenders] == [
        ("b", 400.0),
        ("c", 250.0),
    ]
    assert outcome.message == "2 of 3 groups breach; worst @ci.pipeline.name=b: 6.7m"
    assert outcome.threshold == "fail > 5m, warn > 2m"
    assert outcome.metric == "c0" and outcome.mode == "enforce"


def test_each_fail_outranks_a_bigger_warn() -> None:
    # fail on a range: b (400s) only warns, c (250s) fails; the failing group is worst.
    outcome = judge({"metric": "c0", "fail": "4m..5m", "warn": "> 2m"}, GROUPS)
    assert outcome.status is Status.FAIL
    assert [o.by["@ci.pipeline.name"] for o in outcome.offenders] == ["c", "b"]


@pytest.mark.parametrize(
    ("reduce", "observed"),
    [("last", 30.0), ("first", 10.0), ("max", 50.0), ("min", 10.0), ("avg", 30.0), ("sum", 90.0)],
)
def test_timeseries_reducers_ignore_nulls(reduce: str, observed: float) -> None:
    series = [
        {"time": "t0", "value": 10},
        {"time": "t1", "value": None},
        {"time": "t2", "value": 50},
        {"time": "t3", "value": 30},
        {"time": "t4", "value": None},
    ]
    outcome = judge(
        {"metric": "c1", "fail": "> 1000", "reduce": reduce},
        [({}, {"c1": series})],
        request=UNGROUPED,
    )
    assert outcome.observed == observed


def test_timeseries_durations_are_converted() -> None:
    series = [{"time": "t0", "value": 2 * NS}, {"time": "t1", "value": 4 * NS}]
    outcome = judge(
        {"metric": "c0", "fail": "> 3s", "reduce": "max"}, [({}, {"c0": series})], request=UNGROUPED
    )
    assert (outcome.status, outcome.observed) == (Status.FAIL, 4.0)


def test_total_scope_on_ungrouped_request() -> None:
    outcome = judge(
        {"metric": "c0", "fail": "> 3.9m", "scope": "total"},
        [({}, {"c0": 236880835985.0})],
        request=UNGROUPED,
    )
    assert outcome.status is Status.FAIL
    assert outcome.message == "c0 = 3.95m: fail > 3.9m"  # never "3.9m: fail > 3.9m"


def test_total_scope_uses_the_facet_total_bucket() -> None:
    request = {
        "compute": [{"aggregation": "count"}],
        "group_by": [{"facet": "@ci.pipeline.name", "total": True}],
    }
    buckets = [p("a", c0=3), p("b", c0=4), ({"@ci.pipeline.name": "$facet_total"}, {"c0": 7})]
    assert (
        judge({"metric": "c0", "fail": "> 6", "scope": "total"}, buckets, request=request).observed
        == 7.0
    )
    each = judge({"metric": "c0", "fail": "> 6"}, buckets, request=request)
    assert (each.status, each.observed) == (Status.PASS, 4.0)  # the total is not a group


def test_total_scope_with_a_custom_total_label() -> None:
    request = {
        "compute": [{"aggregation": "count"}],
        "group_by": [{"facet": "env", "total": "all"}],
    }
    buckets = [({"env": "prod"}, {"c0": 1}), ({"env": "all"}, {"c0": 9})]
    assert (
        judge({"metric": "c0", "fail": "> 6", "scope": "total"}, buckets, request=request).status
        is Status.FAIL
    )


@pytest.mark.parametrize(
    ("policy", "status"),
    [
        ("pass", Status.NO_DATA),
        ("warn", Status.WARN),
        ("fail", Status.FAIL),
        ("error", Status.ERROR),
    ],
)
@pytest.mark.parametrize(
    "buckets", [[], [p("a", c0=None), p("b", c0=None)]], ids=["no-buckets", "all-null"]
)
def test_no_data_policies(policy: str, status: Status, buckets: list[Any]) -> None:
    outcome = judge({"metric": "c0", "fail": "> 5m", "no_data": policy}, buckets)
    assert outcome.status is status
    assert outcome.observed is None
    assert outcome.message.startswith("no data:")


def test_no_data_defaults_to_fail() -> None:
    assert judge({"metric": "c1", "fail": "> 5"}, [], request=UNGROUPED).status is Status.FAIL


def test_count_scope_of_nothing_is_zero_not_no_data() -> None:
    outcome = judge({"metric": "c1", "fail": "> 0", "scope": "count"}, [])
    assert (outcome.status, outcome.observed) == (Status.PASS, 0.0)


def test_some_null_groups_are_skipped() -> None:
    outcome = judge({"metric": "c0", "fail": "> 5m"}, [p("a", c0=None), p("b", 400)])
    assert (outcome.status, outcome.observed) == (Status.FAIL, 400.0)


@pytest.mark.parametrize("meta", [{"status": "timeout"}, {"warnings": ["index is slow"]}])
def test_partial_or_warned_results_never_pass_silently(meta: dict[str, Any]) -> None:
    outcome = judge({"metric": "c0", "fail": "> 10m"}, GROUPS, **meta)
    assert outcome.status is Status.WARN
    assert "not trusted as a pass" in outcome.message
    failing = judge({"metric": "c0", "fail": "> 1m"}, GROUPS, **meta)
    assert failing.status is Status.FAIL  # a failure on partial data is still a failure


def test_partial_no_data_under_pass_policy_warns() -> None:
    outcome = judge({"metric": "c0", "fail": "> 1m", "no_data": "pass"}, [], status="timeout")
    assert outcome.status is Status.WARN


def test_shadow_checks_keep_their_real_status() -> None:
    outcome = judge({"metric": "c0", "fail": "> 1m", "mode": "shadow"}, GROUPS)
    assert (outcome.status, outcome.mode, outcome.enforced) == (Status.FAIL, "shadow", False)


@pytest.mark.parametrize(
    ("check", "metrics", "status", "observed", "unit"),
    [
        ({"metric": "failed / total", "fail": "> 5%"}, {}, Status.FAIL, 25.0, "%"),
        (
            {"metric": "rate", "fail": "> 30%", "warn": "> 20%"},
            {"rate": "failed / total"},
            Status.WARN,
            25.0,
            "%",
        ),
        (
            {"metric": "pct", "fail": "> 20"},
            {"pct": "failed / total * 100"},
            Status.FAIL,
            25.0,
            None,
        ),
        (
            {"metric": "rate", "fail": "> 0.2"},
            {"rate": "bad", "bad": "failed / total"},
            Status.FAIL,
            25.0,
            "%",
        ),
        (
            {"metric": "avg_duration", "fail": "> 2d", "scope": "total"},
            {},
            Status.PASS,
            90000.0,
            "s",
        ),
        ({"metric": "avg_duration", "fail": "> 1h", "unit": "h"}, {}, Status.FAIL, 25.0, "h"),
        ({"metric": "succeeded", "fail": "< 3"}, {}, Status.PASS, 3.0, None),
        ({"metric": "last_runtime", "fail": "< 1700000000"}, {}, Status.PASS, 1706102048.0, None),
    ],
)
def test_tekton_and_derived_metrics(
    check: dict[str, Any],
    metrics: dict[str, str],
    status: Status,
    observed: float,
    unit: str | None,
) -> None:
    row = {
        "total": 4,
        "failed": 1,
        "succeeded": 3,
        "avg_duration": "1 day 01:00:00",
        "last_runtime": 1706102048,
    }
    outcome = judge(check, [({}, row)], request=TEKTON, source="tekton.summary", metrics=metrics)
    assert (outcome.status, outcome.observed, outcome.unit) == (status, observed, unit)


def test_tekton_grouped_rows_are_groups() -> None:
    request = {**TEKTON, "group_by": "pipeline"}
    rows = [
        ({"group_value": "ns/a"}, {"failed": 0, "total": 4}),
        ({"group_value": "ns/b"}, {"failed": 3, "total": 4}),
    ]
    outcome = judge(
        {"metric": "failed / total", "fail": "> 50%"},
        rows,
        request=request,
        source="tekton.summary",
    )
    assert outcome.status is Status.FAIL
    assert outcome.offenders[0].by == {"group_value": "ns/b"}
    assert outcome.offenders[0].observed == 75.0


def test_tekton_null_duration_is_no_data() -> None:
    outcome = judge(
        {"metric": "avg_duration", "fail": "> 1h"},
        [({}, {"avg_duration": None})],
        request=TEKTON,
        source="tekton.summary",
    )
    assert outcome.status is Status.FAIL and outcome.message.startswith("no data")


def test_percentage_change_between_computes() -> None:
    request = {
        "compute": [
            {"aggregation": "pc90", "metric": "@duration"},
            {"aggregation": "pc90", "metric": "@duration"},
        ]
    }
    outcome = judge(
        {"metric": "(c1 - c0) / c0 * 100", "fail": "> 10"},
        [({}, {"c0": 100 * NS, "c1": 125 * NS})],
        request=request,
    )
    assert (outcome.status, outcome.observed) == (Status.FAIL, 25.0)


def test_division_by_zero_is_no_value() -> None:
    outcome = judge(
        {"metric": "c1 / c1", "fail": "> 5%", "no_data": "warn"},
        [({}, {"c1": 0})],
        request=UNGROUPED,
    )
    assert outcome.status is Status.WARN and "no data" in outcome.message


def test_unreadable_value_is_an_error() -> None:
    outcome = judge({"metric": "c1", "fail": "> 5"}, [({}, {"c1": "lots"})], request=UNGROUPED)
    assert outcome.status is Status.ERROR
    assert outcome.message == "c1 is 'lots', not a number"


def test_numeric_strings_are_read() -> None:
    assert (
        judge({"metric": "c1", "fail": "> 5"}, [({}, {"c1": "7"})], request=UNGROUPED).status
        is Status.FAIL
    )


JUDGE_GROUPS = "or judge the groups with scope each, max, min, sum, avg or count"

# --- validation before running ------------------------------------------------------------


def problems(
    check: dict[str, Any],
    *,
    request: dict[str, Any] | None = None,
    source: str = "datadog.ci_pipelines",
    metrics: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    request = request if request is not None else PIPELINES
    return validate_checks(_spec(check, request, source, metrics or {}), SOURCES[source], request)


@pytest.mark.parametrize(
    ("check", "kwargs", "expected"),
    [
        (
            {"metric": "c3", "fail": 1},
            {},
            ("checks[0].metric", "'c3' is not computed: the request has 3 compute(s) (c0, c1, c2)"),
        ),
        (
            {"metric": "faild", "fail": 1},
            {"request": TEKTON, "source": "tekton.summary"},
            ("checks[0].metric", "unknown metric 'faild'; did you mean 'failed'?"),
        ),
        (
            {"metric": "cancelled", "fail": 1},
            {"request": TEKTON, "source": "tekton.summary"},
            (
                "checks[0].metric",
                "'cancelled' is not computed: add it to request.summary "
                "(now avg_duration,failed,last_runtime,succeeded,total)",
            ),
        ),
        (
            {"metric": "flaky_rat", "fail": 1},
            {"metrics": {"flaky_rate": "c1 / c1"}},
            ("checks[0].metric", "unknown metric 'flaky_rat'; did you mean 'flaky_rate'?"),
        ),
        (
            {"metric": "c1 +", "fail": 1},
            {},
            ("checks[0].metric", "cannot parse 'c1 +': unexpected end of expression"),
        ),
        (
            {"metric": "c1", "fail": "> 5ms"},
            {},
            (
                "checks[0].fail",
                "the duration unit 'ms' can't apply to a count metric (a count is unitless)",
            ),
        ),
        (
            {"metric": "c0", "warn": "> 5%"},
            {},
            (
                "checks[0].warn",
                "% applies to ratios (like failed / total), not to a duration metric "
                "(a duration takes ns, us, ms, s, m, h or d)",
            ),
        ),
        (
            {"metric": "c0", "fail": "> 5"},
            {},
            (
                "checks[0].fail",
                "5 on a duration needs a unit: write e.g. 5ms or 5s, or set the check's unit:",
            ),
        ),
        (
            {"metric": "c1", "fail": 1, "unit": "ms"},
            {},
            (
                "checks[0].unit",
                "the duration unit 'ms' can't apply to a count metric (a count is unitless)",
            ),
        ),
        (
            {"metric": "c0", "fail": "> 1m", "scope": "count", "unit": "s"},
            {},
            (
                "checks[0].unit",
                "the duration unit 's' can't apply to a count metric (a count is unitless)",
            ),
        ),
        (
            {"metric": "c1", "fail": "lots"},
            {},
            (
                "checks[0].fail",
                "cannot read threshold 'lots': "
                "use '> 5', '<= 300ms', '< 95%', '10..20' or 'not 10..20'",
            ),
        ),
        (
            {"metric": "c1"},
            {},
            ("checks[0]", "a check needs a fail: or a warn: threshold (or both)"),
        ),
        (
            {"metric": "c1", "fail": 1, "scope": "total"},
            {},
            (
                "checks[0].scope",
                "scope total on a grouped request: ask every group_by for a total bucket "
                "(group_by[].total: true), " + JUDGE_GROUPS,
            ),
        ),
        (
            {"metric": "failed", "fail": 1, "scope": "total"},
            {"request": {**TEKTON, "group_by": "day"}, "source": "tekton.summary"},
            (
                "checks[0].scope",
                "scope total on a grouped request: a grouped Tekton summary has no total row, "
                + JUDGE_GROUPS,
            ),
        ),
    ],
)
def test_validate_checks_problems(
    check: dict[str, Any], kwargs: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert problems(check, **kwargs) == [expected]


def test_validate_named_metric_problems_are_reported_once_where_defined() -> None:
    found = problems(
        {"metric": "rate", "fail": "> 5%"},
        metrics={"rate": "c1 / c9", "loop": "loop + 1", "c0": "c1"},
    )
    assert found == [
        ("metrics.rate", "'c9' is not computed: the request has 3 compute(s) (c0, c1, c2)"),
        ("metrics.loop", "metric 'loop' is defined in terms of itself (loop → loop)"),
        ("metrics.c0", "'c0' is already a computed value"),
    ]


def test_validate_accepts_spans_wrapped_requests() -> None:
    request = {
        "data": {
            "type": "aggregate_request",
            "attributes": {"compute": [{"aggregation": "pc99", "metric": "@duration"}]},
        }
    }
    assert (
        problems({"metric": "c0", "fail": "> 250ms"}, request=request, source="datadog.spans") == []
    )
    assert (
        problems({"metric": "c1", "fail": 1}, request=request, source="datadog.spans")[0][0]
        == "checks[0].metric"
    )


def test_default_compute_is_a_count() -> None:
    assert problems({"metric": "c0", "fail": "> 5"}, request={"filter": {"query": "*"}}) == []


def test_invalid_check_is_an_error_outcome_at_evaluation() -> None:
    spec = _spec({"metric": "nope", "fail": 1}, PIPELINES, "datadog.ci_pipelines", {})
    src = SOURCES["datadog.ci_pipelines"]
    result = normalize_response(src, {"data": {"buckets": []}}, grouped=True)
    [outcome] = evaluate_checks(spec, src, PIPELINES, result)
    assert outcome.status is Status.ERROR and outcome.line == 0
    assert outcome.threshold == "fail >= 1"
