"""The JSON Schemas of spec format v1 and of spec test files, for editors, generated from the
pydantic models.

Regenerate with ``python -m qrunner.spec.schema`` (a test fails when the committed files
``schemas/spec-v1.schema.json`` and ``schemas/spec-test-v1.schema.json`` are stale).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SPEC_SCHEMA_FILE = "spec-v1.schema.json"
TEST_SCHEMA_FILE = "spec-test-v1.schema.json"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def spec_json_schema() -> dict[str, Any]:
    from qrunner.spec.model import QuerySpec

    schema = QuerySpec.model_json_schema()
    schema["$schema"] = _DRAFT
    schema["$id"] = "https://qrunner.dev/schemas/spec-v1.schema.json"
    schema["title"] = "qrunner query spec, format v1"
    schema["properties"]["version"] = {"const": 1, "title": "Version"}
    return schema


def spec_test_json_schema() -> dict[str, Any]:
    from qrunner.spec.testfile import SpecTestFile

    schema = SpecTestFile.model_json_schema()
    schema["$schema"] = _DRAFT
    schema["$id"] = "https://qrunner.dev/schemas/spec-test-v1.schema.json"
    schema["title"] = "qrunner spec unit tests (*.test.yaml)"
    return schema


def render_spec_schema() -> str:
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"


def render_spec_test_schema() -> str:
    return json.dumps(spec_test_json_schema(), indent=2, sort_keys=True) + "\n"


EDITOR_SCHEMAS = {SPEC_SCHEMA_FILE: render_spec_schema, TEST_SCHEMA_FILE: render_spec_test_schema}


def main() -> None:
    """``python -m qrunner.spec.schema [OUT]``: both schemas into ``schemas/`` (or the folder
    OUT); an OUT ending in ``.json`` receives the spec schema alone."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")
    if out.suffix == ".json":
        targets = {out: render_spec_schema}
    else:
        targets = {out / name: render for name, render in EDITOR_SCHEMAS.items()}
    for path, render in targets.items():
        path.write_text(render(), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
