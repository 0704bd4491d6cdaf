"""Units, threshold syntax and the expression parser."""

from __future__ import annotations

import pytest

from qrunner.judge.expr import (
    ExpressionError,
    evaluate_expression,
    free_names,
    infer_kind,
    parse_expression,
)
from qrunner.judge.thresholds import ThresholdError, parse_condition
from qrunner.judge.units import Kind, format_duration, format_quantity, parse_pg_interval


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:01", 1.0),
        ("00:00:01.5", 1.5),
        ("16:20:00.333333", 58800.333333),
        ("1 day", 86400.0),
        ("1 day 01:00:00", 90000.0),
        ("2 days 02:05:25", 2 * 86400 + 7525.0),
        ("40:00:00", 144000.0),
        ("1 day 24:00:00", 172800.0),
        ("-00:00:05", -5.0),
        ("-1 days +02:00:00", -79200.0),
        ("1 mon 2 days", 32 * 86400.0),
    ],
)
def test_parse_pg_interval(text: str, seconds: float) -> None:
    assert parse_pg_interval(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "1:2", "1 fortnight", "00:00:01 extra"])
def test_parse_pg_interval_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pg_interval(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (236.880835985, "3.9m"),
        (0.25, "250ms"),
        (12.5, "12.5s"),
        (0, "0s"),
        (5e-9, "5ns"),
        (4e-5, "40us"),
        (5400, "1.5h"),
        (172800, "2d"),
        (-5, "-5s"),
        (150, "2.5m"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (None, "s", "-"),
        (250, "ms", "250ms"),
        (3.5, "%", "3.5%"),
        (12.0, None, "12"),
        (0.123456, None, "0.1235"),
        (100.0, "%", "100%"),
    ],
)
def test_format_quantity(value: float | None, unit: str | None, text: str) -> None:
    assert format_quantity(value, unit) == text


# (threshold, kind, unit, value in base units, triggers?)
CONDITIONS = [
    ("> 5", Kind.COUNT, None, 6, True),
    ("> 5", Kind.COUNT, None, 5, False),
    (">= 5", Kind.COUNT, None, 5, True),
    ("< 5", Kind.COUNT, None, 4, True),
    ("< 5", Kind.COUNT, None, 5, False),
    ("<= 5", Kind.COUNT, None, 5, True),
    ("== 0", Kind.COUNT, None, 0, True),
    ("== 0", Kind.COUNT, None, 1, False),
    ("!= 0", Kind.COUNT, None, 1, True),
    ("!= 0", Kind.COUNT, None, 0, False),
    ("10..20", Kind.COUNT, None, 10, True),
    ("10..20", Kind.COUNT, None, 20, True),
    ("10..20", Kind.COUNT, None, 21, False),
    ("not 10..20", Kind.COUNT, None, 21, True),
    ("not 10..20", Kind.COUNT, None, 15, False),
    ("-5..-1", Kind.NUMBER, None, -3, True),
    ("> -3", Kind.NUMBER, None, -2, True),
    (5, Kind.COUNT, None, 5, True),  # a bare number means >= number
    (5.0, Kind.COUNT, None, 4.9, False),
    ("7", Kind.COUNT, None, 7, True),
    ("> 300ms", Kind.DURATION, None, 0.301, True),
    ("> 300ms", Kind.DURATION, None, 0.3, False),
    ("== 0.3s", Kind.DURATION, None, 0.1 + 0.2, True),  # float noise tolerated
    ("> 5m", Kind.DURATION, None, 301, True),
    ("> 1h", Kind.DURATION, None, 3599, False),
    ("> 1d", Kind.DURATION, None, 86401, True),
    ("> 500us", Kind.DURATION, None, 0.0006, True),
    ("> 100ns", Kind.DURATION, None, 1e-7, False),
    ("1s..2s", Kind.DURATION, None, 1.5, True),
    ("> 300", Kind.DURATION, "ms", 0.301, True),  # bare number read in the check's unit
    ("< 95%", Kind.RATIO, None, 0.94, True),
    ("< 95%", Kind.RATIO, None, 0.95, False),
    ("> 0.05", Kind.RATIO, None, 0.06, True),  # a ratio's bare number is a fraction
    ("> 5", Kind.RATIO, "%", 0.06, True),  # ... or a percent with unit: %
]


@pytest.mark.parametrize(("raw", "kind", "unit", "value", "expected"), CONDITIONS)
def test_condition_triggers(
    raw: str | float, kind: Kind, unit: str | None, value: float, expected: bool
) -> None:
    assert parse_condition(raw).resolve(kind, unit).triggers(value) is expected


@pytest.mark.parametrize(
    ("raw", "kind", "message"),
    [
        ("> 5ms", Kind.COUNT, "can't apply to a count"),
        ("> 5%", Kind.DURATION, "% applies to ratios"),
        ("> 5%", Kind.COUNT, "% applies to ratios"),
        ("> 300", Kind.DURATION, "needs a unit"),
        ("20..10", Kind.COUNT, "is empty"),
        ("> 5 apples", Kind.COUNT, "not a number"),
        ("=> 5", Kind.COUNT, "unknown operator"),
        ("not 5", Kind.COUNT, "must be followed by a range"),
        ("", Kind.COUNT, "empty threshold"),
        ("soon", Kind.COUNT, "cannot read threshold"),
        (float("nan"), Kind.COUNT, "not a finite number"),
    ],
)
def test_condition_errors(raw: str | float, kind: Kind, message: str) -> None:
    with pytest.raises(ThresholdError, match=message):
        parse_condition(raw).resolve(kind, None)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (">5", "> 5"),
        ("  <= 300ms ", "<= 300ms"),
        (3, ">= 3"),
        ("1..2.5", "1..2.5"),
        ("not 1..2", "not 1..2"),
        ("< 95%", "< 95%"),
    ],
)
def test_condition_text_is_normalised(raw: str | float, text: str) -> None:
    assert str(parse_condition(raw)) == text


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("failed / total", {"failed": 1, "total": 4}, 0.25),
        ("(c1 - c0) / c0 * 100", {"c0": 2, "c1": 3}, 50.0),
        ("-c0 + 2 * 3", {"c0": 1}, 5.0),
        ("--c0", {"c0": 1}, 1.0),
        ("+c0", {"c0": 1}, 1.0),
        ("1 - 2 - 3", {}, -4.0),
        ("8 / 4 / 2", {}, 1.0),
        ("1.5e2 + .5", {}, 150.5),
        ("a / b", {"a": 1, "b": 0}, None),
        ("a + b", {"a": 1, "b": None}, None),
        ("a + missing", {"a": 1}, None),
    ],
)
def test_evaluate_expression(
    text: str, values: dict[str, float | None], expected: float | None
) -> None:
    assert evaluate_expression(parse_expression(text), values) == expected


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("a +", 4),
        ("(a", 3),
        ("a b", 3),
        ("a ** b", 4),
        ("__import__('os')", 12),
        ("a; b", 2),
        (")", 1),
    ],
)
def test_expression_errors_name_the_column(text: str, column: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert info.value.position + 1 == column


def test_free_names_in_order() -> None:
    assert free_names(parse_expression("b / (a + b) - c")) == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("failed / total", Kind.RATIO),
        ("d / d", Kind.RATIO),
        ("d / failed", Kind.DURATION),
        ("d - d", Kind.DURATION),
        ("failed + total", Kind.COUNT),
        ("failed * 2", Kind.COUNT),
        ("failed / total * 100", Kind.NUMBER),
        ("(d - d) / d", Kind.RATIO),
        ("d + failed", Kind.NUMBER),
        ("-d", Kind.DURATION),
        ("2 * d", Kind.DURATION),
        ("d * d", Kind.NUMBER),
        ("failed / 2", Kind.COUNT),
        ("failed / d", Kind.NUMBER),
    ],
)
def test_infer_kind(text: str, kind: Kind) -> None:
    kinds = {"failed": Kind.COUNT, "total": Kind.COUNT, "d": Kind.DURATION}
    assert infer_kind(parse_expression(text), kinds) is kind
