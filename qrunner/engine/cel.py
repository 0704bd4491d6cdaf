"""The CEL filter subset that the Tekton Results server accepts, evaluated over records.

The server compiles a filter with cel-go, insists on a boolean, translates the tree to a
PostgreSQL ``WHERE`` clause (rejecting what it cannot translate) and lets PostgreSQL evaluate it.
:func:`compile_filter` takes the same steps, so a filter the local engine accepts is one the
server accepts, and a rejection carries the server's text:

1. syntax (:mod:`qrunner.engine.cel_syntax`) and types: ``error compiling CEL filters: ...``
   (unknown names such as ``create_time``, impossible operand types);
2. ``expected boolean expression, but got <type>``;
3. translation: ``size``, ``has``, ``duration``, ``string``, ``getHours``... are
   ``unsupported CEL `size` function statement at line L, column C`` (C is the offset in the
   whole filter, as the server computes it);
4. evaluation with SQL semantics: ``data`` fields are JSON text (``->>``), a field compared with
   a timestamp is cast to one, NULL (a missing field) makes a comparison unknown, and only TRUE
   selects a record. What PostgreSQL would refuse (text compared with a number, a malformed
   timestamp, a bad regular expression) raises :class:`CelSqlFailure`; the server then
   answers 200 ``{}``.

Deliberate difference: string literals may contain quotes (the server pastes them into its SQL
unescaped and fails).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from qrunner.engine.cel_syntax import (
    Call,
    CelFilterError,
    Comprehension,
    Const,
    Ident,
    ListLit,
    MapLit,
    Node,
    Select,
    compile_error,
    parse_cel,
)
from qrunner.errors import QrunnerError

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

PIPELINE_RUN = "tekton.dev/v1.PipelineRun"
TASK_RUN = "tekton.dev/v1.TaskRun"

#: The filter's variables and their CEL types; ``data`` is the run's JSON.
VARIABLES: Mapping[str, str] = {
    "parent": "string",
    "result_name": "string",
    "name": "string",
    "data_type": "string",
    "data": "dyn",
}
CONSTANTS: Mapping[str, str] = {"PIPELINE_RUN": PIPELINE_RUN, "TASK_RUN": TASK_RUN}

_TS = "google.protobuf.Timestamp"
_DUR = "google.protobuf.Duration"
_DYN = "dyn"
_ANY = "*"


class CelSqlFailure(QrunnerError):
    """The server accepts the filter but PostgreSQL fails on it (the server then answers ``{}``)."""


# ---------------------------------------------------------------------------------------------
# types, as cel-go's checker sees them

_BINARY_LOGIC = {"_&&_", "_||_"}
_COMPARISONS = {"_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_"}
_ORDERED = {"int", "uint", "double", "string", "bytes", "bool", _TS, _DUR}
_NUMBERS = {"int", "uint", "double"}
_CLOCK_GETTERS = {"getHours", "getMinutes", "getSeconds", "getMilliseconds"}
_TIME_GETTERS = {"getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate",
                 "getDayOfWeek", *_CLOCK_GETTERS}  # fmt: skip
_SIZED = ("string", "bytes", "list", "map")
# (instance?, parameter types, result); "*" accepts anything, "list"/"map" any list/map.
_Overload = tuple[bool, tuple[str, ...], str]


def _same_types(*types: str) -> list[_Overload]:
    return [(False, (t, t), t) for t in types]


_FUNCTIONS: dict[str, list[_Overload]] = {
    "_+_": [
        *_same_types("int", "uint", "double", "string", "bytes"),
        *[(False, (_TS, _DUR), _TS), (False, (_DUR, _TS), _TS), (False, (_DUR, _DUR), _DUR)],
    ],
    "_-_": [
        *_same_types("int", "uint", "double"),
        *[(False, (_TS, _TS), _DUR), (False, (_TS, _DUR), _TS), (False, (_DUR, _DUR), _DUR)],
    ],
    "_*_": _same_types("int", "uint", "double"),
    "_/_": _same_types("int", "uint", "double"),
    "_%_": _same_types("int", "uint"),
    "-_": [(False, ("int",), "int"), (False, ("double",), "double")],
    "!_": [(False, ("bool",), "bool")],
    "startsWith": [(True, ("string", "string"), "bool")],
    "endsWith": [(True, ("string", "string"), "bool")],
    "contains": [(True, ("string", "string"), "bool")],
    "matches": [(True, ("string", "string"), "bool"), (False, ("string", "string"), "bool")],
    "size": [(i, (t,), "int") for t in _SIZED for i in (False, True)],
    "timestamp": [(False, (t,), _TS) for t in ("string", "int", _TS)],
    "duration": [(False, (t,), _DUR) for t in ("string", _DUR)],
    "string": [(False, (t,), "string") for t in (*_ORDERED,)],
    "int": [(False, (t,), "int") for t in ("int", "uint", "double", "string", _TS)],
    "uint": [(False, (t,), "uint") for t in ("int", "uint", "double", "string")],
    "double": [(False, (t,), "double") for t in ("int", "uint", "double", "string")],
    "bytes": [(False, (t,), "bytes") for t in ("bytes", "string")],
    "bool": [(False, (t,), "bool") for t in ("bool", "string")],
    "dyn": [(False, (_ANY,), _DYN)],
    "type": [(False, (_ANY,), "type")],
}
for _getter in _TIME_GETTERS:
    _receivers = (_TS, _DUR) if _getter in _CLOCK_GETTERS else (_TS,)
    _FUNCTIONS[_getter] = [(True, (r,), "int") for r in _receivers] + [
        (True, (_TS, "string"), "int")
    ]


def _list_of(element: str) -> str:
    return f"list({element})"


def _element(list_type: str) -> str:
    return list_type[len("list(") : -1]


def _accepts(param: str, arg: str) -> bool:
    if _DYN in (param, arg) or param in (_ANY, arg):
        return True
    if param in ("list", "map"):
        return arg.startswith(param + "(")
    if param.startswith("list(") and arg.startswith("list("):
        return _accepts(_element(param), _element(arg))
    return False


def _same(a: str, b: str) -> bool:
    """Whether cel-go unifies two operand types (``_==_`` and friends take ``(A, A)``)."""
    if _DYN in (a, b) or a == b:
        return True
    if a.startswith("list(") and b.startswith("list("):
        return _same(_element(a), _element(b))
    return a.startswith("map(") and b.startswith("map(")


def _join(types: list[str]) -> str:
    return types[0] if types and all(t == types[0] for t in types) else _DYN


def _signature(types: list[str], instance: bool) -> str:
    if instance:
        return f"{types[0]}.({', '.join(types[1:])})"
    return f"({', '.join(types)})"


class _Checker:
    """cel-go's type checker for the records view; records every node's type."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.types: dict[int, str] = {}

    def fail(self, node: Node, message: str) -> CelFilterError:
        return compile_error(self.text, node.pos, message)

    def check(self, node: Node) -> str:
        found = self.check_node(node)
        self.types[id(node)] = found
        return found

    def check_node(self, node: Node) -> str:
        if isinstance(node, Const):
            return {"null": "null_type"}.get(node.type, node.type)
        if isinstance(node, Ident):
            name = node.name.removeprefix(".")
            if name in VARIABLES:
                return VARIABLES[name]
            if name in CONSTANTS:
                return "string"
            raise self.fail(node, f"undeclared reference to '{name}' (in container '')")
        if isinstance(node, Select):
            operand = self.check(node.operand)
            if operand == _DYN:
                return "bool" if node.test_only else _DYN
            if operand.startswith("map("):
                return "bool" if node.test_only else operand[4:-1].split(", ", 1)[1]
            if operand == _TS:
                raise self.fail(node, f"undefined field '{node.field}'")
            raise self.fail(node, f"type '{operand}' does not support field selection")
        if isinstance(node, ListLit):
            return _list_of(_join([self.check(e) for e in node.elements]))
        if isinstance(node, MapLit):
            keys = [self.check(k) for k, _ in node.entries]
            values = [self.check(v) for _, v in node.entries]
            return f"map({_join(keys)}, {_join(values)})"
        if isinstance(node, Comprehension):
            self.check(node.target)
            return "bool" if node.macro in ("all", "exists", "exists_one") else _list_of(_DYN)
        assert isinstance(node, Call)
        return self.check_call(node)

    def check_call(self, node: Call) -> str:
        fn = node.function
        args = [self.check(a) for a in node.args]
        instance = node.target is not None
        if node.target is not None:
            args.insert(0, self.check(node.target))
        no_match = self.fail(
            node, f"found no matching overload for '{fn}' applied to '{_signature(args, instance)}'"
        )
        if fn in _BINARY_LOGIC:
            if not all(_accepts("bool", a) for a in args):
                raise no_match
            return "bool"
        if fn in _COMPARISONS:
            left, right = args
            if fn in ("_==_", "_!=_"):
                ok = _same(left, right)
            else:
                ok = (_DYN in (left, right) and {left, right} - {_DYN} <= _ORDERED) or (
                    (left == right and left in _ORDERED) or {left, right} <= _NUMBERS
                )
            if not ok:
                raise no_match
            return "bool"
        if fn == "@in":
            left, right = args
            if right == _DYN or (right.startswith("list(") and _same(left, _element(right))):
                return "bool"
            if right.startswith("map(") and _same(left, right[4:-1].split(", ", 1)[0]):
                return "bool"
            raise no_match
        if fn == "_[_]":
            container, key = args
            if container == _DYN:
                return _DYN
            if container.startswith("list(") and _accepts("int", key):
                return _element(container)
            if container.startswith("map("):
                key_type, value_type = container[4:-1].split(", ", 1)
                if _same(key_type, key):
                    return value_type
            raise no_match
        if fn == "_?_:_":
            if not _accepts("bool", args[0]) or not _same(args[1], args[2]):
                raise no_match
            return _join(args[1:])
        if (
            fn == "_+_"
            and all(a.startswith("list(") or a == _DYN for a in args)
            and any(a.startswith("list(") for a in args)
        ):
            return _join([a for a in args if a != _DYN]) if _same(*args) else _list_of(_DYN)
        overloads = _FUNCTIONS.get(fn)
        if overloads is None:
            raise self.fail(node, f"undeclared reference to '{fn}' (in container '')")
        results = [
            result
            for is_instance, params, result in overloads
            if is_instance == instance
            and len(params) == len(args)
            and all(_accepts(p, a) for p, a in zip(params, args, strict=True))
        ]
        if not results:
            raise no_match
        return _join(results)


# ---------------------------------------------------------------------------------------------
# what the server's translator to SQL refuses

_SQL_BINARY = _COMPARISONS | _BINARY_LOGIC | {"_+_", "_-_", "_*_", "_/_", "_%_", "@in"}
_SQL_FUNCTIONS = {"contains", "endsWith", "startsWith", "matches", "timestamp", "getDate",
                  "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getFullYear"}  # fmt: skip


def _unsupported(text: str, pos: int, what: str = "") -> CelFilterError:
    # The server's arithmetic: the line is right, the "column" is the offset in the whole text.
    line, offset = 0, 0
    for line_index, source_line in enumerate(text.split("\n")):
        offset += len(source_line) + 1
        line = line_index + 1
        if offset > pos:
            break
    return CelFilterError(f"unsupported CEL {what + ' ' if what else ''}statement at line {line}, "
                          f"column {pos}")  # fmt: skip


def _refuse_untranslatable(text: str, node: Node) -> None:
    """Walk the tree the way the server's translator does and raise where it gives up."""
    if isinstance(node, Const):
        if node.type == "bytes":
            raise _unsupported(text, node.pos, "constant")
    elif isinstance(node, Select):
        if node.test_only:
            raise _unsupported(text, node.pos, "`has` function")
        _refuse_untranslatable(text, node.operand)
    elif isinstance(node, ListLit):
        for element in node.elements:
            _refuse_untranslatable(text, element)
    elif isinstance(node, MapLit | Comprehension):
        raise _unsupported(text, node.pos)
    elif isinstance(node, Call):
        if node.function == "_[_]":
            container, key = node.args
            if not isinstance(container, Select | Ident):
                raise _unsupported(text, key.pos, "index")
            if not (isinstance(key, Const) and key.type in ("int", "string")):
                raise _unsupported(text, key.pos, "constant")
        elif node.function == "matches" and node.target is None:
            raise _unsupported(text, node.pos, "`matches` function")
        elif node.function not in _SQL_BINARY | {"!_"} | _SQL_FUNCTIONS:
            raise _unsupported(text, node.pos, f"`{node.function}` function")
        for part in (node.target, *node.args):
            if part is not None:
                _refuse_untranslatable(text, part)


# ---------------------------------------------------------------------------------------------
# evaluation with PostgreSQL's semantics

Row = Mapping[str, Any]
Evaluator = Callable[[Row], Any]

_TIMESTAMP_TEXT = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?)?"
    r"\s*(?:([Zz]|UTC)|([+-])(\d{1,2})(?::?(\d{2}))?)?\s*"
)


def parse_timestamp(text: str) -> datetime | None:
    """Read text the way ``::TIMESTAMP WITH TIME ZONE`` does (ISO forms, UTC session), or None.

    Fractions are rounded to microseconds like PostgreSQL; a missing zone means UTC.
    """
    match = _TIMESTAMP_TEXT.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0), tzinfo=UTC)  # fmt: skip
    except ValueError:
        return None
    if fraction:
        value += timedelta(microseconds=round(int(fraction) * 10 ** (6 - len(fraction))))
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        value -= offset if sign == "+" else -offset
    return value


def _json_text(value: Any) -> str | None:
    """What ``->>`` yields for a JSON value."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return _jsonb_text(value)


def _jsonb_text(value: Any) -> str:
    # jsonb prints keys shortest first, then bytewise, with ", " and ": " separators.
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        return "{" + ", ".join(f"{json.dumps(k)}: {_jsonb_text(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_jsonb_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def json_field(data: Any, path: tuple[str | int, ...]) -> str | None:
    """``data->'a'->0->>'b'``: string keys only enter objects, integer keys only arrays."""
    value = data
    for key in path:
        if isinstance(key, str) and isinstance(value, dict):
            value = value.get(key)
        elif isinstance(key, int) and isinstance(value, list) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return _json_text(value)


def _like(value: str, pattern: str) -> bool:
    regex: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise CelSqlFailure("LIKE pattern must not end with escape character")
            regex.append(re.escape(escaped))
        else:
            regex.append({"%": ".*", "_": "."}.get(ch) or re.escape(ch))
    return re.fullmatch("".join(regex), value, re.DOTALL) is not None


def _search(value: str, pattern: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error as e:
        raise CelSqlFailure(f"invalid regular expression: {e}") from e


def _to_timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_timestamp(str(value))
    if parsed is None:
        raise CelSqlFailure(f'invalid input syntax for type timestamp with time zone: "{value}"')
    return parsed


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if op == "_==_":
        return bool(a == b)
    if op == "_!=_":
        return bool(a != b)
    if op == "_<_":
        return bool(a < b)
    if op == "_<=_":
        return bool(a <= b)
    if op == "_>_":
        return bool(a > b)
    return bool(a >= b)


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if op == "_+_":
        result = a + b
    elif op == "_-_":
        result = a - b
    elif op == "_*_":
        result = a * b
    elif b == 0:
        raise CelSqlFailure("division by zero")
    elif isinstance(a, int) and isinstance(b, int):
        quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # truncates, like C
        result = quotient if op == "_/_" else a - b * quotient
    else:
        result = a / b
    if isinstance(result, int) and not -(2**63) <= result < 2**63:
        raise CelSqlFailure("bigint out of range")
    return result


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
        if fn in _BINARY_LOGIC:
            left, right = (self.boolean(a).evaluate for a in node.args)
            if fn == "_&&_":
                return _Sql("bool", lambda row: _and(left(row), right(row)))
            return _Sql("bool", lambda row: _or(left(row), right(row)))
        if fn in _COMPARISONS:
            left_sql, right_sql = self.coerced_pair(node.args[0], node.args[1])
            if not _comparable(left_sql.kind, right_sql.kind):
                raise CelSqlFailure(f"operator does not exist: {left_sql.kind} vs {right_sql.kind}")
            left, right = left_sql.evaluate, right_sql.evaluate
            return _Sql("bool", lambda row: _compare(fn, left(row), right(row)))
        if fn == "@in":
            return self.translate_in(node)
        if fn == "_+_" and "string" in (self.type_of(node.args[0]), self.type_of(node.args[1])):
            parts = [self.translate(leaf) for leaf in _concatenated(node)]
            return _Sql("text", lambda row: "".join(_concat_text(p.evaluate(row)) for p in parts))
        if fn in ("_+_", "_-_", "_*_", "_/_", "_%_"):
            left_sql, right_sql = (self.translate(a) for a in node.args)
            kinds = {left_sql.kind, right_sql.kind}
            if not kinds <= _NUMERIC_KINDS:
                raise CelSqlFailure(f"operator does not exist: {' vs '.join(sorted(kinds))}")
            left, right = left_sql.evaluate, right_sql.evaluate
            kind = "float" if "float" in kinds else "int"
            return _Sql(kind, lambda row: _arithmetic(fn, left(row), right(row)))
        if fn == "timestamp":
            return self.translate_timestamp(node.args[0])
        assert node.target is not None  # the remaining supported functions are methods
        target = self.translate(node.target)
        if fn in _TIME_GETTERS:
            return self.translate_getter(fn, target)
        argument = self.translate(node.args[0])
        if {target.kind, argument.kind} - {"text", "null"}:
            raise CelSqlFailure(f"function {fn} does not exist for {target.kind}")
        test = {"startsWith": lambda v, a: _like(v, a + "%"), "endsWith": lambda v, a: _like(
            v, "%" + a), "contains": lambda v, a: a in v, "matches": _search}[fn]  # fmt: skip
        of, arg = target.evaluate, argument.evaluate

        def evaluate(row: Row) -> bool | None:
            value, operand = of(row), arg(row)
            return None if value is None or operand is None else test(value, operand)

        return _Sql("bool", evaluate)

    def coerced_pair(self, left: Node, right: Node) -> tuple[_Sql, _Sql]:
        """A ``dyn`` operand beside a timestamp is cast to a timestamp (the server's coercion)."""
        left_sql, right_sql = self.translate(left), self.translate(right)
        if self.type_of(left) == _DYN and self.type_of(right) == _TS:
            left_sql = _cast_to_timestamp(left_sql)
        if self.type_of(right) == _DYN and self.type_of(left) == _TS:
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
            return _Sql("ts", _constant(_to_timestamp(argument.value)))
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
    return _Sql("ts", lambda row: _to_timestamp(value(row)))


def _concatenated(node: Node) -> list[Node]:
    if isinstance(node, Call) and node.function == "_+_":
        return [leaf for arg in node.args for leaf in _concatenated(arg)]
    return [node]


def _concat_text(value: Any) -> str:
    # CONCAT skips NULLs.
    return "" if value is None else str(value)


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


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
    checker = _Checker(text)
    result_type = checker.check(tree)
    if result_type not in ("bool", _DYN):
        raise CelFilterError(f"expected boolean expression, but got {result_type}")
    _refuse_untranslatable(text, tree)
    predicate = _Translator(checker.types).boolean(tree)
    return CelFilter(text, predicate.evaluate)
