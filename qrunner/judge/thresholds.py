"""Threshold conditions: ``fail: "> 5m"``, ``warn: "not 10..20"``, ``fail: 3``.

A condition says when its level *triggers*:

* comparisons ``<  <=  >  >=  ==  !=`` against a number, ``> 5``, ``<= 300ms``, ``< 95%``;
* ranges ``10..20`` (triggers inside, bounds included) and ``not 10..20`` (triggers outside);
* a bare number ``5`` means ``>= 5``.

Numbers may carry a unit (see :mod:`qrunner.judge.units`). A number without a unit is read in the
check's ``unit:`` when it has one; otherwise a ratio's bare number is a fraction (``0.05``), a
count's is a count, and a **duration's is an error** — ``> 300`` could be nanoseconds or
seconds depending on the source, so qrunner asks for ``300ms`` or ``unit: ms`` instead.

Comparisons tolerate floating-point noise (``300ms == 0.3s``): equality, and the equal part of
``<=``/``>=`` and of range bounds, use a relative tolerance of 1e-9.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from qrunner.judge.units import DURATION_UNITS, PERCENT, Kind, to_base, unit_problem
from qrunner.limits import MAX_EXPRESSION_CHARS, excerpt

OPERATORS = ("<=", ">=", "==", "!=", "<", ">")


class ThresholdError(ValueError):
    """A threshold that cannot be read, or whose unit cannot apply to its metric."""


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_UNIT = "|".join(sorted((re.escape(u) for u in (*DURATION_UNITS, PERCENT)), key=len, reverse=True))
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*({_UNIT})?\s*$")


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number as written, with its unit (None when bare)."""

    number: float
    unit: str | None

    def __str__(self) -> str:
        text = f"{self.number:g}" if self.number != int(self.number) else str(int(self.number))
        return text + (self.unit or "")

    def to_base(self, kind: Kind, default_unit: str | None) -> float:
        unit = self.unit if self.unit is not None else default_unit
        if unit is None:
            if kind is Kind.DURATION:
                raise ThresholdError(
                    f"{self} on a duration needs a unit: write e.g. {self}ms or {self}s, "
                    "or set the check's unit:"
                )
            return self.number
        problem = unit_problem(kind, unit)
        if problem:
            raise ThresholdError(problem)
        value = to_base(self.number, unit)
        if not math.isfinite(value):
            raise ThresholdError(f"threshold {self} is too large: it overflows in base units")
        return value


def _parse_quantity(text: str) -> Quantity:
    match = _QUANTITY.match(text)
    if not match:
        raise ThresholdError(f"not a number with an optional unit: {excerpt(text.strip())!r}")
    number = float(match.group(1))
    if not math.isfinite(number):
        raise ThresholdError(f"threshold {match.group(1)} is not a finite number")
    return Quantity(number, match.group(2))


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition; ``op`` is a comparison, ``in`` or ``not in``."""

    op: str
    bound: Quantity
    upper: Quantity | None = None  # ranges only

    def __str__(self) -> str:
        if self.op == "in":
            return f"{self.bound}..{self.upper}"
        if self.op == "not in":
            return f"not {self.bound}..{self.upper}"
        return f"{self.op} {self.bound}"

    @property
    def units(self) -> list[str]:
        return [q.unit for q in (self.bound, self.upper) if q is not None and q.unit]

    def resolve(self, kind: Kind, default_unit: str | None) -> ResolvedCondition:
        """Bounds in base units for a metric of ``kind``; raises ThresholdError on a bad unit."""
        low = self.bound.to_base(kind, default_unit)
        high = self.upper.to_base(kind, default_unit) if self.upper is not None else None
        if high is not None and high < low:
            raise ThresholdError(f"range {self.bound}..{self.upper} is empty (low > high)")
        return ResolvedCondition(self.op, low, high)

    @property
    def higher_is_worse(self) -> bool | None:
        """Which way a value gets worse under this condition, None when it has no direction."""
        if self.op in (">", ">="):
            return True
        if self.op in ("<", "<="):
            return False
        return None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True, slots=True)
class ResolvedCondition:
    op: str
    low: float
    high: float | None = None

    def triggers(self, value: float) -> bool:
        low = self.low
        match self.op:
            case ">":
                return value > low and not _close(value, low)
            case ">=":
                return value > low or _close(value, low)
            case "<":
                return value < low and not _close(value, low)
            case "<=":
                return value < low or _close(value, low)
            case "==":
                return _close(value, low)
            case "!=":
                return not _close(value, low)
        assert self.high is not None
        inside = (value > low or _close(value, low)) and (
            value < self.high or _close(value, self.high)
        )
        return inside if self.op == "in" else not inside


def parse_condition(raw: str | float) -> Condition:
    """Read one threshold (``fail:`` or ``warn:`` value); raises ThresholdError."""
    if isinstance(raw, bool):
        raise ThresholdError(f"a threshold is a condition like '> 5', not {raw!r}")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise ThresholdError(f"threshold {raw!r} is not a finite number")
        return Condition(">=", Quantity(float(raw), None))
    text = raw.strip()
    if not text:
        raise ThresholdError("empty threshold")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ThresholdError(f"threshold longer than {MAX_EXPRESSION_CHARS} characters")
    for op in OPERATORS:
        if text.startswith(op):
            return Condition(op, _parse_quantity(text[len(op) :]))
    negated = False
    if text.startswith("not ") or text.startswith("not\t"):
        negated, text = True, text[4:].strip()
    if ".." in text:
        low_text, _, high_text = text.partition("..")
        return Condition(
            "not in" if negated else "in", _parse_quantity(low_text), _parse_quantity(high_text)
        )
    if negated:
        raise ThresholdError(f"'not' must be followed by a range like 10..20: {raw!r}")
    if text.startswith(("=", "<>", "=>", "=<")):
        raise ThresholdError(f"unknown operator in {raw!r}; use one of {', '.join(OPERATORS)}")
    try:
        return Condition(">=", _parse_quantity(text))
    except ThresholdError:
        raise ThresholdError(
            f"cannot read threshold {excerpt(raw)!r}: use '> 5', '<= 300ms', '< 95%', '10..20' "
            "or 'not 10..20'"
        ) from None
