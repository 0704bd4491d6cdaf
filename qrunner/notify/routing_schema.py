"""The routing file's JSON Schema, for editors and reviewers, generated from the pydantic
models of :mod:`.routing` and of each channel type's settings.

Regenerate with ``python -m qrunner.notify.routing_schema`` (a test fails when the committed
``schemas/notify-v1.schema.json`` is stale). The schema cannot say everything
``qrunner validate --notify`` checks (channels named by routes exist, the default route is
last, no literal secret, silences within the cap).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCHEMA_FILE = "notify-v1.schema.json"


def routing_json_schema() -> dict[str, Any]:
    from qrunner.notify.routing import RoutingFile, channel_types

    schema = RoutingFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://qrunner.dev/schemas/{SCHEMA_FILE}"
    schema["title"] = "qrunner routing file (qrunner run/notify --notify PATH), version 1"
    schema["properties"]["version"] = {"const": 1, "title": "Version"}
    defs = schema.setdefault("$defs", {})
    variants = []
    for kind, channel_type in sorted(channel_types().items()):
        settings = channel_type.settings_model.model_json_schema()
        defs.update(settings.pop("$defs", {}))
        settings["properties"] = {"type": {"const": kind}, **settings.get("properties", {})}
        settings["required"] = ["type", *settings.get("required", [])]
        settings["title"] = f"{kind} channel"
        variants.append(settings)
    schema["properties"]["channels"] = {
        "type": "object",
        "title": "Channels",
        "description": "Destinations by name; secrets only by env var name (…_env).",
        "additionalProperties": {"oneOf": variants},
    }
    return schema


def render_routing_schema() -> str:
    return json.dumps(routing_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """``python -m qrunner.notify.routing_schema [OUT]``: into ``schemas/`` (or OUT)."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas") / SCHEMA_FILE
    out.write_text(render_routing_schema(), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
