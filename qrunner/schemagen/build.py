"""Turn field tables (:class:`FieldRow` lists) into JSON Schema fragments.

The tables give each row's parent by *name*, and names repeat (``total``, ``missing``,
``Option 3``, ``additionalProperties``, ``<any-key>``), so nesting is resolved by walking the
rows in order with a stack of open fields: a row's parent is the innermost open field with
that name. Two spellings are special:

* parent ``additionalProperties`` + field ``<any-key>``: the value schema of the innermost
  open object (a map);
* type ``<oneOf>`` + child rows ``Option N``: the alternatives of a ``oneOf``.

Request objects get ``additionalProperties: false`` (an unknown field is an error);
response objects stay open, since APIs add fields without notice.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qrunner.errors import SchemaGenerationError
from qrunner.schemagen.markdown import FieldRow

ANY_KEY = "<any-key>"
ADDITIONAL = "additionalProperties"
ONE_OF = "<oneOf>"
_OPTION = re.compile(r"^Option \d+$")

_SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "int32": {"type": "integer"},
    "int64": {"type": "integer"},
    "integer": {"type": "integer"},
    "double": {"type": "number"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "date-time": {"type": "string", "format": "date-time"},
    "": {},
}
_ARRAYS = {"[string]": "string", "[int64]": "int64", "[double]": "double"}
_CONTAINERS = frozenset({"object", "[object]", ONE_OF})


@dataclass(slots=True)
class Node:
    """A field while the table is being read; ``children`` keep table order."""

    name: str
    row: FieldRow | None
    children: list[Node] = field(default_factory=list)
    additional: Node | None = None

    @property
    def type(self) -> str:
        return "object" if self.row is None else self.row.type


def build_tree(page: str, rows: list[FieldRow]) -> Node:
    """Nest the rows under a root object node (see the module docstring)."""
    root = Node("", None)
    stack: list[Node] = [root]
    for row in rows:
        node = Node(row.name, row)
        if row.parent == "":
            del stack[1:]
            root.children.append(node)
        elif row.parent == ADDITIONAL:
            index = _innermost(stack, _is_object)
            if index is None or row.name != ANY_KEY:
                raise SchemaGenerationError(
                    f"{page}:{row.line}: an additionalProperties row must name <any-key> and"
                    " follow an object"
                )
            del stack[index + 1 :]
            stack[index].additional = node
        else:
            index = _innermost(stack, functools.partial(_is_named, row.parent))
            if index is None:
                raise SchemaGenerationError(
                    f"{page}:{row.line}: field {row.name!r} names parent {row.parent!r},"
                    " which is not an enclosing field at this point of the table"
                )
            parent = stack[index]
            if parent.type not in _CONTAINERS:
                raise SchemaGenerationError(
                    f"{page}:{row.line}: field {row.name!r} is nested under {row.parent!r},"
                    f" whose type {parent.type!r} cannot have fields"
                )
            if (parent.type == ONE_OF) != bool(_OPTION.match(row.name)):
                raise SchemaGenerationError(
                    f"{page}:{row.line}: a <oneOf> field takes 'Option N' rows and only those"
                    f" (got {row.name!r} under {row.parent!r})"
                )
            del stack[index + 1 :]
            parent.children.append(node)
        stack.append(node)
    return root


def _is_object(node: Node) -> bool:
    return node.type in ("object", "[object]")


def _is_named(name: str, node: Node) -> bool:
    return node.name == name


def _innermost(stack: list[Node], predicate: Callable[[Node], bool]) -> int | None:
    for index in range(len(stack) - 1, -1, -1):
        if predicate(stack[index]):
            return index
    return None


def schema_for_node(page: str, node: Node, *, closed: bool) -> dict[str, Any]:
    """The JSON Schema of one field; ``closed`` forbids unknown keys in objects."""
    type_ = node.type
    if type_ == "object":
        return _object_schema(page, node, closed=closed)
    if type_ == "[object]":
        return {"type": "array", "items": _object_schema(page, node, closed=closed)}
    if type_ == ONE_OF:
        if not node.children:
            raise SchemaGenerationError(
                f"{page}:{_line(node)}: <oneOf> field {node.name!r} has no 'Option N' rows"
            )
        return {"oneOf": [schema_for_node(page, c, closed=closed) for c in node.children]}
    if node.children:
        raise SchemaGenerationError(
            f"{page}:{_line(node)}: field {node.name!r} of type {type_!r} has nested fields"
        )
    if type_ == "enum":
        values = node.row.enum if node.row else ()
        if not values:
            raise SchemaGenerationError(
                f"{page}:{_line(node)}: enum field {node.name!r} lists no 'Allowed enum values'"
            )
        return {"type": "string", "enum": list(values)}
    if type_ in _ARRAYS:
        return {"type": "array", "items": dict(_SCALARS[_ARRAYS[type_]])}
    return dict(_SCALARS[type_])


def _object_schema(page: str, node: Node, *, closed: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    if node.children:
        names = [c.name for c in node.children]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SchemaGenerationError(
                f"{page}:{_line(node)}: object {node.name or '(top level)'!r} lists"
                f" {', '.join(duplicates)} twice"
            )
        schema["properties"] = {
            c.name: schema_for_node(page, c, closed=closed) for c in node.children
        }
        required = [c.name for c in node.children if c.row is not None and c.row.required]
        if required:
            schema["required"] = required
    if node.additional is not None:
        schema["additionalProperties"] = schema_for_node(page, node.additional, closed=closed)
    elif closed:
        schema["additionalProperties"] = False
    return schema


def _line(node: Node) -> int:
    return node.row.line if node.row else 0


def build_schema(page: str, rows: list[FieldRow], *, closed: bool) -> dict[str, Any]:
    """The JSON Schema (without ``$schema``/``$id``) of a whole field table."""
    return _object_schema(page, build_tree(page, rows), closed=closed)
