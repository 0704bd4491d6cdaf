"""Search AST → DuckDB SQL boolean expression (see :mod:`qrunner.engine.datadog.search.nodes`).

Every leaf is wrapped in ``coalesce(..., false)`` so that a missing value never makes a NULL that
``NOT`` would keep NULL: ``-@test.status:fail`` keeps rows without a status. Literals are always
escaped here; column expressions come from the resolver and are used as given.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from qrunner.engine.base import Column
from qrunner.engine.datadog.search.nodes import (
    And,
    Attribute,
    Compare,
    Equals,
    Exists,
    FieldResolver,
    FreeText,
    MatchAll,
    Node,
    Not,
    Or,
    Range,
    ValueTest,
    Word,
)
from qrunner.engine.datadog.search.parse import parse_search

__all__ = ["compile_node", "parse_number"]

_NS_PER_UNIT = {
    "ns": 1,
    "us": 10**3,
    "\u00b5s": 10**3,  # MICRO SIGN, as keyboards type it
    "\u03bcs": 10**3,  # GREEK SMALL LETTER MU, the other way to write micro
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "min": 60 * 10**9,
    "h": 3600 * 10**9,
    "d": 86400 * 10**9,
    "w": 7 * 86400 * 10**9,
}
_NUMBER = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?)(?P<unit>[a-z\u00b5\u03bc]+)?"
)


def compile_node(node: Node, resolver: FieldResolver, *, strict: bool = True) -> str:
    """The SQL predicate for one parsed query; with ``strict=False`` it may be NULL where it
    does not match, which a WHERE clause reads the same as false (leaves under a ``NOT`` stay
    strict). Leaving the ``coalesce`` out there lets DuckDB push the comparisons into its scan."""
    match node:
        case MatchAll():
            return "true"
        case And(operands):
            parts = (compile_node(each, resolver, strict=strict) for each in operands)
            return "(" + " AND ".join(parts) + ")"
        case Or(operands):
            parts = (compile_node(each, resolver, strict=strict) for each in operands)
            return "(" + " OR ".join(parts) + ")"
        case Not(operand):
            return f"(NOT {compile_node(operand, resolver)})"
        case FreeText(word):
            return compile_free_text(word, resolver.free_text())
        case Attribute(name, reserved, test):
            column = resolver.resolve(name, reserved=reserved)
            if column is None:
                return "false"
            condition = compile_test(column, test)
            if condition is None:
                return "false"
            return f"coalesce({condition}, false)" if strict else f"({condition})"
    raise TypeError(f"not a search node: {node!r}")  # pragma: no cover - Node is closed


def compile_free_text(word: Word, columns: list[Column]) -> str:
    if not columns:
        return "false"
    pattern = quote_string("%" + to_like(word) + "%")
    tests = [f"coalesce({column.sql} ILIKE {pattern} ESCAPE '\\', false)" for column in columns]
    return tests[0] if len(tests) == 1 else "(" + " OR ".join(tests) + ")"


def compile_test(column: Column, test: ValueTest) -> str | None:
    """The condition on one column, or None when nothing can match (a text for a number...)."""
    if isinstance(test, Exists):
        return f"{column.sql} IS NOT NULL"
    if column.kind == "boolean":
        return compile_boolean(column, test)
    if column.kind == "number":
        return compile_number(column, test)
    return compile_string(column, test)


def compile_boolean(column: Column, test: ValueTest) -> str | None:
    if not isinstance(test, Equals) or test.word.wildcards:
        return None
    value = test.word.text.lower()
    if value not in ("true", "false"):
        return None
    return f"{column.sql} = {value}"


def compile_number(column: Column, test: ValueTest) -> str | None:
    match test:
        case Equals(word):
            number = parse_number(word)
            return None if number is None else f"{column.sql} = {number}"
        case Compare(op, word):
            number = parse_number(word)
            return None if number is None else f"{column.sql} {op} {number}"
        case Range(low, high, include_low, include_high):
            low_number = None if low is None else parse_number(low)
            high_number = None if high is None else parse_number(high)
            if low is not None and low_number is None:
                return None
            if high is not None and high_number is None:
                return None
            return compile_bounds(column, low_number, high_number, include_low, include_high)
    return None


def compile_string(column: Column, test: ValueTest) -> str | None:
    match test:
        case Equals(word) if word.wildcards:
            return f"{column.sql} LIKE {quote_string(to_like(word))} ESCAPE '\\'"
        case Equals(word):
            return f"{column.sql} = {quote_string(word.text)}"
        case Compare(op, word):
            return f"{column.sql} {op} {quote_string(word.text)}"
        case Range(low, high, include_low, include_high):
            return compile_bounds(
                column,
                None if low is None else quote_string(low.text),
                None if high is None else quote_string(high.text),
                include_low,
                include_high,
            )
    return None


def compile_bounds(
    column: Column, low: str | None, high: str | None, include_low: bool, include_high: bool
) -> str:
    parts = []
    if low is not None:
        parts.append(f"{column.sql} {'>=' if include_low else '>'} {low}")
    if high is not None:
        parts.append(f"{column.sql} {'<=' if include_high else '<'} {high}")
    return " AND ".join(parts) if parts else f"{column.sql} IS NOT NULL"


def parse_number(word: Word) -> str | None:
    """A SQL numeric literal for ``word`` (units become nanoseconds), or None if not a number."""
    if word.wildcards:
        return None
    found = _NUMBER.fullmatch(word.text.strip())
    if found is None:
        return None
    value = Decimal(found["number"])
    if found["unit"] is not None:
        factor = _NS_PER_UNIT.get(found["unit"])
        if factor is None:
            return None
        value *= factor
    if value == value.to_integral_value() and abs(value) < 2**63:
        return str(int(value))
    as_float = float(value)
    if math.isinf(as_float):
        return "'-inf'::DOUBLE" if as_float < 0 else "'inf'::DOUBLE"
    return repr(as_float)


def to_like(word: Word) -> str:
    """``word`` as a LIKE pattern with ``\\`` as the escape character."""
    wildcards = set(word.wildcards)
    out = []
    for index, char in enumerate(word.text):
        if index in wildcards:
            out.append("%" if char == "*" else "_")
        elif char in "%_\\":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def quote_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def compile_search(query: str, resolver: FieldResolver, *, strict: bool = True) -> str:
    """A DuckDB boolean expression selecting the rows ``query`` matches; never NULL, unless
    ``strict=False`` (for a WHERE clause, where NULL selects nothing, like false)."""
    return compile_node(parse_search(query), resolver, strict=strict)
