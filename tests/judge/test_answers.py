"""Odd API answers: normalisation reads every shape the APIs send and refuses any other with a
located BackendResponseError (the endpoint and a breadcrumb into the body), never another
exception; what it returns, the checks can judge."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrunner.errors import BackendResponseError, ExitCode
from qrunner.judge.checks import evaluate_checks
from qrunner.judge.results import QueryResult, TimePoint, normalize_response
from qrunner.sources import SOURCES
from qrunner.spec.model import CheckSpec, QuerySpec

TESTS = SOURCES["datadog.ci_tests"]
SPANS = SOURCES["datadog.spans"]
TEKTON = SOURCES["tekton.summary"]


@pytest.mark.parametrize(
    ("source", "answer", "where", "what"),
    [
        (TESTS, {"data": {"buckets": [{}, {}, {}, {"by": 5}]}}, "data.buckets[3].by", "an object"),
        (
            TESTS,
            {"data": {"buckets": [{"by": {"s": {"x": 1}}}]}},
            "data.buckets[0].by.s",
            "a string",
        ),
        (
            TESTS,
            {"data": {"buckets": [{"computes": {"c0": [{"time": "t", "value": "x"}]}}]}},
            "data.buckets[0].computes.c0[0].value",
            "a number",
        ),
        (
            TESTS,
            {"data": {"buckets": [{"computes": {"c0": [7]}}]}},
            "data.buckets[0].computes.c0[0]",
            "an object",
        ),
        (
            TESTS,
            {"data": {"buckets": [{"computes": {"c0": {"v": 1}}}]}},
            "data.buckets[0].computes.c0",
            "a number",
        ),
        (
            TESTS,
            {"data": {"buckets": [{"computes": [1]}]}},
            "data.buckets[0].computes",
            "an object",
        ),
        (TESTS, {"data": {"buckets": "x"}}, "data.buckets", "a list"),
        (TESTS, {"data": {"buckets": [3]}}, "data.buckets[0]", "an object"),
        (TESTS, {"data": 3}, "data", "an object"),
        (TESTS, {"data": {"buckets": []}, "meta": []}, "meta", "an object"),
        (TESTS, {"data": {"buckets": []}, "meta": {"warnings": "w"}}, "meta.warnings", "a list"),
        (TESTS, [1, 2], "the answer", "an object"),
        (
            SPANS,
            {"data": [{"attributes": {"compute": {"c0": True, "c1": {}}}}]},
            "data[0].attributes.compute.c1",
            "a number",
        ),
        (SPANS, {"data": ["bucket"]}, "data[0]", "an object"),
        (SPANS, {"data": [{"attributes": 4}]}, "data[0].attributes", "an object"),
        (TEKTON, {"summary": {"total": 1}}, "summary", "a list"),
        (TEKTON, {"summary": [{"total": 1}, 2]}, "summary[1]", "an object"),
        (TEKTON, {"summary": [{"total": [1]}]}, "summary[0].total", "a string"),
        (
            TEKTON,
            {"summary": [{"group_value": {"a": 1}, "total": 1}]},
            "summary[0].group_value",
            "a string",
        ),
    ],
)
def test_a_surprising_answer_is_a_located_response_error(
    source: Any, answer: Any, where: str, what: str
) -> None:
    with pytest.raises(BackendResponseError) as info:
        normalize_response(source, answer, grouped=True)
    message = str(info.value)
    assert info.value.exit_code == ExitCode.BACKEND_ERROR
    assert message.startswith(source.path + ": unexpected answer: "), message
    assert f" {where} is " in message and f"not {what}" in message, message


def test_the_answers_the_apis_send_are_read() -> None:
    answer = {
        "data": {
            "buckets": [
                {"by": {"service": "a", "n": 3, "ok": True, "none": None}, "computes": {"c0": 2}},
                {"by": {}, "computes": {"c0": "NaN", "c1": None, "c2": False}},
                {"computes": {"c0": [{"time": "2024-05-01T00:00:00Z", "value": 1.5}]}},
                {"by": None, "computes": {"c0": [{"time": 1714521600, "value": None}]}},
            ]
        },
        "meta": {"status": "timeout", "warnings": [{"title": "slow"}, "plain"]},
    }
    result = normalize_response(TESTS, answer, grouped=True)
    assert [b.by for b in result.buckets] == [
        {"service": "a", "n": 3, "ok": True, "none": None},
        {},
        {},
        {},
    ]
    assert result.buckets[1].values == {"c0": "NaN", "c1": None, "c2": 0.0}
    assert result.buckets[2].values["c0"] == [TimePoint("2024-05-01T00:00:00Z", 1.5)]
    assert result.buckets[3].values["c0"] == [TimePoint("1714521600", None)]
    assert result.partial and result.warnings == ["slow", "plain"]
    spans = normalize_response(
        SPANS, {"data": [{"attributes": {"compute": {"c0": 4}}}]}, grouped=False
    )
    assert spans.buckets[0].values == {"c0": 4}
    tekton = normalize_response(
        TEKTON,
        {"summary": [{"group_value": 1714521600, "total": 3, "avg_duration": "1s"}]},
        grouped=True,
    )
    assert tekton.buckets[0].by == {"group_value": 1714521600}
    assert tekton.buckets[0].values == {"total": 3, "avg_duration": "1s"}
    assert normalize_response(TEKTON, {}, grouped=True).buckets == []


# --- property: odd JSON never escapes as anything but a BackendResponseError ------------------

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _or_junk(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right shape, sometimes anything: reaches the deep paths and the odd ones."""
    return st.one_of(shape, shape, shape, _JSON)


_POINT = _or_junk(st.fixed_dictionaries({"time": _JSON, "value": _JSON}))
_VALUE = _or_junk(_SCALARS | st.lists(_POINT, max_size=3))
_COMPUTES = _or_junk(st.dictionaries(st.sampled_from(["c0", "c1"]), _VALUE, max_size=2))
_BY = _or_junk(st.dictionaries(st.sampled_from(["service", "@ci.status"]), _JSON, max_size=2))
_BUCKET = _or_junk(
    st.fixed_dictionaries({}, optional={"by": _BY, "computes": _COMPUTES, "compute": _COMPUTES})
)
_META = _or_junk(st.fixed_dictionaries({}, optional={"status": _JSON, "warnings": _JSON}))
_DATADOG = _or_junk(
    st.fixed_dictionaries(
        {
            "data": _or_junk(
                st.fixed_dictionaries(
                    {}, optional={"buckets": _or_junk(st.lists(_BUCKET, max_size=3))}
                )
                | st.lists(_or_junk(st.fixed_dictionaries({"attributes": _BUCKET})), max_size=3)
            )
        },
        optional={"meta": _META},
    )
)
_ROW = _or_junk(
    st.dictionaries(st.sampled_from(["group_value", "total", "avg_duration"]), _JSON, max_size=3)
)
_TEKTON = _or_junk(
    st.fixed_dictionaries({}, optional={"summary": _or_junk(st.lists(_ROW, max_size=3))})
)


def _judge(source: Any, result: QueryResult, grouped: bool) -> None:
    """What normalisation returned goes through the checks without a non-qrunner exception."""
    if source.backend == "tekton":
        request: dict[str, Any] = {"summary": "total,avg_duration"}
        if grouped:
            request["group_by"] = "pipeline"
        metric = "avg_duration"
    else:
        request = {
            "compute": [{"aggregation": "count"}, {"aggregation": "avg", "metric": "@duration"}]
        }
        if grouped:
            request["group_by"] = [{"facet": "service"}]
        metric = "c0 + c1"
    spec = QuerySpec(
        version=1,
        name="s",
        source=source.name,
        request=request,
        checks=[CheckSpec(name="c", metric=metric, fail="> 1")],
    )
    evaluate_checks(spec, source, request, result, lines={0: 1})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from([TESTS, SPANS, TEKTON]),
    datadog=_DATADOG,
    tekton=_TEKTON,
    grouped=st.booleans(),
)
def test_odd_answers_raise_only_response_errors(
    source: Any, datadog: Any, tekton: Any, grouped: bool
) -> None:
    answer = tekton if source.backend == "tekton" else datadog
    try:
        result = normalize_response(source, answer, grouped=grouped)
    except BackendResponseError as e:
        assert str(e).startswith(source.path + ": "), str(e)
        return
    _judge(source, result, grouped)  # the checks record their problems; nothing escapes
