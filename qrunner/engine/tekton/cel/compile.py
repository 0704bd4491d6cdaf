"""The CEL filter subset that the Tekton Results server accepts, evaluated over records.

The server compiles a filter with cel-go, insists on a boolean, translates the tree to a
PostgreSQL ``WHERE`` clause (rejecting what it cannot translate) and lets PostgreSQL evaluate it.
:func:`compile_filter` takes the same steps, so a filter the local engine accepts is one the
server accepts, and a rejection carries the server's text:

1. syntax (:mod:`.parse`) and types (:mod:`.check`):
   ``error compiling CEL filters: ...`` (unknown names such as ``create_time``, impossible
   operand types);
2. ``expected boolean expression, but got <type>``;
3. translation (:mod:`.check`): ``size``, ``has``, ``duration``, ``string``,
   ``getHours``... are ``unsupported CEL `size` function statement at line L, column C`` (C is
   the offset in the whole filter, as the server computes it);
4. evaluation with SQL semantics (:mod:`.postgres`): ``data`` fields are JSON
   text (``->>``), a field compared with a timestamp is cast to one, NULL (a missing field)
   makes a comparison unknown, and only TRUE selects a record. What PostgreSQL would refuse
   (text compared with a number, a malformed timestamp, a bad regular expression) raises
   :class:`CelSqlFailure`; the server then answers 200 ``{}``.

Deliberate difference: string literals may contain quotes (the server pastes them into its SQL
unescaped and fails).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qrunner.engine.tekton.cel.check import (
    BINARY_LOGIC,
    COMPARISONS,
    CONSTANTS,
    DYN,
    PIPELINE_RUN,
    TASK_RUN,
    TIME_GETTERS,
    TS,
    VARIABLES,
    Checker,
    refuse_untranslatable,
)
from qrunner.engine.tekton.cel.nodes import (
    Call,
    CelFilterError,
    Const,
    Ident,
    ListLit,
    Node,
    Select,
)
from qrunner.engine.tekton.cel.parse import parse_cel
from qrunner.engine.tekton.cel.postgres import (
    CelSqlFailure,
    and_,
    arithmetic,
    compare,
    concat_text,
    json_field,
    like,
    or_,
    parse_timestamp,
    search,
    to_timestamp,
)

__all__ = [
    "CONSTANTS",
    "PIPELINE_RUN",
    "TASK_RUN",
    "VARIABLES",
    "CelFilter",
    "CelFilterError",
    "CelSqlFailure",
    "compile_filter",
    "json_field",
    "parse_timestamp",
]


# ---------------------------------------------------------------------------------------------
# translation into evaluators with PostgreSQL's semantics (:mod:`.postgres`)

Row = Mapping[str, Any]
Evaluator = Callable[[Row], Any]


@dataclass(frozen=True, slots=True)
class _Sql:
    """A translated node: its SQL type (text, int, float, bool, ts, null, list, jsonb) and value."""

    kind: str
    evaluate: Evaluator


_COMPARABLE = {"text", "int", "float", "bool", "ts"}
_NUMERIC_KINDS = {"int", "float", "null"}


def _comparable(a: str, b: str) -> bool:
    return "null" in (a, b) or (a == b and a in _COMPARABLE) or {a, b} <= _NUMERIC_KINDS


def _constant(value: Any) -> Evaluator:
    return lambda row: value


class _Translator:
    """Turns a checked tree into evaluators; raises :class:`CelSqlFailure` where SQL would."""

    def __init__(self, types: Mapping[int, str]) -> None:
        self.types = types

    def type_of(self, node: Node) -> str:
        return self.types[id(node)]

    def translate(self, node: Node) -> _Sql:
        if isinstance(node, Const):
            kind = {"string": "text", "uint": "int", "double": "float"}.get(node.type, node.type)
            return _Sql(kind, _constant(node.value))
        if isinstance(node, Ident):
            name = node.name.removeprefix(".")
            if name in CONSTANTS:
                return _Sql("text", _constant(CONSTANTS[name]))
            if name == "data":
                return _Sql("jsonb", lambda row: row["data"])
            return _Sql("text", lambda row: row[name])
        if isinstance(node, Select) or (isinstance(node, Call) and node.function == "_[_]"):
            path = self.json_path(node)
            return _Sql("text", lambda row: json_field(row["data"], path))
        if isinstance(node, ListLit):
            raise CelSqlFailure("a list is only usable on the right of `in`")
        assert isinstance(node, Call)
        return self.translate_call(node)

    def json_path(self, node: Node) -> tuple[str | int, ...]:
        if isinstance(node, Ident):
            return ()
        if isinstance(node, Select):
            return (*self.json_path(node.operand), node.field)
        assert isinstance(node, Call)
        key = node.args[1]
        assert isinstance(key, Const) and isinstance(key.value, str | int)
        return (*self.json_path(node.args[0]), key.value)

    def boolean(self, node: Node) -> _Sql:
        sql = self.translate(node)
        if sql.kind not in ("bool", "null"):
            raise CelSqlFailure(f"argument must be type boolean, not {sql.kind}")
        return sql

    def translate_call(self, node: Call) -> _Sql:
        fn = node.function
        if fn == "!_":
            operand = self.boolean(node.args[0]).evaluate
            return _Sql("bool", lambda row: None if (v := operand(row)) is None else not v)
        if fn in BINARY_LOGIC:
            left, right = (self.boolean(a).evaluate for a in node.args)
            if fn == "_&&_":
                return _Sql("bool", lambda row: and_(left(row), right(row)))
            return _Sql("bool", lambda row: or_(left(row), right(row)))
        if fn in COMPARISONS:
            left_sql, right_sql = self.coerced_pair(node.args[0], node.args[1])
            if not _comparable(left_sql.kind, right_sql.kind):
                raise CelSqlFailure(f"operator does not exist: {left_sql.kind} vs {right_sql.kind}")
            left, right = left_sql.evaluate, right_sql.evaluate
            return _Sql("bool", lambda row: compare(fn, left(row), right(row)))
        if fn == "@in":
            return self.translate_in(node)
        if fn == "_+_" and "string" in (self.type_of(node.args[0]), self.type_of(node.args[1])):
            parts = [self.translate(leaf) for leaf in _concatenated(node)]
            return _Sql("text", lambda row: "".join(concat_text(p.evaluate(row)) for p in parts))
        if fn in ("_+_", "_-_", "_*_", "_/_", "_%_"):
            left_sql, right_sql = (self.translate(a) for a in node.args)
            kinds = {left_sql.kind, right_sql.kind}
            if not kinds <= _NUMERIC_KINDS:
                raise CelSqlFailure(f"operator does not exist: {' vs '.join(sorted(kinds))}")
            left, right = left_sql.evaluate, right_sql.evaluate
            kind = "float" if "float" in kinds else "int"
            return _Sql(kind, lambda row: arithmetic(fn, left(row), right(row)))
        if fn == "timestamp":
            return self.translate_timestamp(node.args[0])
        assert node.target is not None  # the remaining supported functions are methods
        target = self.translate(node.target)
        if fn in TIME_GETTERS:
            return self.translate_getter(fn, target)
        argument = self.translate(node.args[0])
        if {target.kind, argument.kind} - {"text", "null"}:
            raise CelSqlFailure(f"function {fn} does not exist for {target.kind}")
        test = {"startsWith": lambda v, a: like(v, a + "%"), "endsWith": lambda v, a: like(
            v, "%" + a), "contains": lambda v, a: a in v, "matches": search}[fn]  # fmt: skip
        of, arg = target.evaluate, argument.evaluate

        def evaluate(row: Row) -> bool | None:
            value, operand = of(row), arg(row)
            return None if value is None or operand is None else test(value, operand)

        return _Sql("bool", evaluate)

    def coerced_pair(self, left: Node, right: Node) -> tuple[_Sql, _Sql]:
        """A ``dyn`` operand beside a timestamp is cast to a timestamp (the server's coercion)."""
        left_sql, right_sql = self.translate(left), self.translate(right)
        if self.type_of(left) == DYN and self.type_of(right) == TS:
            left_sql = _cast_to_timestamp(left_sql)
        if self.type_of(right) == DYN and self.type_of(left) == TS:
            right_sql = _cast_to_timestamp(right_sql)
        return left_sql, right_sql

    def translate_in(self, node: Call) -> _Sql:
        needle_sql = self.translate(node.args[0])
        haystack = node.args[1]
        # ``x IN (expr)`` with a single expression is SQL equality.
        elements = haystack.elements if isinstance(haystack, ListLit) else (haystack,)
        options_sql = [self.translate(e) for e in elements]
        for option in options_sql:
            if not _comparable(needle_sql.kind, option.kind):
                raise CelSqlFailure(f"operator does not exist: {needle_sql.kind} = {option.kind}")
        needle, options = needle_sql.evaluate, [o.evaluate for o in options_sql]

        def evaluate(row: Row) -> bool | None:
            value = needle(row)
            if value is None:
                return None
            candidates = [option(row) for option in options]
            if any(c is not None and c == value for c in candidates):
                return True
            return None if None in candidates else False

        return _Sql("bool", evaluate)

    def translate_timestamp(self, argument: Node) -> _Sql:
        sql = self.translate(argument)
        if sql.kind not in ("text", "ts", "null"):
            raise CelSqlFailure(f"cannot cast type {sql.kind} to timestamp with time zone")
        if isinstance(argument, Const):
            # A constant is cast when the statement is planned: wrong even without records.
            return _Sql("ts", _constant(to_timestamp(argument.value)))
        return _cast_to_timestamp(sql)

    def translate_getter(self, fn: str, target: _Sql) -> _Sql:
        if target.kind not in ("ts", "text", "null"):
            raise CelSqlFailure(f"cannot extract from {target.kind}")
        moment = _cast_to_timestamp(target).evaluate
        extract: Callable[[datetime], int] = {
            "getDate": lambda t: t.day,
            "getDayOfMonth": lambda t: t.day - 1,
            "getDayOfWeek": lambda t: t.isoweekday() % 7,
            "getDayOfYear": lambda t: t.timetuple().tm_yday - 1,
            "getFullYear": lambda t: t.year,
        }[fn]
        return _Sql("int", lambda row: None if (t := moment(row)) is None else extract(t))


def _cast_to_timestamp(sql: _Sql) -> _Sql:
    if sql.kind == "ts":
        return sql
    value = sql.evaluate
    return _Sql("ts", lambda row: to_timestamp(value(row)))


def _concatenated(node: Node) -> list[Node]:
    if isinstance(node, Call) and node.function == "_+_":
        return [leaf for arg in node.args for leaf in _concatenated(arg)]
    return [node]


# ---------------------------------------------------------------------------------------------
# the public face


@dataclass(frozen=True, slots=True)
class CelFilter:
    """A compiled filter. :meth:`matches` takes the record's ``parent``, ``result_name``,
    ``name`` (short), ``data_type`` and ``data``."""

    source: str
    _predicate: Evaluator

    def matches(self, row: Row) -> bool:
        """Whether the server would select the record; raises :class:`CelSqlFailure`."""
        return self._predicate(row) is True


def compile_filter(text: str) -> CelFilter:
    """Compile a filter as the server does (give it trimmed, like the server trims it).

    Raises :class:`CelFilterError` where the server answers 400 and :class:`CelSqlFailure`
    where its SQL would fail whatever the records (the server then answers ``{}``).
    """
    tree = parse_cel(text)
    checker = Checker(text)
    result_type = checker.check(tree)
    if result_type not in ("bool", DYN):
        raise CelFilterError(f"expected boolean expression, but got {result_type}")
    refuse_untranslatable(text, tree)
    predicate = _Translator(checker.types).boolean(tree)
    return CelFilter(text, predicate.evaluate)
