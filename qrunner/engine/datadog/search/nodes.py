"""Datadog search syntax (``filter.query``) → AST → DuckDB SQL predicate.

The syntax is the one Datadog uses for logs, spans and CI events::

    service:web @test.status:fail -@test.is_flaky:true (env:prod OR env:staging)
    @duration:>20ms @http.status_code:[500 TO 599] "connection reset" @http.url:https\\://x*

Precedence is ``NOT``/``-`` over ``AND`` (explicit or whitespace) over ``OR``; keywords are
uppercase only. :func:`.parse.parse_search` turns a query into the frozen
dataclasses below (attribute groups such as ``service:(a OR b)`` are expanded into one
:class:`Attribute` per value); :func:`.sql.compile_search` turns it
into SQL through a :class:`FieldResolver` that knows the tables. This module is the AST alone: the
parser and the compiler import it, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from qrunner.engine.base import Column
from qrunner.errors import QueryError

__all__ = [
    "And",
    "Attribute",
    "Compare",
    "Equals",
    "Exists",
    "FieldResolver",
    "FreeText",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "Range",
    "SearchSyntaxError",
    "Word",
]


class FieldResolver(Protocol):
    """Maps attribute names of a query onto the columns of the searched table."""

    def resolve(self, name: str, *, reserved: bool) -> Column | None:
        """``name`` without ``@``; ``reserved`` when written without ``@``; None when absent."""
        ...

    def free_text(self) -> list[Column]:
        """The string columns a bare term or phrase searches."""
        ...


class SearchSyntaxError(QueryError):
    """A malformed search query; ``position`` is the 0-based column of the problem."""

    def __init__(self, query: str, position: int, problem: str) -> None:
        shown = query.replace("\n", " ").replace("\r", " ").replace("\t", " ")
        caret = position
        if len(shown) > 120:  # a window around the problem: messages quote bounded excerpts
            start = max(0, position - 60)
            shown = ("…" if start else "") + shown[start : start + 120] + "…"
            caret = position - start + (1 if start else 0)
        message = (
            f"invalid search query: {problem} at column {position}\n  {shown}\n  {' ' * caret}^"
        )
        super().__init__(message)
        self.message = message
        self.problem = problem
        self.query = query
        self.position = position


# --- the AST -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """A value or term, escapes removed; ``wildcards`` index its unescaped ``*`` and ``?``."""

    text: str
    wildcards: tuple[int, ...] = ()
    quoted: bool = False

    @property
    def is_star(self) -> bool:
        """True for a lone unescaped ``*`` (match anything / open range end)."""
        return self.text == "*" and self.wildcards == (0,)


@dataclass(frozen=True, slots=True)
class Equals:
    word: Word


@dataclass(frozen=True, slots=True)
class Exists:
    pass


@dataclass(frozen=True, slots=True)
class Compare:
    op: Literal[">", ">=", "<", "<="]
    word: Word


@dataclass(frozen=True, slots=True)
class Range:
    """``[low TO high]`` (inclusive) or ``{low TO high}`` (exclusive); None is an open end."""

    low: Word | None
    high: Word | None
    include_low: bool = True
    include_high: bool = True


ValueTest = Equals | Exists | Compare | Range


@dataclass(frozen=True, slots=True)
class MatchAll:
    pass


@dataclass(frozen=True, slots=True)
class FreeText:
    word: Word


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    reserved: bool
    test: ValueTest


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = MatchAll | FreeText | Attribute | Not | And | Or
