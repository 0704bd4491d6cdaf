"""The CEL subset: parser, checker messages, translation refusals and SQL-like evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from qrunner.engine.tekton.cel.compile import (
    CelFilterError,
    CelSqlFailure,
    compile_filter,
    parse_timestamp,
)
from qrunner.engine.tekton.cel.nodes import Call, Const, Ident, Select
from qrunner.engine.tekton.cel.parse import parse_cel

ROW: dict[str, Any] = {
    "parent": "ns",
    "result_name": "r",
    "name": "id1",
    "data_type": "tekton.dev/v1.PipelineRun",
    "data": {"metadata": {"labels": {"a": "b"}}, "status": {"n": 5, "ok": True, "list": [1, 2]}},
}


def matches(text: str) -> bool:
    return compile_filter(text).matches(ROW)


def test_parser_precedence_and_positions() -> None:
    tree = parse_cel("a || b && c == 'x'")
    assert isinstance(tree, Call) and tree.function == "_||_" and tree.pos == 2
    right = tree.args[1]
    assert isinstance(right, Call) and right.function == "_&&_" and right.pos == 7
    select = parse_cel("data.x")
    assert isinstance(select, Select) and select.pos == 4 and isinstance(select.operand, Ident)
    negative = parse_cel("-5")
    assert isinstance(negative, Const) and negative.value == -5


def test_parser_string_literals() -> None:
    for text, value in [
        ("'a\\'b'", "a'b"),
        ('"x\\ny"', "x\ny"),
        ("r'\\d'", "\\d"),
        ("'''multi'''", "multi"),
        ("'\\u00e9'", "é"),
    ]:
        node = parse_cel(text)
        assert isinstance(node, Const) and node.value == value, text


@pytest.mark.parametrize("text", ["1 +", "name ==", "(name", "'open", "name # 1", "if == 1"])
def test_syntax_errors_are_compile_errors(text: str) -> None:
    with pytest.raises(CelFilterError) as info:
        compile_filter(text)
    assert info.value.message.startswith("error compiling CEL filters: ERROR: <input>:1:")


def test_compile_error_shows_the_line_and_a_caret() -> None:
    with pytest.raises(CelFilterError) as info:
        compile_filter("name == 1")
    assert info.value.message == (
        "error compiling CEL filters: ERROR: <input>:1:6: found no matching overload for "
        "'_==_' applied to '(string, int)'\n | name == 1\n | .....^"
    )


def test_unsupported_statement_reports_offset_as_column_on_later_lines() -> None:
    with pytest.raises(CelFilterError) as info:
        compile_filter("name == 'a' &&\nsize(name) > 1")
    # "size(" starts line 2; its "(" is at offset 15 + 4 = 19 in the whole text.
    assert info.value.message == "unsupported CEL `size` function statement at line 2, column 19"


def test_other_unsupported_constructs() -> None:
    for text, message in [
        ("[1].exists(x, x > 0)", "unsupported CEL statement at line 1, column 10"),
        ("{'a': 1}['a'] == 1", "unsupported CEL index statement at line 1, column 9"),
        (
            "name == 'a' ? true : false",
            "unsupported CEL `_?_:_` function statement at line 1, column 12",
        ),
        ("data['a']['b'] == 'c'", "unsupported CEL index statement at line 1, column 10"),
    ]:
        with pytest.raises(CelFilterError) as info:
            compile_filter(text)
        assert info.value.message == message, text


def test_type_errors() -> None:
    for text in ["name.startsWith(1)", "name > 1", "name[0] == 'a'", "name.x == 'a'"]:
        with pytest.raises(CelFilterError) as info:
            compile_filter(text)
        assert info.value.message.startswith("error compiling CEL filters: "), text
    with pytest.raises(CelFilterError) as info:
        compile_filter("timestamp('2024-01-01T00:00:00Z')")
    assert info.value.message == "expected boolean expression, but got google.protobuf.Timestamp"


def test_dyn_filter_passes_the_boolean_check_but_fails_in_sql() -> None:
    with pytest.raises(CelSqlFailure):
        compile_filter("data.status.ok")  # WHERE of text


def test_json_fields_are_text() -> None:
    assert matches("data.status.n == '5'")
    assert matches("data.status.ok == 'true'")
    assert matches("data.status.list == '[1, 2]'")
    assert matches("data.status.list[1] == '2'")
    assert not matches("data.status.list['1'] == '2'")  # a string key never enters an array
    with pytest.raises(CelSqlFailure):
        compile_filter("data.status.n == 5")


def test_missing_fields_are_null_and_three_valued() -> None:
    assert not matches("data.nothing == 'x'")
    assert not matches("data.nothing != 'x'")
    assert not matches("!(data.nothing == 'x')")
    assert matches("data.nothing == 'x' || name == 'id1'")
    assert not matches("data.nothing == 'x' && name == 'id1'")
    assert matches("data.nothing + 'x' == 'x'")  # CONCAT drops NULL


def test_like_wildcards_leak_into_starts_with_as_on_the_server() -> None:
    assert matches("name.startsWith('i_')")
    assert matches("name.endsWith('%1')")
    assert not matches("name.contains('_')")


def test_in_and_arithmetic() -> None:
    assert matches("'b' in [data.metadata.labels.a, 'z']")
    assert matches("1 + 2 * 3 == 7 && 7 / 2 == 3 && -7 % 3 == -1")
    with pytest.raises(CelSqlFailure):
        compile_filter("1 / 0 == 1").matches(ROW)


def test_invalid_timestamp_literal_fails_in_sql_even_without_records() -> None:
    with pytest.raises(CelSqlFailure):
        compile_filter("timestamp('yesterday') < timestamp('2024-01-01T00:00:00Z')")


def test_parse_timestamp_forms() -> None:
    assert parse_timestamp("2024-01-01T10:00:00+02:00") == parse_timestamp("2024-01-01 08:00:00")
    moment = parse_timestamp("2024-01-01T00:00:00.1234567Z")
    assert moment is not None and moment.microsecond == 123457
    assert parse_timestamp("2024-02-30T00:00:00Z") is None
    assert parse_timestamp("soon") is None
