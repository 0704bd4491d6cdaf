"""Derived metric expressions (``failed / total``, ``(c1 - c0) / c0 * 100``), without ``eval``.

Grammar (a tiny recursive-descent parser)::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := "-" unary | "+" unary | atom
    atom   := NUMBER | NAME | "(" expr ")"
    NAME   := [A-Za-z_][A-Za-z0-9_]*

Evaluation works on floats; a missing value (``None``) makes the whole result ``None``, and so
does a division by zero (no value, rather than an infinite one that would pass or fail a gate
by accident).

:func:`infer_kind` says what a derived metric measures (see :class:`qrunner.judge.units.Kind`):
same-kind ``+``/``-`` keeps the kind; ``count / count`` and ``duration / duration`` are
ratios; ``duration / count`` is a duration; multiplying a ratio by a constant (``* 100``)
gives a plain number, so ``%`` no longer applies to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from qrunner.judge.units import Kind
from qrunner.limits import MAX_EXPRESSION_CHARS, MAX_NESTING, tree_depth_exceeds


class ExpressionError(ValueError):
    """An expression that cannot be parsed; ``position`` is a 0-based column."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True, slots=True)
class Number:
    value: float


@dataclass(frozen=True, slots=True)
class Name:
    id: str


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Number | Name | Negate | Binary

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>[-+*/()]))"
)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match:
            column = len(text) - len(text[position:].lstrip())
            raise ExpressionError(f"unexpected {text[column]!r} at column {column + 1}", column)
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expr(self) -> Node:
        node = self.term()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take()[1]
            node = Binary(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek()[1] in ("*", "/") and self.peek()[0] == "op":
            op = self.take()[1]
            node = Binary(op, node, self.unary())
        return node

    def unary(self) -> Node:
        # Parentheses and signs recurse through here; bound them before Python's stack is.
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                position = self.peek()[2]
                raise ExpressionError(f"nested more than {MAX_NESTING} levels deep", position)
            return self._unary()
        finally:
            self.depth -= 1

    def _unary(self) -> Node:
        kind, value, _ = self.peek()
        if kind == "op" and value == "-":
            self.take()
            return Negate(self.unary())
        if kind == "op" and value == "+":
            self.take()
            return self.unary()
        return self.atom()

    def atom(self) -> Node:
        kind, value, position = self.take()
        if kind == "number":
            return Number(float(value))
        if kind == "name":
            return Name(value)
        if kind == "op" and value == "(":
            node = self.expr()
            closing = self.take()
            if closing[1] != ")":
                raise ExpressionError(f"expected ')' at column {closing[2] + 1}", closing[2])
            return node
        if kind == "end":
            raise ExpressionError("unexpected end of expression", position)
        raise ExpressionError(f"unexpected {value!r} at column {position + 1}", position)


def parse_expression(text: str) -> Node:
    """Parse ``text``; raises :class:`ExpressionError` with the column of the problem."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(
            f"longer than {MAX_EXPRESSION_CHARS} characters ({len(text)})", MAX_EXPRESSION_CHARS
        )
    parser = _Parser(text)
    node = parser.expr()
    kind, value, position = parser.peek()
    if kind != "end":
        raise ExpressionError(f"unexpected {value!r} at column {position + 1}", position)
    # depth needs at least one token per level: short texts cannot be too deep
    if len(text) > MAX_NESTING and tree_depth_exceeds(node, MAX_NESTING):
        raise ExpressionError(f"nested more than {MAX_NESTING} operators deep", 0)
    return node


def expanded_size(node: Node, limit: int) -> int:
    """How many nodes ``node`` has as a tree (shared subtrees counted each time they occur),
    stopping past ``limit``; linear in the distinct nodes."""
    sizes: dict[int, int] = {}

    def size(n: Node) -> int:
        known = sizes.get(id(n))
        if known is not None:
            return known
        match n:
            case Negate(operand=operand):
                total = 1 + size(operand)
            case Binary(left=left, right=right):
                total = 1 + size(left) + size(right)
            case _:
                total = 1
        sizes[id(n)] = total = min(total, limit + 1)
        return total

    return size(node)


def free_names(node: Node) -> list[str]:
    """The names an expression reads, in order of first appearance."""
    found: list[str] = []

    def visit(n: Node) -> None:
        match n:
            case Name(id=name):
                if name not in found:
                    found.append(name)
            case Negate(operand=operand):
                visit(operand)
            case Binary(left=left, right=right):
                visit(left)
                visit(right)
            case _:
                pass

    visit(node)
    return found


def substitute(node: Node, definitions: Mapping[str, Node]) -> Node:
    """Replace each name that ``definitions`` defines by its expression (one level)."""
    match node:
        case Name(id=name) if name in definitions:
            return definitions[name]
        case Negate(operand=operand):
            return Negate(substitute(operand, definitions))
        case Binary(op=op, left=left, right=right):
            return Binary(op, substitute(left, definitions), substitute(right, definitions))
    return node


def evaluate_expression(node: Node, values: Mapping[str, float | None]) -> float | None:
    """The value of ``node``; None when a name has no value or a division is by zero."""
    match node:
        case Number(value=value):
            return value
        case Name(id=name):
            return values.get(name)
        case Negate(operand=operand):
            inner = evaluate_expression(operand, values)
            return None if inner is None else -inner
        case Binary(op=op, left=left, right=right):
            a = evaluate_expression(left, values)
            b = evaluate_expression(right, values)
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            return None if b == 0 else a / b
    raise TypeError(f"not an expression node: {node!r}")


def infer_kind(node: Node, kinds: Mapping[str, Kind]) -> Kind:
    """What the expression measures, from the kinds of the names it reads."""
    match node:
        case Number():
            return Kind.NUMBER
        case Name(id=name):
            return kinds.get(name, Kind.NUMBER)
        case Negate(operand=operand):
            return infer_kind(operand, kinds)
        case Binary(op=op, left=left, right=right):
            a, b = infer_kind(left, kinds), infer_kind(right, kinds)
            if op in ("+", "-"):
                return a if a is b else Kind.NUMBER
            if op == "*":
                if b is Kind.NUMBER and a is not Kind.RATIO:
                    return a
                if a is Kind.NUMBER and b is not Kind.RATIO:
                    return b
                return Kind.NUMBER
            # division
            if a is b and a in (Kind.COUNT, Kind.DURATION, Kind.RATIO):
                return Kind.RATIO
            if b is Kind.NUMBER or (a is Kind.DURATION and b is Kind.COUNT):
                return a
            return Kind.NUMBER
    raise TypeError(f"not an expression node: {node!r}")
