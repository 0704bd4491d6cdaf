"""The schema generator: doc pages + overrides → the committed ``schemas/*.schema.json``."""

from __future__ import annotations

import importlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qrunner.errors import SchemaGenerationError
from qrunner.schemagen import TARGETS, check_schemas, generate_schemas, render_schema, write_schemas

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
OVERRIDES = SCHEMAS / "overrides"
DOCS = Path(__file__).resolve().parents[3] / "shared" / "api-docs"

pytestmark = pytest.mark.skipif(
    not DOCS.is_dir(), reason="../shared/api-docs is not beside this clone"
)

REGENERATE = (
    "regenerate with: python -c 'from pathlib import Path; from qrunner.schemagen import *;"
    ' write_schemas(generate_schemas(Path("../shared/api-docs"), Path("schemas/overrides")),'
    ' Path("schemas"))\' (or `qrunner schemas generate --docs ../shared/api-docs --out schemas/`)'
)


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict[str, Any]]:
    return generate_schemas(DOCS, OVERRIDES)


@pytest.fixture
def docs_copy(tmp_path: Path) -> Path:
    target = tmp_path / "docs"
    shutil.copytree(DOCS, target)
    for page in target.iterdir():
        page.chmod(0o644)
    return target


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def test_committed_schemas_are_fresh() -> None:
    problems = check_schemas(DOCS, SCHEMAS)
    assert problems == [], "\n".join([*problems, REGENERATE])


def test_generation_is_deterministic(schemas: dict[str, dict[str, Any]]) -> None:
    again = generate_schemas(DOCS, OVERRIDES)
    assert list(again) == list(schemas)
    assert {n: render_schema(s) for n, s in again.items()} == {
        n: render_schema(s) for n, s in schemas.items()
    }


def test_every_target_is_generated(schemas: dict[str, dict[str, Any]]) -> None:
    assert sorted(schemas) == sorted(t.file_name for t in TARGETS)
    assert {
        "datadog.ci_tests.request.schema.json",
        "datadog.ci_tests.response.schema.json",
        "datadog.ci_pipelines.request.schema.json",
        "datadog.ci_pipelines.response.schema.json",
        "datadog.spans.request.schema.json",
        "datadog.spans.response.schema.json",
        "datadog.product_analytics.request.schema.json",
        "tekton.summary.request.schema.json",
    } <= set(schemas)


def test_schemas_are_valid_draft_2020_12(schemas: dict[str, dict[str, Any]]) -> None:
    for name, schema in schemas.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        assert schema["$id"].endswith(name.removesuffix(".schema.json"))
        assert schema["title"]
        # by name: jsonschema ships no type information for mypy
        importlib.import_module("jsonschema.validators").Draft202012Validator.check_schema(schema)


def test_schemas_carry_no_description_prose(schemas: dict[str, dict[str, Any]]) -> None:
    for name, schema in schemas.items():
        for path, node in _walk(schema):
            assert not (isinstance(node, dict) and "description" in node), f"{name}{path}"


def test_request_objects_forbid_unknown_fields(schemas: dict[str, dict[str, Any]]) -> None:
    for name, schema in schemas.items():
        if ".request." not in name:
            continue
        for path, node in _walk(schema):
            if isinstance(node, dict) and node.get("type") == "object":
                expected = name != "datadog.product_analytics.request.schema.json" or path != ""
                assert (node.get("additionalProperties") is False) == expected, f"{name}{path}"


def test_nesting_follows_the_table_order(schemas: dict[str, dict[str, Any]]) -> None:
    bucket = schemas["datadog.ci_tests.response.schema.json"]["properties"]["data"]["properties"][
        "buckets"
    ]["items"]["properties"]
    assert bucket["by"]["additionalProperties"] == {}
    alternatives = bucket["computes"]["additionalProperties"]["oneOf"]
    # null (and text points) come from overrides/ci-response-values.json
    assert [a.get("type") for a in alternatives] == ["string", "number", "array", "null"]
    point = alternatives[2]["items"]["properties"]
    assert point == {
        "time": {"type": "string", "format": "date-time"},
        "value": {"type": ["number", "string", "null"]},
    }

    group_by = schemas["datadog.ci_tests.request.schema.json"]["properties"]["group_by"]["items"]
    props = group_by["properties"]
    assert group_by["required"] == ["facet"]
    assert props["histogram"]["required"] == ["interval", "max", "min"]
    assert props["limit"] == {"type": "integer"}
    assert [a["type"] for a in props["missing"]["oneOf"]] == ["string", "number"]
    assert [a["type"] for a in props["total"]["oneOf"]] == ["boolean", "string", "number"]
    assert props["sort"]["properties"]["order"]["enum"] == ["asc", "desc"]


def test_spans_request_keeps_its_wrapper(schemas: dict[str, dict[str, Any]]) -> None:
    spans = schemas["datadog.spans.request.schema.json"]
    data = spans["properties"]["data"]["properties"]
    assert data["type"]["enum"] == ["aggregate_request"]
    options = data["attributes"]["properties"]["options"]["properties"]
    assert set(options) == {"timeOffset", "timezone"}
    aggregation = data["attributes"]["properties"]["compute"]["items"]["properties"]["aggregation"]
    assert aggregation["enum"][-2:] == ["avg", "median"]


def test_product_analytics_flattened_page(schemas: dict[str, dict[str, Any]]) -> None:
    event = schemas["datadog.product_analytics.request.schema.json"]
    assert event["required"] == ["application", "event", "type"]
    assert event["properties"]["type"]["enum"] == ["server"]
    for name in ("account", "application", "session", "usr"):
        assert event["properties"][name]["required"] == ["id"]
    assert event["properties"]["event"]["required"] == ["name"]
    assert event["additionalProperties"] is True


def test_tekton_request(schemas: dict[str, dict[str, Any]]) -> None:
    tekton = schemas["tekton.summary.request.schema.json"]
    props = tekton["properties"]
    assert set(props) == {"parent", "summary", "group_by", "order_by", "filter"}
    assert tekton["required"] == ["summary"]
    assert "group_value" not in props["summary"]["x-comma-list"]
    assert "group_value" not in props["summary"]["pattern"]
    assert {"week", "week startTime", "minute completionTime", "namespace"} <= set(
        props["group_by"]["x-one-of"]  # an enum that allows surrounding whitespace
    )
    assert props["order_by"]["x-order-by"]["directions"] == ["ASC", "asc", "DESC", "desc"]
    # the server trims whole group_by and order_by values, nothing inside them
    group_by, order_by = re.compile(props["group_by"]["pattern"]), props["order_by"]["pattern"]
    assert group_by.match(" year ") and group_by.match("\tweek startTime  ")
    assert not group_by.match("week  startTime") and not group_by.match("year startTime x")
    assert re.match(order_by, " total desc ") and not re.match(order_by, "total  desc")


def test_overrides_all_say_why() -> None:
    files = sorted(OVERRIDES.glob("*.json"))
    assert files
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["reason"].strip(), path.name


def test_write_then_check(tmp_path: Path, schemas: dict[str, dict[str, Any]]) -> None:
    out = tmp_path / "schemas"
    shutil.copytree(OVERRIDES, out / "overrides")
    (out / "spec-v1.schema.json").write_text("{}\n", encoding="utf-8")  # hand-written, kept
    written = write_schemas(schemas, out)
    assert sorted(p.name for p in written) == sorted(schemas)
    assert check_schemas(DOCS, out) == []
    assert write_schemas(schemas, out) == []  # nothing changes the second time

    (out / "datadog.spans.request.schema.json").write_text("{}\n", encoding="utf-8")
    (out / "tekton.summary.request.schema.json").unlink()
    (out / "datadog.old.request.schema.json").write_text("{}\n", encoding="utf-8")
    problems = check_schemas(DOCS, out)
    assert len(problems) == 3, problems
    assert any("datadog.spans.request.schema.json: stale" in p for p in problems)
    assert any("tekton.summary.request.schema.json: missing" in p for p in problems)
    assert any("datadog.old.request.schema.json: no longer generated" in p for p in problems)
    assert all("qrunner schemas generate" in p for p in problems)

    write_schemas(schemas, out)
    assert check_schemas(DOCS, out) == []
    assert not (out / "datadog.old.request.schema.json").exists()
    assert (out / "spec-v1.schema.json").read_text(encoding="utf-8") == "{}\n"


def test_missing_docs_dir(tmp_path: Path) -> None:
    with pytest.raises(SchemaGenerationError, match=r"API docs directory .*nope does not exist"):
        generate_schemas(tmp_path / "nope", OVERRIDES)


def test_missing_page(docs_copy: Path) -> None:
    (docs_copy / "datadog-spans-aggregate.md").unlink()
    with pytest.raises(SchemaGenerationError, match="missing API doc page datadog-spans-aggregate"):
        generate_schemas(docs_copy, OVERRIDES)


@pytest.mark.parametrize(
    ("page", "old", "new", "expected"),
    [
        (
            "datadog-ci-tests-aggregate.md",
            "| histogram    | max",
            "| nosuch       | max",
            r"datadog-ci-tests-aggregate\.md:\d+: field 'max' names parent 'nosuch'",
        ),
        (
            "datadog-ci-pipelines-aggregate.md",
            "| group_by     | limit                         | int64 ",
            "| group_by     | limit                         | int128",
            r"pipelines-aggregate\.md:\d+: unknown field type 'int128' for field 'limit'",
        ),
        (
            "datadog-spans-aggregate.md",
            "### Request",
            "### Requests",
            r"datadog-spans-aggregate\.md: no '### Request' section",
        ),
        (
            "datadog-ci-tests-aggregate.md",
            "Allowed enum values: `timeseries,total`",
            "",
            r"enum field 'type' lists no 'Allowed enum values'",
        ),
        (
            "tekton-results-summary.md",
            "Field Type Description Example",
            "Fields and their types",
            r"tekton-results-summary\.md: no table with the header line",
        ),
        (
            "datadog-product-analytics-events.md",
            "\n種類\n",
            "\nKind\n",
            r"datadog-product-analytics-events\.md:\d+: expected the field list header Type or",
        ),
    ],
)
def test_tampered_page(docs_copy: Path, page: str, old: str, new: str, expected: str) -> None:
    path = docs_copy / page
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SchemaGenerationError, match=expected):
        generate_schemas(docs_copy, OVERRIDES)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"targets": ["tekton.summary.request"], "operations": [{"op": "set", "path": "/x"}]},
            "needs a non-empty 'reason'",
        ),
        (
            {
                "reason": "r",
                "targets": ["datadog.nope.request"],
                "operations": [{"op": "set", "path": "/x", "value": 1}],
            },
            "unknown target",
        ),
        (
            {
                "reason": "r",
                "targets": ["datadog.ci_tests.request"],
                "operations": [{"op": "add_values", "path": "/properties/nope/enum", "values": []}],
            },
            r"zz\.json: operation 1 \(add_values\) on datadog.ci_tests.request: path .* does not",
        ),
        (
            {
                "reason": "r",
                "targets": ["tekton.summary.request"],
                "operations": [
                    {
                        "op": "remove_values",
                        "path": "/properties/summary/x-comma-list",
                        "values": ["bogus"],
                    }
                ],
            },
            "'bogus' is not in",
        ),
        (
            {
                "reason": "r",
                "targets": ["tekton.summary.request"],
                "operations": [{"op": "replace", "path": "", "value": 1}],
            },
            "'op' must be one of",
        ),
    ],
)
def test_bad_override(tmp_path: Path, override: dict[str, Any], expected: str) -> None:
    overrides = tmp_path / "overrides"
    shutil.copytree(OVERRIDES, overrides)
    (overrides / "zz.json").write_text(json.dumps(override), encoding="utf-8")
    with pytest.raises(SchemaGenerationError, match=expected):
        generate_schemas(DOCS, overrides)
