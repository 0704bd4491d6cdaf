"""Units: what kind of quantity a metric is, duration parsing, conversions and formatting.

Every metric value is carried in a *base unit* while it is judged:

* durations in **seconds** (Datadog ``@duration``, ``@ci.queue_time`` and any other duration
  metric arrive in nanoseconds; Tekton ``*_duration`` fields arrive as PostgreSQL interval
  text such as ``1 day 01:00:00`` and are parsed by :func:`parse_pg_interval`);
* ratios as a **fraction** (``5%`` is ``0.05``);
* counts, timestamps and plain numbers as they are.

Threshold units: ``ns us ms s m h d`` apply to durations only and ``%`` to ratios only. A
duration unit on a count, or ``%`` on a duration, is a validation error. A check's ``unit:``
chooses the unit its observed value is reported in; without one, durations are reported in
seconds (``s``) and ratios in percent (``%``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from enum import StrEnum

# seconds per unit; "us" also accepted as "µs"
DURATION_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
PERCENT = "%"
NANOSECONDS_PER_SECOND = 1e9  # Datadog durations are nanoseconds


class Kind(StrEnum):
    """What a metric measures; decides which units apply."""

    COUNT = "count"
    DURATION = "duration"
    RATIO = "ratio"
    TIMESTAMP = "timestamp"
    NUMBER = "number"  # a constant, or a measure whose meaning qrunner cannot know


_UNIT_ADVICE = {
    Kind.COUNT: "a count is unitless",
    Kind.TIMESTAMP: "a timestamp is compared as Unix seconds, without a unit",
    Kind.NUMBER: "this metric's unit is unknown, so compare plain numbers",
    Kind.RATIO: "a ratio takes % or a plain fraction",
    Kind.DURATION: "a duration takes ns, us, ms, s, m, h or d",
}


def unit_problem(kind: Kind, unit: str) -> str | None:
    """Why ``unit`` cannot apply to a metric of ``kind``, or None when it can."""
    if unit in DURATION_UNITS:
        if kind is Kind.DURATION:
            return None
        return f"the duration unit {unit!r} can't apply to a {kind} metric ({_UNIT_ADVICE[kind]})"
    if unit == PERCENT:
        if kind is Kind.RATIO:
            return None
        return (
            f"% applies to ratios (like failed / total), not to a {kind} metric "
            f"({_UNIT_ADVICE[kind]})"
        )
    return f"unknown unit {unit!r}; use one of ns, us, ms, s, m, h, d or %"


def to_base(number: float, unit: str) -> float:
    """A number written in ``unit`` expressed in the base unit (seconds, fraction)."""
    if unit == PERCENT:
        return number / 100.0
    return number * DURATION_UNITS[unit]


def from_base(value: float, unit: str | None) -> float:
    """A base-unit value expressed in ``unit`` (None: unchanged)."""
    if unit is None:
        return value
    if unit == PERCENT:
        return value * 100.0
    return value / DURATION_UNITS[unit]


def tidy(value: float) -> float:
    """``value`` rounded to 12 significant digits: drops float noise from unit conversions."""
    return float(f"{value:.12g}")


def display_unit(kind: Kind, unit: str | None) -> str | None:
    """The unit a check reports its observed value in."""
    if unit is not None:
        return unit
    if kind is Kind.DURATION:
        return "s"
    if kind is Kind.RATIO:
        return PERCENT
    return None


_INTERVAL_TIME = re.compile(r"^([+-])?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")
_INTERVAL_PART = re.compile(
    r"^([+-]?\d+(?:\.\d+)?)\s+(years?|mons?|months?|days?|hours?|mins?|minutes?|secs?|seconds?)$"
)
_PART_SECONDS = {
    "year": 365.25 * 86400,  # PostgreSQL's own factor for EXTRACT(EPOCH ...)
    "mon": 30 * 86400,
    "month": 30 * 86400,
    "day": 86400,
    "hour": 3600,
    "min": 60,
    "minute": 60,
    "sec": 1,
    "second": 1,
}


def parse_pg_interval(text: str) -> float:
    """PostgreSQL interval text (``postgres`` IntervalStyle) → seconds.

    Handles what Tekton Results renders: ``00:00:01``, ``00:00:01.5``, ``1 day``,
    ``2 days 02:05:25``, ``40:00:00`` and ``1 day 24:00:00`` (sums are not normalised),
    ``-00:00:05``, ``-1 days +02:00:00``, and the ``N mons``/``N years`` prefixes.
    Raises ``ValueError`` on anything else.
    """
    tokens = text.strip().split()
    if not tokens:
        raise ValueError("empty interval")
    total = 0.0
    i = 0
    while i < len(tokens):
        time_match = _INTERVAL_TIME.match(tokens[i])
        if time_match:
            sign, hours, minutes, seconds = time_match.groups()
            value = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
            total += -value if sign == "-" else value
            i += 1
            continue
        if i + 1 < len(tokens):
            part = _INTERVAL_PART.match(f"{tokens[i]} {tokens[i + 1]}")
            if part:
                name = part.group(2).rstrip("s")
                total += float(part.group(1)) * _PART_SECONDS[name]
                i += 2
                continue
        raise ValueError(f"not a PostgreSQL interval: {text!r}")
    return total


def _short(number: float, extra: int = 0) -> str:
    """One decimal below 100, none above; ``extra`` more when a threshold needs them."""
    text = f"{number:.{(0 if abs(number) >= 100 else 1) + extra}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(seconds: float) -> str:
    """A duration for humans: ``250ms``, ``3.9m``, ``1.5h``, ``12s``, ``2d``."""
    magnitude = abs(seconds)
    if magnitude == 0:
        return "0s"
    for unit, limit in (("ns", 1e-6), ("us", 1e-3), ("ms", 1.0), ("s", 60.0), ("m", 3600.0)):
        if magnitude < limit:
            return _short(seconds / DURATION_UNITS[unit]) + unit
    if magnitude < 86400.0:
        return _short(seconds / 3600.0) + "h"
    return _short(seconds / 86400.0) + "d"


def format_number(number: float, extra: int = 0) -> str:
    """A plain number: integers without a fraction, others with up to 4 significant digits
    (``extra`` more when a threshold needs them)."""
    if math.isnan(number) or math.isinf(number):
        return str(number)
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.{4 + extra}g}"


def format_quantity(
    value: float | None,
    unit: str | None,
    *,
    exact: bool = False,
    apart_from: Sequence[float] = (),
) -> str:
    """A reported value in its unit, for humans: durations humanly (``exact``: in ``unit``
    itself, the check's chosen ``unit:``), percents with ``%``. Shown with enough digits that
    it never reads equal to one of ``apart_from`` (threshold bounds, in ``unit``) that it is
    not: 2.451 s against ``> 2.5s`` is ``2.451s``, not ``2.5s``."""
    if value is None:
        return "-"
    for extra in range(_MAX_EXTRA_DIGITS + 1):
        text = _quantity(value, unit, exact, extra, like=value)
        if not any(
            b != value and _quantity(b, unit, exact, extra, like=value) == text for b in apart_from
        ):
            break
    return text


_MAX_EXTRA_DIGITS = 10


def _quantity(value: float, unit: str | None, exact: bool, extra: int, like: float) -> str:
    if unit in DURATION_UNITS:
        shown = unit if exact else _human_unit(like * DURATION_UNITS[unit])
        return _short(value * DURATION_UNITS[unit] / DURATION_UNITS[shown], extra) + shown
    if unit == PERCENT:
        if abs(like) >= 100:
            return f"{value:.{extra}f}%"
        return f"{value:.{3 + extra}g}%"
    if unit:
        return f"{format_number(value, extra)} {unit}"
    return format_number(value, extra)


def _human_unit(seconds: float) -> str:
    magnitude = abs(seconds)
    if magnitude == 0:
        return "s"
    for unit, limit in (("ns", 1e-6), ("us", 1e-3), ("ms", 1.0), ("s", 60.0), ("m", 3600.0)):
        if magnitude < limit:
            return unit
    return "h" if magnitude < 86400.0 else "d"
