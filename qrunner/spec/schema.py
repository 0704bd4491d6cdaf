"""The JSON Schema of spec format v1, for editors, generated from the pydantic models.

Regenerate with ``python -m qrunner.spec.schema`` (a test fails when the committed file
at ``schemas/spec-v1.schema.json`` is stale).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SPEC_SCHEMA_FILE = "spec-v1.schema.json"


def spec_json_schema() -> dict[str, Any]:
    from qrunner.spec.model import QuerySpec

    schema = QuerySpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://qrunner.dev/schemas/spec-v1.schema.json"
    schema["title"] = "qrunner query spec, format v1"
    schema["properties"]["version"] = {"const": 1, "title": "Version"}
    return schema


def render_spec_schema() -> str:
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas") / SPEC_SCHEMA_FILE
    out.write_text(render_spec_schema(), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
