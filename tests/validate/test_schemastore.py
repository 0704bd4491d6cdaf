"""Validating requests and responses against the committed schemas, with friendly messages."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qrunner.errors import QrunnerError
from qrunner.validate.schemastore import SchemaIssue, load_schema, schemas_dir, validate_instance

CASES_DIR = Path(__file__).resolve().parents[3] / "shared" / "datadog-cases"
needs_cases = pytest.mark.skipif(
    not CASES_DIR.is_dir(), reason="../shared/datadog-cases is not beside this clone"
)

SCHEMA_BY_ENDPOINT = {
    "POST /api/v2/ci/tests/analytics/aggregate": "datadog.ci_tests",
    "POST /api/v2/ci/pipelines/analytics/aggregate": "datadog.ci_pipelines",
    "POST /api/v2/spans/analytics/aggregate": "datadog.spans",
    "POST /api/v2/prodlytics": "datadog.product_analytics",
}


def _cases() -> list[tuple[str, dict[str, Any]]]:
    if not CASES_DIR.is_dir():
        return []
    return [
        (p.stem, json.loads(p.read_text(encoding="utf-8")))
        for p in sorted(CASES_DIR.glob("*.json"))
    ]


def _accepted_bodies() -> list[Any]:
    """Request bodies the API accepted: recorded with 200, or spec examples declared 202."""
    params = []
    for stem, case in _cases():
        schema = SCHEMA_BY_ENDPOINT.get(case["endpoint"])
        status = (case.get("response") or case.get("expected_response") or {}).get("status")
        accepted = (case["evidence"], status) in (("recorded", 200), ("spec-example", 202))
        if schema is None or not accepted:
            continue
        request = case["request"]
        for key in ("body", "body_in_current_cassette_and_feature"):
            if key in request:
                params.append(pytest.param(schema, request[key], id=f"{stem}-{key}"))
    return params


def _recorded_responses() -> list[Any]:
    return [
        pytest.param(SCHEMA_BY_ENDPOINT[case["endpoint"]], case["response"]["body"], id=stem)
        for stem, case in _cases()
        if case["endpoint"] in SCHEMA_BY_ENDPOINT
        and case["evidence"] == "recorded"
        and case["response"]["status"] == 200
    ]


def _case_body(stem: str) -> Any:
    case = json.loads((CASES_DIR / f"{stem}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(case["request"]["body"])


def _messages(name: str, instance: object) -> list[str]:
    return [str(issue) for issue in validate_instance(name, instance)]


# --- accepted bodies and responses ------------------------------------------------------------


@needs_cases
def test_there_are_accepted_cases() -> None:
    ids = {p.id for p in _accepted_bodies()}
    assert "tests-aggregate-ok-1-body" in ids  # carries the deprecated page object
    assert "pipelines-aggregate-ok-2-body" in ids
    assert "spans-aggregate-ok-1-body" in ids
    assert "prodlytics-example-2-body" in ids  # custom attribute "customer"
    assert {p.id for p in _recorded_responses()} >= {"spans-aggregate-ok-1", "tests-aggregate-ok-1"}


@needs_cases
@pytest.mark.parametrize(("schema", "body"), _accepted_bodies())
def test_accepted_request_bodies_validate(schema: str, body: Any) -> None:
    assert _messages(f"{schema}.request", body) == []


@needs_cases
@pytest.mark.parametrize(("schema", "body"), _recorded_responses())
def test_recorded_responses_validate(schema: str, body: Any) -> None:
    assert _messages(f"{schema}.response", body) == []


@needs_cases
def test_spans_response_compute_is_checked() -> None:
    body = json.loads((CASES_DIR / "spans-aggregate-ok-1.json").read_text(encoding="utf-8"))
    response = body["response"]["body"]
    response["data"][0]["attributes"]["compute"]["c0"] = True
    assert _messages("datadog.spans.response", response) == [
        "data[0].attributes.compute.c0: expected string, number, array or null, got boolean true"
    ]


# --- rejections name the field ----------------------------------------------------------------


@needs_cases
def test_wrong_enum_value() -> None:
    body = _case_body("tests-aggregate-ok-1")
    body["compute"][0]["aggregation"] = "pc100"
    [issue] = validate_instance("datadog.ci_tests.request", body)
    assert issue.path == ("compute", 0, "aggregation")
    assert issue.message.startswith("'pc100' is not one of: count, cardinality, pc75")
    assert "most_frequent" in issue.message  # the override's extra aggregations


@needs_cases
def test_extra_aggregations_are_accepted() -> None:
    body = _case_body("pipelines-aggregate-ok-1")
    body["compute"][0]["aggregation"] = "median"
    body["group_by"][0]["sort"] = {"type": "measure", "aggregation": "delta", "order": "desc"}
    assert _messages("datadog.ci_pipelines.request", body) == []
    spans = _case_body("spans-aggregate-ok-1")
    spans["data"]["attributes"]["compute"][0]["aggregation"] = "avg"
    assert _messages("datadog.spans.request", spans) == []
    spans["data"]["attributes"]["compute"][0]["aggregation"] = "delta"
    assert _messages("datadog.spans.request", spans) == [
        "data.attributes.compute[0].aggregation: 'delta' is not one of: count, cardinality,"
        " pc75, pc90, pc95, pc98, pc99, sum, min, max, avg, median"
    ]


@needs_cases
def test_missing_facet() -> None:
    body = _case_body("pipelines-aggregate-ok-1")
    del body["group_by"][0]["facet"]
    assert validate_instance("datadog.ci_pipelines.request", body) == [
        SchemaIssue(("group_by", 0), "missing required field 'facet'")
    ]


@needs_cases
def test_missing_histogram_bound() -> None:
    body = _case_body("tests-aggregate-ok-1")
    body["group_by"][0]["histogram"] = {"interval": 10, "min": 50}
    assert _messages("datadog.ci_tests.request", body) == [
        "group_by[0].histogram: missing required field 'max'"
    ]


@needs_cases
def test_missing_application_id() -> None:
    body = _case_body("prodlytics-example-1")
    body["application"] = {}
    assert _messages("datadog.product_analytics.request", body) == [
        "application: missing required field 'id'"
    ]


@needs_cases
def test_wrong_type() -> None:
    body = _case_body("tests-aggregate-ok-1")
    body["group_by"][0]["limit"] = "ten"
    assert _messages("datadog.ci_tests.request", body) == [
        "group_by[0].limit: expected integer, got string 'ten'"
    ]


@needs_cases
def test_unknown_key_suggests_the_known_one() -> None:
    body = _case_body("tests-aggregate-ok-1")
    body["compute"][0]["agregation"] = body["compute"][0].pop("aggregation")
    assert _messages("datadog.ci_tests.request", body) == [
        "compute[0]: missing required field 'aggregation'",
        "compute[0].agregation: unknown field 'agregation'; did you mean 'aggregation'?",
    ]


@needs_cases
def test_spans_body_without_data_wrapper() -> None:
    body = _case_body("spans-aggregate-400-1")  # the bare CI-style body
    messages = _messages("datadog.spans.request", body)
    assert messages[0] == "missing required field 'data'"
    assert "compute: unknown field 'compute' (known: data)" in messages


@needs_cases
def test_event_without_usr_account_or_session() -> None:
    body = _case_body("prodlytics-example-1")
    del body["account"]
    assert _messages("datadog.product_analytics.request", body) == [
        "at least one of usr.id, account.id or session.id is required"
    ]


@needs_cases
def test_event_custom_attributes_allowed_but_nested_objects_closed() -> None:
    body = _case_body("prodlytics-example-2")
    body["build"] = {"anything": [1, 2]}
    assert _messages("datadog.product_analytics.request", body) == []
    body["usr"]["idd"] = "x"
    assert _messages("datadog.product_analytics.request", body) == [
        "usr.idd: unknown field 'idd'; did you mean 'id'?"
    ]


@needs_cases
def test_every_issue_is_reported() -> None:
    body = _case_body("tests-aggregate-ok-1")
    body["compute"][0]["aggregation"] = "pc100"
    body["group_by"][0]["limit"] = "ten"
    body["group_by"][0]["total"] = [1]
    body["options"]["time_offset"] = 60
    body["filterr"] = {}
    assert _messages("datadog.ci_tests.request", body) == [
        "compute[0].aggregation: 'pc100' is not one of: count, cardinality, pc75, pc90, pc95,"
        " pc98, pc99, sum, min, max, avg, median, latest, earliest, most_frequent, delta",
        "filterr: unknown field 'filterr'; did you mean 'filter'?",
        "group_by[0].limit: expected integer, got string 'ten'",
        "group_by[0].total: expected boolean, string or number, got array",
        "options: give timezone or time_offset, not both",
    ]


@needs_cases
def test_sort_by_measure_needs_an_aggregation() -> None:
    body = _case_body("tests-aggregate-ok-1")
    body["group_by"][0]["sort"] = {"type": "measure", "order": "desc"}
    assert _messages("datadog.ci_tests.request", body) == [
        "group_by[0].sort: missing required field 'aggregation'"
    ]


# --- Tekton -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        {"parent": "-/results/-", "summary": "total"},
        {"parent": "ns-1/results/-", "summary": "total,failed,avg_duration", "group_by": "day"},
        {"summary": "running", "group_by": "week startTime", "order_by": "running ASC"},
        {"summary": "running", "group_by": "pipeline", "order_by": "ASC running"},
        {"summary": "total", "group_by": "namespace", "order_by": "total desc"},
        {"summary": "total", "filter": "data_type == PIPELINE_RUN"},
    ],
)
def test_tekton_valid(request_: dict[str, str]) -> None:
    assert _messages("tekton.summary.request", request_) == []


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ({"group_by": "day"}, "missing required field 'summary'"),
        (
            {"summary": "total, failed"},
            "summary: 'total, failed': no spaces allowed around the commas (item ' failed')",
        ),
        (
            {"summary": "total,group_value"},
            "summary: 'total,group_value': 'group_value' is not one of: total, succeeded,",
        ),
        ({"summary": "total,"}, "summary: 'total,': empty item"),
        ({"summary": "total", "group_by": "weekly"}, "group_by: 'weekly' is not one of: minute,"),
        (
            {"summary": "total", "group_by": "day  startTime"},
            "group_by: 'day  startTime' is not one of",
        ),
        (
            {"summary": "total", "order_by": "running ascending"},
            "order_by: 'running ascending' is not a valid order: expected",
        ),
        (
            {"summary": "total", "order_by": "group_value ASC"},
            "order_by: 'group_value ASC' is not a valid order",
        ),
        (
            {"summary": "total", "parent": "NS/results/-"},
            "parent: 'NS/results/-' does not match the pattern",
        ),
        ({"summary": "total", "sumary": "x"}, "sumary: unknown field 'sumary'; did you mean"),
        ({"summary": 3}, "summary: expected string, got integer 3"),
    ],
)
def test_tekton_invalid(request_: dict[str, Any], expected: str) -> None:
    messages = _messages("tekton.summary.request", request_)
    assert any(m.startswith(expected) for m in messages), messages


# --- finding the schemas ----------------------------------------------------------------------


def test_package_finds_its_schemas() -> None:
    directory = schemas_dir()
    assert (directory / "datadog.ci_tests.request.schema.json").is_file()
    schema = load_schema("datadog.ci_tests.request")
    assert schema["title"] == "datadog.ci_tests.request"


def test_load_schema_returns_a_copy() -> None:
    load_schema("tekton.summary.request")["properties"].clear()
    assert "summary" in load_schema("tekton.summary.request")["properties"]


def test_unknown_schema_name() -> None:
    with pytest.raises(QrunnerError, match=r"no schema named 'datadog.nope' \(known: .*tekton"):
        load_schema("datadog.nope")


def test_issue_breadcrumb() -> None:
    issue = SchemaIssue(("data", "attributes", "compute", 0, "type"), "x")
    assert issue.breadcrumb == "data.attributes.compute[0].type"
    assert str(issue) == "data.attributes.compute[0].type: x"
    assert str(SchemaIssue((), "top")) == "top"


def test_installed_layout_finds_packaged_schemas(tmp_path: Path) -> None:
    """A wheel ships schemas/ as qrunner/_schemas (hatch force-include); no checkout beside it."""
    package = Path(__file__).resolve().parents[2] / "qrunner"
    site = tmp_path / "site-packages"
    shutil.copytree(package, site / "qrunner", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(schemas_dir(), site / "qrunner" / "_schemas")
    script = (
        "from qrunner.validate.schemastore import schemas_dir, validate_instance;"
        "print(schemas_dir());"
        "print(validate_instance('tekton.summary.request', {'summary': 'total'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(site / "qrunner" / "_schemas"), "[]"]
