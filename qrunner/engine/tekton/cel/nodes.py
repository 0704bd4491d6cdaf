"""The CEL syntax tree and its errors (cel-go's texts), shared by the parser, the type check and
the translation; this module imports none of them."""

from __future__ import annotations

from dataclasses import dataclass

from qrunner.errors import QueryError


class CelFilterError(QueryError):
    """The server rejects the filter with 400; ``message`` is its text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """A node of the filter's tree; ``pos`` is its offset in the (trimmed) filter text."""

    pos: int


@dataclass(frozen=True, slots=True, eq=False)
class Const(Node):
    value: str | int | float | bool | bytes | None
    type: str


@dataclass(frozen=True, slots=True, eq=False)
class Ident(Node):
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Select(Node):
    operand: Node
    field: str
    test_only: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Call(Node):
    function: str
    target: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class ListLit(Node):
    elements: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class MapLit(Node):
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True, eq=False)
class Comprehension(Node):
    macro: str
    target: Node


def compile_error(text: str, pos: int, message: str) -> CelFilterError:
    """The cel-go issue text: ``ERROR: <input>:L:C: message`` plus the line and a caret."""
    line_no = text.count("\n", 0, pos) + 1
    line_start = text.rfind("\n", 0, pos) + 1
    column = pos - line_start
    snippet = text[line_start:].split("\n", 1)[0].replace("\t", " ")
    caret = "." * column + "^"
    return CelFilterError(
        f"error compiling CEL filters: ERROR: <input>:{line_no}:{column + 1}: {message}"
        f"\n | {snippet}\n | {caret}"
    )
