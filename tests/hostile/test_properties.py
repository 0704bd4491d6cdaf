"""Property tests: every parser, given random and adversarial text, answers or raises only its
documented error type — never a RecursionError, an OverflowError or a crash."""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrunner.engine.datadog.datemath import parse_instant, parse_interval
from qrunner.engine.datadog.search.nodes import SearchSyntaxError
from qrunner.engine.datadog.search.parse import parse_search
from qrunner.engine.tekton.cel.compile import compile_filter
from qrunner.engine.tekton.cel.nodes import CelFilterError
from qrunner.engine.tekton.cel.postgres import CelSqlFailure
from qrunner.errors import QueryError, SpecSyntaxError, UsageError
from qrunner.judge.expr import ExpressionError, evaluate_expression, parse_expression
from qrunner.judge.thresholds import ThresholdError, parse_condition
from qrunner.judge.units import Kind
from qrunner.spec.render import parse_at
from qrunner.spec.yamlsource import parse_yaml

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AT = datetime(2024, 5, 1, 6, tzinfo=UTC)


def _nested(alphabet: str, openers: str, closers: str, atoms: list[str]) -> st.SearchStrategy[str]:
    """Text built to go deep: random atoms wrapped in many openers and fewer closers."""
    return st.builds(
        lambda depth, atom, noise, close: openers * depth + atom + noise + closers * close,
        st.integers(0, 400),
        st.sampled_from(atoms),
        st.text(alphabet=alphabet, max_size=30),
        st.integers(0, 400),
    )


def _texts(alphabet: str, openers: str, closers: str, atoms: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=200),
        st.text(alphabet=alphabet, max_size=400),
        _nested(alphabet, openers, closers, atoms),
    )


@SETTINGS
@given(_texts("[]{}-:?&*!|>'\" \nab1.#", "[", "]", ["a", "- x", "{a: 1}", "&a x", "*a"]))
def test_yaml_raises_only_spec_syntax_errors(text: str) -> None:
    with contextlib.suppress(SpecSyntaxError):
        parse_yaml(text, "fuzz.yaml")


@SETTINGS
@given(_texts('()@:*?"\\-[]<>= ANDORTNab1.', "(", ")", ["a", "@a:b", "NOT a", "-a", '"x"']))
def test_search_raises_only_search_syntax_errors(text: str) -> None:
    with contextlib.suppress(SearchSyntaxError):
        parse_search(text)


@SETTINGS
@given(_texts("()[]{}.!-+*/%<>=&|?:'\"ab1 ", "(", ")", ["true", "1", "'x'", "data.a", "!x"]))
def test_cel_raises_only_filter_errors(text: str) -> None:
    with contextlib.suppress(CelFilterError, CelSqlFailure):
        compile_filter(text.strip())


@SETTINGS
@given(_texts("()+-*/. abc0123456789e", "(", ")", ["a", "1", "-a", "1e308", ".5"]))
def test_expressions_raise_only_expression_errors(text: str) -> None:
    try:
        node = parse_expression(text)
    except ExpressionError:
        return
    value = evaluate_expression(node, {"a": 1e308, "b": 0.0, "c": -1.0})
    assert value is None or isinstance(value, float)


_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**400), 10**400).map(str),
    st.sampled_from(["1e999", "-1e999", "nan", "inf", ".5", "1.", "1e-400"]),
)
_UNIT = st.sampled_from(["", "ns", "us", "ms", "s", "m", "h", "d", "%", "w", "x"])


@SETTINGS
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda op, n, u: f"{op} {n}{u}",
            st.sampled_from(["<", ">", "<=", ">=", "==", "!=", "=", "not", ""]),
            _NUMBER,
            _UNIT,
        ),
        st.builds(lambda a, b, u: f"{a}{u}..{b}{u}", _NUMBER, _NUMBER, _UNIT),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    st.sampled_from(list(Kind)),
    st.sampled_from([None, "ms", "s", "%", "h"]),
)
def test_thresholds_raise_only_threshold_errors_and_are_finite(
    raw: str | float, kind: Kind, unit: str | None
) -> None:
    try:
        resolved = parse_condition(raw).resolve(kind, unit)
    except ThresholdError:
        return
    assert math.isfinite(resolved.low)
    assert resolved.high is None or math.isfinite(resolved.high)


@SETTINGS
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda sign, n, unit, rnd: f"now{sign}{n}{unit}{rnd}",
            st.sampled_from(["-", "+", ""]),
            st.integers(0, 10**20),
            st.sampled_from(["s", "m", "h", "d", "w", "M", "y", "ms", "q"]),
            st.sampled_from(["", "/d", "/w", "/M", "/y", "/x"]),
        ),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**20), 10**20).map(str),
    )
)
def test_date_math_raises_only_query_errors(value: object) -> None:
    try:
        epoch_ms = parse_instant(value, at=AT)
    except QueryError:
        return
    assert isinstance(epoch_ms, int)


@SETTINGS
@given(st.one_of(st.text(max_size=30), st.integers(-(10**20), 10**20), st.floats()))
def test_intervals_raise_only_query_errors(value: object) -> None:
    with contextlib.suppress(QueryError):
        parse_interval(value)


@SETTINGS
@given(
    st.one_of(
        st.text(max_size=40),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.integers(-(10**15), 10**15).map(str),
    )
)
def test_at_raises_only_usage_errors(text: str) -> None:
    with contextlib.suppress(UsageError):
        parse_at(text)


_JINJA = st.lists(
    st.sampled_from(
        [
            "{{", "}}", "{%", "%}", " ", "x", "'ab'", "10", "**", "*", "~", "+", "%", "(", ")",
            "[", "]", "range(", "10**9", "for i in", "endfor", "macro m()", "endmacro", "m()",
            "set ns = namespace(a='x')", "ns.a", "|center(", "|list", "|join", "env", "now",
            "ago('7d')", ".__class__", "lipsum(", ",", "'%9999999d'", ".format(", "|replace('', ",
        ]
    ),
    max_size=25,
).map("".join)  # fmt: skip


@SETTINGS
@given(_JINJA)
def test_templates_raise_only_template_errors(source: str) -> None:
    from pathlib import Path

    from qrunner.errors import TemplateError
    from qrunner.spec.loader import LoadedSpec, validate_model
    from qrunner.spec.render import Renderer

    doc = parse_yaml(
        "version: 1\nname: fuzz\nsource: datadog.ci_tests\nrequest: {filter: {query: ''}}\n",
        "fuzz.yaml",
    )
    doc.data["request"]["filter"]["query"] = source
    spec, problems = validate_model(doc)
    assert not problems
    loaded = LoadedSpec(path=Path("fuzz.yaml"), display="fuzz.yaml", doc=doc, spec=spec)
    with contextlib.suppress(TemplateError):
        Renderer(at=AT, environ={"HOME": "/home/x"}).render(loaded)
