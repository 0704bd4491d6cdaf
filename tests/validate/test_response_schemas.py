"""The generated response schemas require what an answer needs to be judged.

The docs mark no response field required; ``schemas/overrides/*-response-required.json`` and
``*-response-values.json`` say why qrunner does (and why null values are valid).
"""

from __future__ import annotations

from typing import Any

import pytest

from qrunner.validate.schemastore import validate_instance

CI = ("datadog.ci_tests.response", "datadog.ci_pipelines.response")
POINT = {"time": "2024-06-12T11:00:00.000Z", "value": None}


def messages(name: str, instance: Any) -> list[str]:
    return [str(issue) for issue in validate_instance(name, instance)]


@pytest.mark.parametrize("name", CI)
@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"data": {}},
        {"data": {"buckets": [{"computes": {"c0": 1}}]}},
        {"data": {"buckets": [{"by": {}}]}},
        {"data": {"buckets": [{"by": {}, "computes": {"c0": [{"time": "x"}]}}]}},
    ],
    ids=["empty", "no-buckets", "no-by", "no-computes", "point-without-value"],
)
def test_ci_answers_missing_what_checks_need_are_invalid(name: str, answer: Any) -> None:
    assert messages(name, answer)


@pytest.mark.parametrize("name", CI)
def test_ci_answers_may_hold_null_and_text_values(name: str) -> None:
    bucket = {"by": {}, "computes": {"c0": None, "c1": [POINT, {**POINT, "value": "pass"}]}}
    assert messages(name, {"data": {"buckets": [bucket]}}) == []
    assert messages(name, {"data": {"buckets": []}}) == []


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"data": [{"type": "bucket"}]},
        {"data": [{"type": "bucket", "attributes": {"compute": {}}}]},
        {"data": [{"type": "bucket", "attributes": {"by": {}}}]},
    ],
    ids=["empty", "no-attributes", "no-by", "no-compute"],
)
def test_spans_answers_missing_what_checks_need_are_invalid(answer: Any) -> None:
    assert messages("datadog.spans.response", answer)


def test_spans_answers_take_compute_or_computes() -> None:
    for key in ("compute", "computes"):
        bucket = {"type": "bucket", "id": "b", "attributes": {"by": {}, key: {"c0": None}}}
        assert messages("datadog.spans.response", {"data": [bucket]}) == []
