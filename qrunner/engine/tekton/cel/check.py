"""Checking a CEL filter the way the Tekton Results server does before it runs one.

Two of the server's steps (see :mod:`qrunner.engine.tekton.cel.compile`), over a tree from
:mod:`qrunner.engine.tekton.cel.parse`:

* :class:`Checker` is cel-go's type checker for the records view: the filter's variables
  (:data:`VARIABLES`) and constants (:data:`CONSTANTS`), the overloads of every operator and
  function, and the server's error texts (``undeclared reference to ...``, ``found no matching
  overload for ...``). It records every node's type for the translation.
* :func:`refuse_untranslatable` walks the tree as the server's translator to SQL does and
  raises ``unsupported CEL ... statement`` where it gives up.
"""

from __future__ import annotations

from collections.abc import Mapping

from qrunner.engine.tekton.cel.nodes import (
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
)

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

TS = "google.protobuf.Timestamp"
_DUR = "google.protobuf.Duration"
DYN = "dyn"
_ANY = "*"


# ---------------------------------------------------------------------------------------------
# types, as cel-go's checker sees them

BINARY_LOGIC = {"_&&_", "_||_"}
COMPARISONS = {"_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_"}
_ORDERED = {"int", "uint", "double", "string", "bytes", "bool", TS, _DUR}
_NUMBERS = {"int", "uint", "double"}
_CLOCK_GETTERS = {"getHours", "getMinutes", "getSeconds", "getMilliseconds"}
TIME_GETTERS = {"getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate",
                "getDayOfWeek", *_CLOCK_GETTERS}  # fmt: skip
_SIZED = ("string", "bytes", "list", "map")
# (instance?, parameter types, result); "*" accepts anything, "list"/"map" any list/map.
_Overload = tuple[bool, tuple[str, ...], str]


def _same_types(*types: str) -> list[_Overload]:
    return [(False, (t, t), t) for t in types]


_FUNCTIONS: dict[str, list[_Overload]] = {
    "_+_": [
        *_same_types("int", "uint", "double", "string", "bytes"),
        *[(False, (TS, _DUR), TS), (False, (_DUR, TS), TS), (False, (_DUR, _DUR), _DUR)],
    ],
    "_-_": [
        *_same_types("int", "uint", "double"),
        *[(False, (TS, TS), _DUR), (False, (TS, _DUR), TS), (False, (_DUR, _DUR), _DUR)],
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
    "timestamp": [(False, (t,), TS) for t in ("string", "int", TS)],
    "duration": [(False, (t,), _DUR) for t in ("string", _DUR)],
    "string": [(False, (t,), "string") for t in (*_ORDERED,)],
    "int": [(False, (t,), "int") for t in ("int", "uint", "double", "string", TS)],
    "uint": [(False, (t,), "uint") for t in ("int", "uint", "double", "string")],
    "double": [(False, (t,), "double") for t in ("int", "uint", "double", "string")],
    "bytes": [(False, (t,), "bytes") for t in ("bytes", "string")],
    "bool": [(False, (t,), "bool") for t in ("bool", "string")],
    "dyn": [(False, (_ANY,), DYN)],
    "type": [(False, (_ANY,), "type")],
}
for _getter in TIME_GETTERS:
    _receivers = (TS, _DUR) if _getter in _CLOCK_GETTERS else (TS,)
    _FUNCTIONS[_getter] = [(True, (r,), "int") for r in _receivers] + [
        (True, (TS, "string"), "int")
    ]


def _list_of(element: str) -> str:
    return f"list({element})"


def _element(list_type: str) -> str:
    return list_type[len("list(") : -1]


def _accepts(param: str, arg: str) -> bool:
    if DYN in (param, arg) or param in (_ANY, arg):
        return True
    if param in ("list", "map"):
        return arg.startswith(param + "(")
    if param.startswith("list(") and arg.startswith("list("):
        return _accepts(_element(param), _element(arg))
    return False


def _same(a: str, b: str) -> bool:
    """Whether cel-go unifies two operand types (``_==_`` and friends take ``(A, A)``)."""
    if DYN in (a, b) or a == b:
        return True
    if a.startswith("list(") and b.startswith("list("):
        return _same(_element(a), _element(b))
    return a.startswith("map(") and b.startswith("map(")


def _join(types: list[str]) -> str:
    return types[0] if types and all(t == types[0] for t in types) else DYN


def _signature(types: list[str], instance: bool) -> str:
    if instance:
        return f"{types[0]}.({', '.join(types[1:])})"
    return f"({', '.join(types)})"


class Checker:
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
            if operand == DYN:
                return "bool" if node.test_only else DYN
            if operand.startswith("map("):
                return "bool" if node.test_only else operand[4:-1].split(", ", 1)[1]
            if operand == TS:
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
            return "bool" if node.macro in ("all", "exists", "exists_one") else _list_of(DYN)
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
        if fn in BINARY_LOGIC:
            if not all(_accepts("bool", a) for a in args):
                raise no_match
            return "bool"
        if fn in COMPARISONS:
            left, right = args
            if fn in ("_==_", "_!=_"):
                ok = _same(left, right)
            else:
                ok = (DYN in (left, right) and {left, right} - {DYN} <= _ORDERED) or (
                    (left == right and left in _ORDERED) or {left, right} <= _NUMBERS
                )
            if not ok:
                raise no_match
            return "bool"
        if fn == "@in":
            left, right = args
            if right == DYN or (right.startswith("list(") and _same(left, _element(right))):
                return "bool"
            if right.startswith("map(") and _same(left, right[4:-1].split(", ", 1)[0]):
                return "bool"
            raise no_match
        if fn == "_[_]":
            container, key = args
            if container == DYN:
                return DYN
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
            and all(a.startswith("list(") or a == DYN for a in args)
            and any(a.startswith("list(") for a in args)
        ):
            return _join([a for a in args if a != DYN]) if _same(*args) else _list_of(DYN)
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

_SQL_BINARY = COMPARISONS | BINARY_LOGIC | {"_+_", "_-_", "_*_", "_/_", "_%_", "@in"}
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


def refuse_untranslatable(text: str, node: Node) -> None:
    """Walk the tree the way the server's translator does and raise where it gives up."""
    if isinstance(node, Const):
        if node.type == "bytes":
            raise _unsupported(text, node.pos, "constant")
    elif isinstance(node, Select):
        if node.test_only:
            raise _unsupported(text, node.pos, "`has` function")
        refuse_untranslatable(text, node.operand)
    elif isinstance(node, ListLit):
        for element in node.elements:
            refuse_untranslatable(text, element)
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
                refuse_untranslatable(text, part)
