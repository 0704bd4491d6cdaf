"""CEL syntax: text → tree, with cel-go's positions and error texts.

Positions follow cel-go: an identifier or literal sits at its first character, an operator at its
symbol, a field selection at its ``.``, an index at its ``[``, and a call at its ``(`` (which is
where the Tekton server points when it rejects a function).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qrunner.engine.tekton.cel.nodes import (
    Call,
    Comprehension,
    Const,
    Ident,
    ListLit,
    MapLit,
    Node,
    Select,
    compile_error,
)
from qrunner.limits import MAX_NESTING, MAX_QUERY_CHARS, tree_depth_exceeds


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "int" "uint" "double" "string" "bytes" "ident" "eof" or the operator itself
    text: str
    pos: int
    value: Any = None


_RESERVED = frozenset(
    {"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
     "loop", "package", "namespace", "return", "var", "void", "while"}
)  # fmt: skip
# Longest first, so that "<=" is not read as "<" then "=".
_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "(",
              ")", "[", "]", "{", "}", ".", ",", "?", ":")  # fmt: skip
_NUMBER = re.compile(
    r"0[xX](?P<hex>[0-9a-fA-F]+)(?P<hexu>[uU])?"
    r"|(?P<double>\d*\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)"
    r"|(?P<int>\d+)(?P<intu>[uU])?"
)
_DIGITS = frozenset("0123456789")
_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_STRING_START = re.compile(r"([rR]?[bB]?|[bB][rR])('''|\"\"\"|'|\")")
_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?",
}  # fmt: skip
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\n\r\f":
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        string_match = _STRING_START.match(text, i)
        if string_match:
            token, i = _read_string(text, i, string_match.group(1).lower(), string_match.group(2))
            tokens.append(token)
            continue
        # ASCII digits only: "²".isdigit() is true, but CEL numbers are 0-9
        if ch in _DIGITS or (ch == "." and i + 1 < len(text) and text[i + 1] in _DIGITS):
            token, i = _read_number(text, i)
            tokens.append(token)
            continue
        ident = _IDENT.match(text, i)
        if ident:
            word = ident.group()
            kind = {"true": "bool", "false": "bool", "null": "null", "in": "in"}.get(word, "ident")
            value: Any = {"true": True, "false": False}.get(word)
            tokens.append(_Token(kind, word, i, value))
            i = ident.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(_Token(op, op, i))
                i += len(op)
                break
        else:
            raise compile_error(text, i, f"Syntax error: token recognition error at: '{ch}'")
    tokens.append(_Token("eof", "<EOF>", len(text)))
    return tokens


def _read_number(text: str, i: int) -> tuple[_Token, int]:
    match = _NUMBER.match(text, i)
    assert match is not None  # called on a digit or ".digit"
    raw = match.group()
    if match.group("double") is not None:
        return _Token("double", raw, i, float(raw)), match.end()
    digits, base, unsigned = (
        (match.group("hex"), 16, match.group("hexu"))
        if match.group("hex") is not None
        else (match.group("int"), 10, match.group("intu"))
    )
    value = int(digits, base)
    if value > (_UINT64_MAX if unsigned else _INT64_MAX + 1):
        raise compile_error(text, i, f"invalid {'uint' if unsigned else 'int'} literal")
    return _Token("uint" if unsigned else "int", raw, i, value), match.end()


def _read_string(text: str, start: int, prefix: str, quote: str) -> tuple[_Token, int]:
    raw, is_bytes = "r" in prefix, "b" in prefix
    i = start + len(prefix) + len(quote)
    out: list[str] = []
    while True:
        if i >= len(text) or (len(quote) == 1 and text[i] == "\n"):
            raise compile_error(text, start, "Syntax error: token recognition error at: "
                                 f"'{text[start:i + 1]}'")  # fmt: skip
        if text.startswith(quote, i):
            i += len(quote)
            break
        ch = text[i]
        if ch == "\\" and not raw and i + 1 < len(text):
            esc = text[i + 1]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i += 2
            elif esc in "xuU":
                width = {"x": 2, "u": 4, "U": 8}[esc]
                digits = text[i + 2 : i + 2 + width]
                if not re.fullmatch(rf"[0-9a-fA-F]{{{width}}}", digits):
                    raise compile_error(text, i, "Syntax error: invalid escape sequence")
                out.append(chr(int(digits, 16)))
                i += 2 + width
            elif re.fullmatch(r"[0-3][0-7][0-7]", text[i + 1 : i + 4]):
                out.append(chr(int(text[i + 1 : i + 4], 8)))
                i += 4
            else:
                raise compile_error(text, i, "Syntax error: invalid escape sequence")
            continue
        out.append(ch)
        i += 1
    value = "".join(out)
    if is_bytes:
        return _Token("bytes", text[start:i], start, value.encode("utf-8")), i
    return _Token("string", text[start:i], start, value), i


_RELATIONS = {
    "<": "_<_", "<=": "_<=_", ">": "_>_", ">=": "_>=_", "==": "_==_", "!=": "_!=_", "in": "@in",
}  # fmt: skip
_ADDITIONS = {"+": "_+_", "-": "_-_"}
_MULTIPLICATIONS = {"*": "_*_", "/": "_/_", "%": "_%_"}
_BINARY_LEVELS: tuple[dict[str, str], ...] = (
    {"||": "_||_"},
    {"&&": "_&&_"},
    _RELATIONS,
    _ADDITIONS,
    _MULTIPLICATIONS,
)
_COMPREHENSIONS = frozenset({"all", "exists", "exists_one", "map", "filter"})


class _Parser:
    """Recursive descent over CEL's grammar (cel-spec ``langdef.md``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, kind: str) -> _Token:
        if self.tok.kind != kind:
            self.fail(f"mismatched input '{self.tok.text}' expecting '{kind}'")
        return self.advance()

    def fail(self, message: str, pos: int | None = None) -> None:
        raise compile_error(self.text, self.tok.pos if pos is None else pos,
                             f"Syntax error: {message}")  # fmt: skip

    def parse(self) -> Node:
        node = self.expr()
        if self.tok.kind != "eof":
            self.fail(f"extraneous input '{self.tok.text}' expecting <EOF>")
        return node

    def expr(self) -> Node:
        # Every nested construct (parentheses, arguments, lists, ternaries) recurses through
        # here; bound it before Python's stack is.
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                self.fail(f"expression nested more than {MAX_NESTING} levels deep")
            return self._expr()
        finally:
            self.depth -= 1

    def _expr(self) -> Node:
        cond = self.binary_left()
        if self.tok.kind != "?":
            return cond
        op = self.advance()
        then = self.binary_left()
        self.expect(":")
        otherwise = self.expr()
        return Call(op.pos, "_?_:_", None, (cond, then, otherwise))

    def binary_left(self, level: int = 0) -> Node:
        """Left-associative levels, loosest first: ``||``, ``&&``, relations, ``+ -``, ``* / %``."""
        operators = _BINARY_LEVELS[level]
        node = self.unary() if level == len(_BINARY_LEVELS) - 1 else self.binary_left(level + 1)
        while self.tok.kind in operators:
            op = self.advance()
            right = (
                self.unary() if level == len(_BINARY_LEVELS) - 1 else self.binary_left(level + 1)
            )
            node = Call(op.pos, operators[op.kind], None, (node, right))
        return node

    def unary(self) -> Node:
        if self.tok.kind == "!":
            ops = []
            while self.tok.kind == "!":
                ops.append(self.advance())
            operand = self.member()
            return Call(ops[0].pos, "!_", None, (operand,)) if len(ops) % 2 else operand
        if self.tok.kind == "-":
            ops = []
            while self.tok.kind == "-":
                ops.append(self.advance())
            if len(ops) == 1 and self.tok.kind in ("int", "double"):
                lit = self.advance()
                value = -lit.value
                if lit.kind == "int" and value < -_INT64_MAX - 1:
                    self.fail("invalid int literal", lit.pos)
                return self.member_suffixes(Const(ops[0].pos, value, lit.kind))
            operand = self.member()
            return Call(ops[0].pos, "-_", None, (operand,)) if len(ops) % 2 else operand
        return self.member()

    def member(self) -> Node:
        return self.member_suffixes(self.primary())

    def member_suffixes(self, node: Node) -> Node:
        while True:
            if self.tok.kind == ".":
                dot = self.advance()
                name = self.expect("ident") if self.tok.kind != "in" else self.advance()
                if self.tok.kind == "(":
                    open_paren = self.advance()
                    args = self.arguments(")")
                    node = self.receiver_call(open_paren.pos, name.text, node, args)
                else:
                    node = Select(dot.pos, node, name.text)
            elif self.tok.kind == "[":
                bracket = self.advance()
                index = self.expr()
                self.expect("]")
                node = Call(bracket.pos, "_[_]", None, (node, index))
            else:
                return node

    def receiver_call(self, pos: int, name: str, target: Node, args: list[Node]) -> Node:
        if name in _COMPREHENSIONS and args and isinstance(args[0], Ident):
            return Comprehension(pos, name, target)
        return Call(pos, name, target, tuple(args))

    def arguments(self, close: str) -> list[Node]:
        args: list[Node] = []
        while self.tok.kind != close:
            args.append(self.expr())
            if self.tok.kind != ",":
                break
            self.advance()
        self.expect(close)
        return args

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "." and self.tokens[self.i + 1].kind == "ident":
            self.advance()
            return self.identifier_or_call(self.advance(), leading_dot=True)
        if tok.kind == "ident":
            return self.identifier_or_call(self.advance())
        if tok.kind == "(":
            self.advance()
            node = self.expr()
            self.expect(")")
            return node
        if tok.kind == "[":
            self.advance()
            return ListLit(tok.pos, tuple(self.arguments("]")))
        if tok.kind == "{":
            self.advance()
            entries: list[tuple[Node, Node]] = []
            while self.tok.kind != "}":
                key = self.expr()
                self.expect(":")
                entries.append((key, self.expr()))
                if self.tok.kind != ",":
                    break
                self.advance()
            self.expect("}")
            return MapLit(tok.pos, tuple(entries))
        if tok.kind in ("int", "uint", "double", "string", "bytes", "bool", "null"):
            self.advance()
            return Const(tok.pos, tok.value, tok.kind)
        self.fail(f"mismatched input '{tok.text}' expecting <expression>")
        raise AssertionError("unreachable")

    def identifier_or_call(self, ident: _Token, leading_dot: bool = False) -> Node:
        if ident.text in _RESERVED:
            self.fail(f"reserved identifier: {ident.text}", ident.pos)
        name = ("." if leading_dot else "") + ident.text
        if self.tok.kind != "(":
            return Ident(ident.pos, name)
        open_paren = self.advance()
        args = self.arguments(")")
        if name == "has":
            if len(args) != 1 or not isinstance(args[0], Select):
                self.fail("invalid argument to has() macro", open_paren.pos)
            arg = args[0]
            assert isinstance(arg, Select)
            return Select(open_paren.pos, arg.operand, arg.field, test_only=True)
        return Call(open_paren.pos, name, None, tuple(args))


def parse_cel(text: str) -> Node:
    """Parse a CEL expression; raise :class:`CelFilterError` for syntax errors and for filters
    past qrunner's limits (length, depth)."""
    if len(text) > MAX_QUERY_CHARS:
        raise compile_error(text, 0, f"filter longer than {MAX_QUERY_CHARS} characters")
    node = _Parser(text).parse()
    # depth needs at least one token per level: short filters cannot be too deep
    if len(text) > MAX_NESTING and tree_depth_exceeds(node, MAX_NESTING):
        raise compile_error(text, 0, f"expression nested more than {MAX_NESTING} levels deep")
    return node
