"""Reviewed corrections applied to the generated schemas (``schemas/overrides/*.json``).

The doc pages are incomplete and sometimes wrong about what the live APIs do. Each override
file fixes one such gap and says why::

    {
      "reason": "The live CI endpoints accept more aggregations than the page lists ...",
      "targets": ["datadog.ci_tests.request", "datadog.ci_pipelines.request"],
      "operations": [
        {"op": "add_values", "path": "/properties/compute/items/properties/aggregation/enum",
         "values": ["avg", "median"]}
      ]
    }

``path`` and ``from`` are JSON pointers (RFC 6901) into the generated schema. Operations:

* ``add_values``: append ``values`` to the list at ``path`` (created if absent), skipping
  values already there;
* ``remove_values``: remove ``values`` from the list at ``path`` (each must be present);
* ``set``: put ``value`` at ``path`` (the parent must exist);
* ``merge``: shallow-merge the object ``value`` into the object at ``path``;
* ``copy``: put a copy of the value at ``from`` at ``path``.

Files apply in name order, operations in file order. A path that does not exist, or a value
that is not there to remove, is an error: an override that no longer matches the docs must
be looked at again, not silently skipped.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qrunner.errors import SchemaGenerationError

OPERATIONS = ("add_values", "remove_values", "set", "merge", "copy")


@dataclass(frozen=True, slots=True)
class Override:
    file: str  # file name, for messages and the schemas' $comment
    reason: str
    targets: tuple[str, ...]
    operations: tuple[dict[str, Any], ...]


def load_overrides(overrides_dir: Path) -> list[Override]:
    """Read and check every ``*.json`` in ``overrides_dir`` (absent dir = no overrides)."""
    if not overrides_dir.is_dir():
        return []
    return [_load_override(p) for p in sorted(overrides_dir.glob("*.json"))]


def _load_override(path: Path) -> Override:
    where = f"overrides/{path.name}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SchemaGenerationError(f"{where}: cannot read: {e}") from e
    if not isinstance(data, dict):
        raise SchemaGenerationError(f"{where}: must be a JSON object")
    unknown = sorted(set(data) - {"reason", "targets", "operations"})
    if unknown:
        raise SchemaGenerationError(f"{where}: unknown key(s) {', '.join(unknown)}")
    reason, targets, operations = data.get("reason"), data.get("targets"), data.get("operations")
    if not isinstance(reason, str) or not reason.strip():
        raise SchemaGenerationError(f"{where}: needs a non-empty 'reason' saying why")
    if not (isinstance(targets, list) and targets and all(isinstance(t, str) for t in targets)):
        raise SchemaGenerationError(f"{where}: 'targets' must be a non-empty list of schema names")
    if not (isinstance(operations, list) and operations):
        raise SchemaGenerationError(f"{where}: 'operations' must be a non-empty list")
    for number, op in enumerate(operations, 1):
        _check_operation(f"{where}: operation {number}", op)
    return Override(path.name, reason.strip(), tuple(targets), tuple(operations))


_OPERATION_KEYS = {
    "add_values": {"values"},
    "remove_values": {"values"},
    "set": {"value"},
    "merge": {"value"},
    "copy": {"from"},
}


def _check_operation(where: str, op: Any) -> None:
    if not isinstance(op, dict) or op.get("op") not in OPERATIONS:
        raise SchemaGenerationError(f"{where}: 'op' must be one of {', '.join(OPERATIONS)}")
    expected = {"op", "path", *_OPERATION_KEYS[op["op"]]}
    if set(op) != expected:
        raise SchemaGenerationError(
            f"{where} ({op['op']}): takes exactly the keys {', '.join(sorted(expected))}"
        )
    if not isinstance(op["path"], str) or not (op["path"] == "" or op["path"].startswith("/")):
        raise SchemaGenerationError(f"{where}: 'path' must be a JSON pointer ('' or '/...')")
    if "values" in op and not isinstance(op["values"], list):
        raise SchemaGenerationError(f"{where}: 'values' must be a list")
    if op["op"] == "merge" and not isinstance(op["value"], dict):
        raise SchemaGenerationError(f"{where}: 'value' of merge must be an object")


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _step(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node[token]
    if isinstance(node, list) and token.isdigit():
        return node[int(token)]
    raise KeyError(token)


def _walk(document: Any, tokens: list[str], pointer: str, where: str) -> Any:
    node = document
    try:
        for token in tokens:
            node = _step(node, token)
    except (KeyError, IndexError):
        raise SchemaGenerationError(f"{where}: path {pointer!r} does not exist") from None
    return node


def _resolve(document: Any, pointer: str, where: str) -> Any:
    return _walk(document, _tokens(pointer), pointer, where)


def _put(document: Any, pointer: str, value: Any, where: str) -> None:
    tokens = _tokens(pointer)
    if not tokens:
        raise SchemaGenerationError(f"{where}: cannot replace the whole schema")
    parent = _walk(document, tokens[:-1], pointer, where)
    if not isinstance(parent, dict):
        raise SchemaGenerationError(f"{where}: cannot set {pointer!r}: its parent is not an object")
    parent[tokens[-1]] = value


def apply_override(schema: dict[str, Any], override: Override, target: str) -> None:
    """Apply one override's operations to ``schema`` (in place)."""
    for number, op in enumerate(override.operations, 1):
        where = f"overrides/{override.file}: operation {number} ({op['op']}) on {target}"
        kind, path = op["op"], op["path"]
        if kind in ("add_values", "remove_values"):
            try:
                current = _resolve(schema, path, where)
            except SchemaGenerationError:
                if kind == "remove_values":
                    raise
                current = []
                _put(schema, path, current, where)
            if not isinstance(current, list):
                raise SchemaGenerationError(f"{where}: {path!r} is not a list")
            for value in op["values"]:
                if kind == "add_values" and value not in current:
                    current.append(copy.deepcopy(value))
                elif kind == "remove_values":
                    if value not in current:
                        raise SchemaGenerationError(
                            f"{where}: {value!r} is not in {path!r}; drop it from the override"
                        )
                    current.remove(value)
        elif kind == "set":
            _put(schema, path, copy.deepcopy(op["value"]), where)
        elif kind == "merge":
            current = _resolve(schema, path, where)
            if not isinstance(current, dict):
                raise SchemaGenerationError(f"{where}: {path!r} is not an object")
            current.update(copy.deepcopy(op["value"]))
        else:  # copy
            _put(schema, path, copy.deepcopy(_resolve(schema, op["from"], where)), where)


def check_targets(overrides: list[Override], known: set[str]) -> None:
    """Every override must name schemas that exist."""
    for override in overrides:
        unknown = sorted(set(override.targets) - known)
        if unknown:
            raise SchemaGenerationError(
                f"overrides/{override.file}: unknown target(s) {', '.join(unknown)}"
                f" (known: {', '.join(sorted(known))})"
            )
