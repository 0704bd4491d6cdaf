"""Datadog search syntax → DuckDB predicate, judged by the rows it selects from a small table.

Every expected set of row ids below was worked out by hand from ``ROWS``; none comes from the
compiler under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import duckdb
import pytest

from qrunner.engine.base import Column
from qrunner.engine.datadog.search.nodes import (
    And,
    Attribute,
    Compare,
    Equals,
    Exists,
    FreeText,
    MatchAll,
    Not,
    Or,
    Range,
    SearchSyntaxError,
    Word,
)
from qrunner.engine.datadog.search.parse import parse_search
from qrunner.engine.datadog.search.sql import compile_search
from qrunner.errors import QueryError

# id, service, env, status, test_level, test, duration (ns), http, score, message
ROWS = """
(1, 'web', 'prod', 'ok', 'test', {'status': 'pass', 'name': 'test_login works', 'is_flaky': false},
 15000000, {'status_code': 200, 'url': 'https://x.io/api/v1'}, 1.5, 'Login OK'),
(2, 'web', 'staging', 'error', 'test',
 {'status': 'fail', 'name': 'test_logout_100%', 'is_flaky': true},
 250000000, {'status_code': 500, 'url': 'https://x.io/api/v2?a=b'}, -2, 'Connection reset by peer'),
(3, 'api', 'prod', 'error', 'suite', {'status': 'fail', 'name': 'suite_a', 'is_flaky': NULL},
 2000000000, {'status_code': 404, 'url': 'http://y.org/a_b'}, 0.25, 'It''s broken: see *logs*'),
(4, 'api', NULL, 'ok', 'test', {'status': 'skip', 'name': 'test_Quote "x"', 'is_flaky': false},
 60000000000, {'status_code': 301, 'url': 'https://x.io/redirect'}, 100, 'AND or OR'),
(5, 'worker', 'prod', NULL, 'session', NULL, NULL, NULL, NULL, NULL),
(6, 'Web', 'dev', 'warn', 'test', {'status': 'pass', 'name': 'test 200 ok', 'is_flaky': false},
 0, {'status_code': 200, 'url': 'https://x.io/api/v1?q=100%'}, 200, 'matched (paren) here'),
(7, 'we_b', 'prod', 'ok', 'module',
 {'status': 'pass', 'name': 'test_under_score', 'is_flaky': true},
 20000000, {'status_code': 299, 'url': NULL}, NULL, 'underscore'),
(8, '200', 'prod', 'ok', 'test', {'status': 'pass', 'name': 'test:colon', 'is_flaky': false},
 3600000000000, {'status_code': 200, 'url': 'https://x.io/a b'}, 99.5, 'back\\slash')
"""
ALL = set(range(1, 9))


class TableResolver:
    """The attributes of the test table, as the local engine's resolver would describe them."""

    reserved: ClassVar[dict[str, Column]] = {
        "service": Column("service", "string"),
        "env": Column("env", "string"),
        "status": Column("status", "string"),
        "test_level": Column("test_level", "string"),
    }
    custom: ClassVar[dict[str, Column]] = {
        "test.status": Column('"test"."status"', "string"),
        "test.name": Column('"test"."name"', "string"),
        "test.is_flaky": Column('"test"."is_flaky"', "boolean"),
        "duration": Column("duration", "number", duration_ns=True),
        "http.status_code": Column('"http"."status_code"', "number"),
        "http.url": Column('"http"."url"', "string"),
        "score": Column("score", "number"),
        "message": Column("message", "string"),
    }

    def resolve(self, name: str, *, reserved: bool) -> Column | None:
        return (self.reserved if reserved else self.custom).get(name)

    def free_text(self) -> list[Column]:
        return [self.custom["message"], self.custom["test.name"]]


@pytest.fixture(scope="module")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(
        """
        CREATE TABLE events (
            id INTEGER, service VARCHAR, env VARCHAR, status VARCHAR, test_level VARCHAR,
            test STRUCT(status VARCHAR, name VARCHAR, is_flaky BOOLEAN), duration BIGINT,
            http STRUCT(status_code INTEGER, url VARCHAR), score DOUBLE, message VARCHAR
        )"""
    )
    connection.execute(f"INSERT INTO events VALUES {ROWS}")
    yield connection
    connection.close()


def select_ids(db: duckdb.DuckDBPyConnection, query: str) -> set[int]:
    predicate = compile_search(query, TableResolver())
    rows = db.execute(f"SELECT id, {predicate} FROM events").fetchall()
    assert all(matched is not None for _, matched in rows), f"NULL from {predicate}"
    return {row_id for row_id, matched in rows if matched}


CASES = [
    # everything
    ("", ALL),
    ("*", ALL),
    ("   ", ALL),
    ("* AND service:api", {3, 4}),
    ("-*", set()),
    # reserved attributes, case-sensitive values
    ("service:web", {1, 2}),
    ("service:Web", {6}),
    ("env:prod", {1, 3, 5, 7, 8}),
    ("@service:web", set()),  # not a custom attribute in this data
    # boolean operators and precedence
    ("-env:prod", {2, 4, 6}),
    ("NOT env:prod", {2, 4, 6}),
    ("env:prod service:api", {3}),
    ("env:prod AND service:api", {3}),
    ("service:api OR service:worker", {3, 4, 5}),
    ("service:web OR service:api env:prod", {1, 2, 3}),
    ("service:web OR service:api AND env:prod", {1, 2, 3}),
    ("(service:web OR service:api) env:prod", {1, 3}),
    ("NOT service:web env:prod", {3, 5, 7, 8}),
    ("NOT NOT service:web", {1, 2}),
    ("-(service:web OR service:api)", {5, 6, 7, 8}),
    ("env:(prod OR staging) -status:ok", {2, 3, 5}),
    # value groups
    ("service:(web OR api)", {1, 2, 3, 4}),
    ("service:(web api)", set()),
    ("test_level:(suite OR module)", {3, 7}),
    ("@http.status_code:(200 OR >450)", {1, 2, 6, 8}),
    ("service:(web OR NOT api)", {1, 2, 5, 6, 7, 8}),
    # existence and missing attributes
    ("env:*", {1, 2, 3, 5, 6, 7, 8}),
    ("-env:*", {4}),
    ("@test.status:*", {1, 2, 3, 4, 6, 7, 8}),
    ("@missing:x", set()),
    ("-@missing:x", ALL),
    ("test.status:fail", set()),  # without '@' it is not a reserved attribute
    ("@test.status:fail", {2, 3}),
    ("@test.status:FAIL", set()),
    # booleans
    ("@test.is_flaky:true", {2, 7}),
    ("@test.is_flaky:false", {1, 4, 6, 8}),
    ("-@test.is_flaky:true", {1, 3, 4, 5, 6, 8}),
    ("@test.is_flaky:yes", set()),
    ("@test.is_flaky:>false", set()),
    # numbers, comparisons, ranges
    ("@http.status_code:200", {1, 6, 8}),
    ("@http.status_code:>=400", {2, 3}),
    ("@http.status_code:>299", {2, 3, 4}),
    ("@http.status_code:<300", {1, 6, 7, 8}),
    ("@http.status_code:<=200", {1, 6, 8}),
    ("@http.status_code:[200 TO 299]", {1, 6, 7, 8}),
    ("@http.status_code:{200 TO 404}", {4, 7}),
    ("@http.status_code:[200 TO 404}", {1, 4, 6, 7, 8}),
    ("@http.status_code:[300 TO *]", {2, 3, 4}),
    ("@http.status_code:[* TO 250]", {1, 6, 8}),
    ("@http.status_code:[* TO *]", {1, 2, 3, 4, 6, 7, 8}),
    ("@http.status_code:abc", set()),
    ("@http.status_code:2*", set()),
    ("@http.status_code:[a TO 300]", set()),
    ("-@http.status_code:abc", ALL),
    ("@score:-2", {2}),
    ("@score:<0", {2}),
    ("@score:>-2.5", {1, 2, 3, 4, 6, 8}),
    ("@score:[0.25 TO 99.5]", {1, 3, 8}),
    ("@score:0.25", {3}),
    ("@score:1e2", {4}),
    ("@score:<1ns", {2, 3}),  # a unit on a plain number column still means nanoseconds
    ('@score:"100"', {4}),
    # durations with units
    ("@duration:>20ms", {2, 3, 4, 8}),
    ("@duration:>=20ms", {2, 3, 4, 7, 8}),
    ("@duration:20000000", {7}),
    ("@duration:[1s TO 1m]", {3, 4}),
    ("@duration:[1s TO 1min]", {3, 4}),
    ("@duration:<1.5s", {1, 2, 6, 7}),
    ("@duration:>=1h", {8}),
    ("@duration:<100us", {6}),
    ("@duration:<100\u00b5s", {6}),
    ("@duration:>2d", set()),
    ("@duration:<1w", {1, 2, 3, 4, 6, 7, 8}),
    ("@duration:>5xyz", set()),
    # strings compare as strings, numbers in the query as their text
    ("service:>w", {1, 2, 5, 7}),
    ("service:200", {8}),
    ("service:[100 TO 300]", {8}),
    # wildcards, with % and _ escaped for LIKE
    ("service:w*", {1, 2, 5, 7}),
    ("service:we?", {1, 2}),
    ("service:we_*", {7}),
    ("service:*b", {1, 2, 6, 7}),
    ("@http.url:https\\://x.io/*", {1, 2, 4, 6, 8}),
    ("@http.url:*100%", {6}),
    ("@http.url:*a_b", {3}),
    ("@http.url:*\\?a=b", {2}),
    # quoting and escaping
    ('@http.url:"https://x.io/a b"', {8}),
    ("@http.url:https\\://x.io/a\\ b", {8}),
    ('@http.url:"https://x.io/*"', set()),
    ('@test.name:"test_Quote \\"x\\""', {4}),
    ('@test.name:test_Quote\\ \\"x\\"', {4}),
    ("@http.url:\"x' OR '1'='1\"", set()),
    ('"\'); DROP TABLE events; --"', set()),
    # free text: case-insensitive substrings over message and test.name
    ("login", {1}),
    ("LOGIN", {1}),
    ('"reset by"', {2}),
    ('"reset  by"', set()),
    ("test_*", {1, 2, 4, 7}),
    ("100%", {2}),
    ("o?t", {2}),
    ('"*logs*"', {3}),
    ("\\*logs\\*", {3}),
    ('"it\'s"', {3}),
    ("and", {4}),
    ("login or works", {1}),  # lowercase 'or' is a term
    ("\\(paren\\)", {6}),
    ('"(paren)"', {6}),
    ("test\\:colon", {8}),
    ("back\\\\slash", {8}),
    ("NOT login", {2, 3, 4, 5, 6, 7, 8}),
    ('-"reset by"', {1, 3, 4, 5, 6, 7, 8}),
    ("test_* @test.status:pass", {1, 7}),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[case[0] or "<empty>" for case in CASES])
def test_query_selects_rows(db: duckdb.DuckDBPyConnection, query: str, expected: set[int]) -> None:
    assert select_ids(db, query) == expected


def test_table_is_intact_after_injection_attempts(db: duckdb.DuckDBPyConnection) -> None:
    select_ids(db, '@http.url:"x\'); DROP TABLE events; --"')
    assert db.execute("SELECT count(*) FROM events").fetchone() == (8,)


def test_free_text_without_columns_matches_nothing(db: duckdb.DuckDBPyConnection) -> None:
    class NoText(TableResolver):
        def free_text(self) -> list[Column]:
            return []

    assert compile_search("login", NoText()) == "false"


MALFORMED = [
    ("@a:b OR (c))", 11, "unexpected ')'"),
    ("(a OR b", 0, "unclosed '('"),
    ("service:(web", 8, "unclosed '('"),
    ("service:(web OR", 13, "missing term after 'OR'"),
    ("a AND", 2, "missing term after 'AND'"),
    ("OR a", 0, "unexpected 'OR'"),
    ("a OR OR b", 5, "unexpected 'OR'"),
    ("NOT", 0, "missing term after 'NOT'"),
    ("a -", 2, "missing term after '-'"),
    ("()", 1, "unexpected ')'"),
    ("@a:", 3, "missing value after '@a:'"),
    ("@a: b", 3, "missing value after '@a:'"),
    ("@a:>", 4, "missing value after '>'"),
    ("@a:>= 5", 5, "missing value after '>='"),
    ("@:x", 0, "missing attribute name before ':'"),
    ('"abc', 0, "unclosed '\"'"),
    ('a "b\\"', 2, "unclosed '\"'"),
    ("@a:[1 TO 2", 3, "unclosed '['"),
    ("@a:[1 2]", 6, "expected 'TO' in range"),
    ("@a:[1 TO ]", 9, "missing upper bound of range"),
    ("@a:[ TO 2]", 5, "missing lower bound of range"),
    ("@a:[1 TO 2 3]", 11, "expected ']' or '}' to close range"),
    ("a\\", 1, "nothing to escape after '\\'"),
]


@pytest.mark.parametrize(("query", "position", "problem"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_query_says_where(query: str, position: int, problem: str) -> None:
    with pytest.raises(SearchSyntaxError) as caught:
        parse_search(query)
    assert (caught.value.position, caught.value.problem) == (position, problem)
    assert caught.value.query == query


@pytest.mark.parametrize(
    "query", ["(" * 200 + "a" + ")" * 200, "NOT " * 100 + "a", "-" * 100 + "a"]
)
def test_deep_nesting_is_a_syntax_error(query: str) -> None:
    with pytest.raises(SearchSyntaxError, match="nested"):
        parse_search(query)


def test_nesting_within_the_limit_compiles(db: duckdb.DuckDBPyConnection) -> None:
    assert select_ids(db, "(" * 40 + "service:web" + ")" * 40) == {1, 2}


def test_error_message_shows_the_query_and_a_caret() -> None:
    with pytest.raises(QueryError) as caught:
        compile_search("@a:b OR (c))", TableResolver())
    assert str(caught.value) == (
        "invalid search query: unexpected ')' at column 11\n  @a:b OR (c))\n             ^"
    )


def test_caret_line_stays_aligned_for_multiline_queries() -> None:
    with pytest.raises(SearchSyntaxError) as caught:
        parse_search("a\nAND")
    assert str(caught.value).splitlines()[1:] == ["  a AND", "    ^"]


def word(text: str, *wildcards: int, quoted: bool = False) -> Word:
    return Word(text, tuple(wildcards), quoted)


def term(text: str, *wildcards: int) -> FreeText:
    return FreeText(word(text, *wildcards))


AST_CASES = [
    ("", MatchAll()),
    ("a b OR c", Or((And((term("a"), term("b"))), term("c")))),
    ("NOT a AND b", And((Not(term("a")), term("b")))),
    ("-@a:b", Not(Attribute("a", False, Equals(word("b"))))),
    ("@a:*", Attribute("a", False, Exists())),
    (
        "service:(web OR api)",
        Or(
            (
                Attribute("service", True, Equals(word("web"))),
                Attribute("service", True, Equals(word("api"))),
            )
        ),
    ),
    ("@r:[1 TO *}", Attribute("r", False, Range(word("1"), None, True, False))),
    ("@d:>=20ms", Attribute("d", False, Compare(">=", word("20ms")))),
    ("@n:-5", Attribute("n", False, Equals(word("-5")))),
    (
        '"x \\" y*" fo?o*',
        And((FreeText(word('x " y*', quoted=True)), term("fo?o*", 2, 4))),
    ),
    ("@u:https\\://x\\*", Attribute("u", False, Equals(word("https://x*")))),
    ("ANDROID and", And((term("ANDROID"), term("and")))),
]


@pytest.mark.parametrize(("query", "tree"), AST_CASES, ids=[c[0] or "<empty>" for c in AST_CASES])
def test_parse_search_builds_the_tree(query: str, tree: object) -> None:
    assert parse_search(query) == tree


def test_parse_search_is_cached() -> None:
    assert parse_search("service:web @a:>1") is parse_search("service:web @a:>1")
