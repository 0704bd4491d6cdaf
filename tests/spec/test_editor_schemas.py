"""The editor schema of spec test files is generated from the models and never stale
(the spec schema's own checks are in test_spec_schema.py)."""

from __future__ import annotations

from pathlib import Path

from qrunner.spec.schema import EDITOR_SCHEMAS, TEST_SCHEMA_FILE
from qrunner.spec.yamlsource import parse_yaml

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_committed_test_file_schema_is_fresh() -> None:
    name = TEST_SCHEMA_FILE
    committed = (SCHEMAS / name).read_text(encoding="utf-8")
    assert committed == EDITOR_SCHEMAS[name](), (
        f"schemas/{name} is stale; regenerate with `python -m qrunner.spec.schema`"
    )


def test_example_test_files_match_the_test_schema() -> None:
    import json

    import jsonschema

    schema = json.loads((SCHEMAS / "spec-test-v1.schema.json").read_text(encoding="utf-8"))
    tests = sorted((SCHEMAS.parent / "queries").rglob("*.test.yaml"))
    assert tests
    for path in tests:
        data = parse_yaml(path.read_text("utf-8"), str(path)).data  # timestamps stay strings
        jsonschema.Draft202012Validator(schema).validate(data)
