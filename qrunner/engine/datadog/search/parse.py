"""The parser of Datadog search syntax into the AST of :mod:`qrunner.engine.datadog.search.nodes`.

A small recursive descent over characters, not tokens, so that every error points at a column:
``Parser(query).parse()`` returns the AST of :mod:`qrunner.engine.datadog.search.nodes` or raises
:class:`~qrunner.engine.datadog.search.nodes.SearchSyntaxError`. Attribute groups such as
``service:(a OR b)`` are expanded while parsing: the group's field is carried down and every
value becomes its own :class:`~qrunner.engine.datadog.search.nodes.Attribute`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal, NoReturn

from qrunner.engine.datadog.search.nodes import (
    And,
    Attribute,
    Compare,
    Equals,
    Exists,
    FreeText,
    MatchAll,
    Node,
    Not,
    Or,
    Range,
    SearchSyntaxError,
    ValueTest,
    Word,
)
from qrunner.limits import MAX_NESTING, MAX_QUERY_CHARS

__all__ = ["Parser", "parse_search"]

_KEYWORDS = ("AND", "OR", "NOT")
_MAX_DEPTH = MAX_NESTING
_WORD_END = frozenset('()"')  # and whitespace
_BOUND_END = _WORD_END | {"]", "}"}


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    reserved: bool


class Parser:
    """Recursive descent over the characters of one query: ``Parser(query).parse()``."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.pos = 0
        self.end = len(query)
        self.depth = 0

    def fail(self, position: int, problem: str) -> NoReturn:
        raise SearchSyntaxError(self.query, position, problem)

    def at_end(self) -> bool:
        return self.pos >= self.end

    def at_space(self) -> bool:
        return self.pos < self.end and self.query[self.pos].isspace()

    def skip_spaces(self) -> None:
        while self.at_space():
            self.pos += 1

    def keyword(self) -> str | None:
        """The keyword starting here, if a whole uppercase word is one."""
        for word in _KEYWORDS:
            after = self.pos + len(word)
            if self.query.startswith(word, self.pos) and (
                after >= self.end or self.query[after].isspace() or self.query[after] in "()"
            ):
                return word
        return None

    def parse(self) -> Node:
        self.skip_spaces()
        if self.at_end():
            return MatchAll()
        node = self.parse_or(None, None)
        self.skip_spaces()
        if not self.at_end():  # only a stray ')' stops parse_or early
            self.fail(self.pos, f"unexpected {self.query[self.pos]!r}")
        return node

    def parse_or(self, field: _Field | None, after: tuple[str, int] | None) -> Node:
        operands = [self.parse_and(field, after)]
        while True:
            self.skip_spaces()
            if self.keyword() != "OR":
                break
            operator = ("OR", self.pos)
            self.pos += 2
            operands.append(self.parse_and(field, operator))
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self, field: _Field | None, after: tuple[str, int] | None) -> Node:
        operands = [self.parse_unary(field, after)]
        while True:
            self.skip_spaces()
            if self.at_end() or self.query[self.pos] == ")":
                break
            keyword = self.keyword()
            if keyword == "OR":
                break
            if keyword == "AND":
                operator = ("AND", self.pos)
                self.pos += 3
                operands.append(self.parse_unary(field, operator))
            else:
                operands.append(self.parse_unary(field, None))
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self, field: _Field | None, after: tuple[str, int] | None) -> Node:
        # Groups and negations recurse through here; bound them before Python's stack is.
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail(self.pos, f"more than {_MAX_DEPTH} nested groups or negations")
        try:
            return self.parse_operand(field, after)
        finally:
            self.depth -= 1

    def parse_operand(self, field: _Field | None, after: tuple[str, int] | None) -> Node:
        self.skip_spaces()
        if self.at_end():
            if after is None:
                self.fail(self.pos, "missing term")
            symbol, position = after
            if symbol == "(":
                self.fail(position, "unclosed '('")
            self.fail(position, f"missing term after {symbol!r}")
        keyword = self.keyword()
        if keyword == "NOT":
            operator = ("NOT", self.pos)
            self.pos += 3
            return Not(self.parse_unary(field, operator))
        if keyword is not None:
            self.fail(self.pos, f"unexpected {keyword!r}")
        char = self.query[self.pos]
        if char == ")":
            self.fail(self.pos, "unexpected ')'")
        if char == "-" and not (field is not None and self.is_number_start(self.pos + 1)):
            start = self.pos
            self.pos += 1
            if self.at_end() or self.at_space() or self.query[self.pos] == ")":
                self.fail(start, "missing term after '-'")
            return Not(self.parse_unary(field, ("-", start)))
        return self.parse_primary(field)

    def is_number_start(self, position: int) -> bool:
        return position < self.end and (
            self.query[position].isdigit() or self.query[position] == "."
        )

    def parse_primary(self, field: _Field | None) -> Node:
        if self.query[self.pos] == "(":
            return self.parse_group(field)
        if field is not None:
            return Attribute(field.name, field.reserved, self.parse_value())
        if self.query[self.pos] == '"':
            return FreeText(self.parse_phrase())
        start = self.pos
        word = self.parse_word(_WORD_END | {":"})
        if self.pos < self.end and self.query[self.pos] == ":":
            return self.parse_attribute(word.text, start)
        return MatchAll() if word.is_star else FreeText(word)

    def parse_group(self, field: _Field | None) -> Node:
        start = self.pos
        self.pos += 1
        node = self.parse_or(field, ("(", start))
        self.skip_spaces()
        if self.at_end():
            self.fail(start, "unclosed '('")
        self.pos += 1  # parse_or stops only at the end or at ')'
        return node

    def parse_attribute(self, raw_name: str, start: int) -> Node:
        colon = self.pos
        reserved = not raw_name.startswith("@")
        name = raw_name if reserved else raw_name[1:]
        if not name:
            self.fail(start, "missing attribute name before ':'")
        self.pos += 1
        if self.at_end() or self.at_space() or self.query[self.pos] == ")":
            self.fail(self.pos, f"missing value after '{self.query[start : colon + 1]}'")
        field = _Field(name, reserved)
        if self.query[self.pos] == "(":
            return self.parse_group(field)
        return Attribute(name, reserved, self.parse_value())

    def parse_value(self) -> ValueTest:
        char = self.query[self.pos]
        if char in "<>":
            op: Literal[">", ">=", "<", "<="] = ">" if char == ">" else "<"
            if self.query.startswith("=", self.pos + 1):
                op = ">=" if char == ">" else "<="
            self.pos += len(op)
            if self.at_end() or self.at_space() or self.query[self.pos] in "()":
                self.fail(self.pos, f"missing value after {op!r}")
            return Compare(op, self.parse_bound(_WORD_END))
        if char in "[{":
            return self.parse_range()
        if char == '"':
            return Equals(self.parse_phrase())
        word = self.parse_word(_WORD_END)
        return Exists() if word.is_star else Equals(word)

    def parse_range(self) -> Range:
        start = self.pos
        include_low = self.query[start] == "["
        self.pos += 1
        self.skip_spaces()
        if self.keyword_to():
            self.fail(self.pos, "missing lower bound of range")
        low = self.parse_bound(_BOUND_END, "missing lower bound of range")
        had_space = self.at_space()
        self.skip_spaces()
        if not (had_space and self.keyword_to()):
            self.fail(self.pos, "expected 'TO' in range")
        self.pos += 2
        self.skip_spaces()
        high = self.parse_bound(_BOUND_END, "missing upper bound of range")
        self.skip_spaces()
        if self.at_end():
            self.fail(start, f"unclosed {self.query[start]!r}")
        if self.query[self.pos] not in "]}":
            self.fail(self.pos, "expected ']' or '}' to close range")
        include_high = self.query[self.pos] == "]"
        self.pos += 1
        return Range(
            None if low.is_star else low, None if high.is_star else high, include_low, include_high
        )

    def keyword_to(self) -> bool:
        after = self.pos + 2
        return self.query.startswith("TO", self.pos) and (
            after < self.end and (self.query[after].isspace() or self.query[after] in "]}")
        )

    def parse_bound(self, stop: frozenset[str], missing: str = "missing value") -> Word:
        if self.at_end() or self.at_space() or self.query[self.pos] in stop - {'"'}:
            self.fail(self.pos, missing)
        if self.query[self.pos] == '"':
            return self.parse_phrase()
        return self.parse_word(stop)

    def parse_word(self, stop: frozenset[str]) -> Word:
        chars: list[str] = []
        wildcards: list[int] = []
        while self.pos < self.end and not (
            self.query[self.pos] in stop or self.query[self.pos].isspace()
        ):
            char = self.query[self.pos]
            if char == "\\":
                if self.pos + 1 >= self.end:
                    self.fail(self.pos, "nothing to escape after '\\'")
                char = self.query[self.pos + 1]
                self.pos += 1
            elif char in "*?":
                wildcards.append(len(chars))
            chars.append(char)
            self.pos += 1
        return Word("".join(chars), tuple(wildcards))

    def parse_phrase(self) -> Word:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < self.end:
            char = self.query[self.pos]
            if char == '"':
                self.pos += 1
                return Word("".join(chars), quoted=True)
            if char == "\\" and self.pos + 1 < self.end:
                self.pos += 1
                char = self.query[self.pos]
            chars.append(char)
            self.pos += 1
        self.fail(start, "unclosed '\"'")


@functools.lru_cache(maxsize=1024)
def parse_search(query: str) -> Node:
    """Parse a search query; raise :class:`SearchSyntaxError` when it is malformed or past
    qrunner's limits (length, nesting)."""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(
            query[:80], 0, f"query longer than {MAX_QUERY_CHARS} characters ({len(query)})"
        )
    return Parser(query).parse()
